"""The employee's profile (个人信息), the photo, and the title cascade JSON.

Every request goes through the real app and a real database as the demo
employee of 抚顺, whose profile is 政工师 applying for 高级政工师. A rejected
form must come back with status 200, a Chinese error under the field at fault,
and the saved profile unchanged.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from app.demo import DEMO_EMPLOYEE_ID, DEMO_EMPLOYEE_MOBILE, DEMO_PASSWORD
from app.extensions import db
from app.models import (
    Account,
    Profile,
    Subspecialty,
    Title,
    TitleLevel,
    TitleSeries,
    Unit,
)

THIS_YEAR = dt.date.today().year

# GB 11643: the weighted sum of the first 17 digits modulo 11 picks the check
# character from this string.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARACTERS = "10X98765432"


def make_id(first_17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first_17, ID_WEIGHTS))
    return first_17 + ID_CHECK_CHARACTERS[total % 11]


SECOND_EMPLOYEE_ID = make_id("21040219920505123")
SECOND_EMPLOYEE_MOBILE = "13900000005"
SECOND_EMPLOYEE_PASSWORD = "Second!2026"
PROFILE_COLUMNS = (
    "current_level_id",
    "current_title_id",
    "title_obtained_on",
    "target_year",
    "target_method",
    "target_level_id",
    "target_series_id",
    "target_subspecialty_id",
    "target_title_id",
    "photo_path",
)


def code_id(app, model, code: str) -> int:
    """Return the id of the catalogue or unit row with this code."""
    with app.app_context():
        row_id = db.session.scalar(select(model.id).where(model.code == code))
    assert row_id is not None, f"no {model.__name__} with code {code!r}"
    return row_id


def profile_data(app, **overrides) -> dict[str, str]:
    """Return a valid profile: 工程师 applying for 高级工程师 in 输电, by 认定."""
    data = {
        "mobile": DEMO_EMPLOYEE_MOBILE,
        "region": code_id(app, Unit, "NE"),
        "province": code_id(app, Unit, "NE-LN"),
        "city": code_id(app, Unit, "NE-LN-FS"),
        "county": code_id(app, Unit, "NE-LN-FS-QY"),
        "current_level": code_id(app, TitleLevel, "intermediate"),
        "current_title": code_id(app, Title, "engineer"),
        "title_obtained_on": "2019-06-30",
        "target_year": THIS_YEAR,
        "target_method": "recognition",
        "target_level": code_id(app, TitleLevel, "associate_senior"),
        "target_series": code_id(app, TitleSeries, "engineering"),
        "target_subspecialty": code_id(app, Subspecialty, "transmission"),
        "target_title": code_id(app, Title, "senior_engineer"),
    }
    data.update(overrides)
    return {name: str(value) for name, value in data.items()}


def saved_state(app, username: str = DEMO_EMPLOYEE_ID) -> dict[str, object]:
    """Return the account's mobile and unit and its profile columns as stored."""
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.username == username))
        profile = db.session.get(Profile, account.id)
        state = {"mobile": account.mobile, "unit_id": account.unit_id}
        for column in PROFILE_COLUMNS:
            state[column] = getattr(profile, column) if profile else None
        return state


# The field_row macro renders a label with for="<field id>" and then the
# field's errors as <p class="help-block field-error"> inside the same group.
_FORM_GROUP = re.compile(
    r'<label class="control-label" for="([^"]+)">(.*?)</div>', re.S
)
_FIELD_ERROR = re.compile(r'<p class="help-block field-error">(.*?)</p>', re.S)


def field_errors(html: str) -> dict[str, list[str]]:
    """Map each field id of a rendered form to the error messages shown under it."""
    errors = {}
    for field_id, body in _FORM_GROUP.findall(html):
        messages = _FIELD_ERROR.findall(body)
        if messages:
            errors[field_id] = messages
    return errors


def selected_option(html: str, field_id: str) -> str | None:
    """Return the text of the selected option of a rendered select, if any."""
    pattern = rf'<select[^>]*id="{field_id}"[^>]*>(.*?)</select>'
    select_match = re.search(pattern, html, re.S)
    assert select_match, f"no select {field_id}"
    option = re.search(r"<option[^>]*\bselected\b[^>]*>(.*?)</option>", select_match[1])
    return option[1] if option else None


def post_profile(client, data):
    return client.post("/profile/edit", data=data)


def assert_rejected(app, response, field: str, fragment: str, before: dict):
    """Check a profile POST came back with ``fragment`` under ``field``."""
    assert response.status_code == 200
    errors = field_errors(response.get_data(as_text=True))
    assert field in errors, f"no error on {field}; errors shown: {errors}"
    assert any(fragment in message for message in errors[field]), errors[field]
    assert saved_state(app) == before


# --- showing and saving -----------------------------------------------------


def test_profile_get_prefilled(employee_client):
    response = employee_client.get("/profile/edit")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'value="{DEMO_EMPLOYEE_MOBILE}"' in html
    assert 'value="2018-02-15"' in html
    assert selected_option(html, "region") == "东北区域"
    assert selected_option(html, "province") == "国网辽宁电力有限公司"
    assert selected_option(html, "city") == "国网辽宁电力有限公司抚顺供电公司"
    assert selected_option(html, "county") in (None, "无")
    assert selected_option(html, "current_level") == "中级"
    assert selected_option(html, "current_title") == "政工师"
    assert selected_option(html, "target_year") == str(THIS_YEAR)
    assert selected_option(html, "target_method") == "评审"
    assert selected_option(html, "target_level") == "副高级"
    assert selected_option(html, "target_series") == "政工系列"
    assert selected_option(html, "target_subspecialty") == "保卫工作"
    assert selected_option(html, "target_title") == "高级政工师"


def test_profile_requires_login(client):
    response = client.get("/profile/edit")

    assert response.status_code == 302
    assert "/login/" in response.headers["Location"]


def test_profile_save(app, employee_client):
    response = post_profile(employee_client, profile_data(app))

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/")
    state = saved_state(app)
    assert state["unit_id"] == code_id(app, Unit, "NE-LN-FS-QY")
    assert state["current_level_id"] == code_id(app, TitleLevel, "intermediate")
    assert state["current_title_id"] == code_id(app, Title, "engineer")
    assert state["title_obtained_on"] == dt.date(2019, 6, 30)
    assert state["target_year"] == THIS_YEAR
    assert state["target_method"] == "recognition"
    assert state["target_level_id"] == code_id(app, TitleLevel, "associate_senior")
    assert state["target_series_id"] == code_id(app, TitleSeries, "engineering")
    assert state["target_subspecialty_id"] == code_id(app, Subspecialty, "transmission")
    assert state["target_title_id"] == code_id(app, Title, "senior_engineer")


def test_profile_save_shown_on_home(app, employee_client):
    response = employee_client.post(
        "/profile/edit", data=profile_data(app), follow_redirects=True
    )

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "个人信息已保存" in html
    assert "<dt>现职称:</dt><dd>工程师</dd>" in html
    assert "<dt>现职称取得时间:</dt><dd>2019-06-30</dd>" in html
    assert "<dt>拟申报方式:</dt><dd>认定</dd>" in html
    assert "<dt>拟申报专业:</dt><dd>工程系列</dd>" in html
    assert "<dt>拟申报分支专业:</dt><dd>输电</dd>" in html
    assert "<dt>拟申报职称:</dt><dd>高级工程师</dd>" in html
    assert "<dt>县单位(部门):</dt><dd>国网清原县供电公司</dd>" in html


def test_profile_save_new_mobile(app, employee_client):
    data = profile_data(app, mobile="+86 137-0000-0009")

    response = post_profile(employee_client, data)

    assert response.status_code == 302
    assert saved_state(app)["mobile"] == "13700000009"


def test_profile_save_without_county(app, employee_client):
    response = post_profile(employee_client, profile_data(app, county="None"))

    assert response.status_code == 302
    assert saved_state(app)["unit_id"] == code_id(app, Unit, "NE-LN-FS")


def test_profile_save_legacy_current_title(app, employee_client):
    # A legacy title is no longer awarded but is still valid as a current title.
    data = profile_data(
        app,
        current_level=code_id(app, TitleLevel, "junior"),
        current_title=code_id(app, Title, "economic_clerk"),
        target_level=code_id(app, TitleLevel, "intermediate"),
        target_series=code_id(app, TitleSeries, "economics"),
        target_subspecialty=code_id(app, Subspecialty, "human_resources"),
        target_title=code_id(app, Title, "economist"),
    )

    response = post_profile(employee_client, data)

    assert response.status_code == 302
    assert saved_state(app)["current_title_id"] == code_id(app, Title, "economic_clerk")


def test_profile_series_without_subspecialty_rejected(app, employee_client):
    before = saved_state(app)

    data = profile_data(app, target_subspecialty="None")

    response = post_profile(employee_client, data)

    assert_rejected(app, response, "target_subspecialty", "请选择工程系列的分支专业", before)


# --- rejected profiles ------------------------------------------------------


def test_profile_target_level_equal(app, employee_client):
    before = saved_state(app)
    data = profile_data(
        app,
        target_level=code_id(app, TitleLevel, "intermediate"),
        target_title=code_id(app, Title, "engineer"),
    )

    response = post_profile(employee_client, data)

    assert_rejected(app, response, "target_level", "应高于现职称等级", before)


def test_profile_target_level_lower(app, employee_client):
    before = saved_state(app)
    data = profile_data(
        app,
        target_level=code_id(app, TitleLevel, "junior"),
        target_title=code_id(app, Title, "assistant_engineer"),
    )

    response = post_profile(employee_client, data)

    assert_rejected(app, response, "target_level", "应高于现职称等级", before)


def test_profile_target_title_other_series(app, employee_client):
    before = saved_state(app)
    data = profile_data(app, target_title=code_id(app, Title, "senior_economist"))

    response = post_profile(employee_client, data)

    assert_rejected(app, response, "target_title", "不属于工程系列", before)


def test_profile_target_title_other_level(app, employee_client):
    before = saved_state(app)
    top_title = code_id(app, Title, "professorate_senior_engineer")
    data = profile_data(app, target_title=top_title)

    response = post_profile(employee_client, data)

    assert_rejected(app, response, "target_title", "不是副高级职称", before)


def test_profile_target_title_legacy(app, employee_client):
    # Every legacy title is junior, so the target level is rejected as well.
    before = saved_state(app)
    data = profile_data(
        app,
        current_level=code_id(app, TitleLevel, "junior"),
        current_title=code_id(app, Title, "assistant_economist"),
        target_level=code_id(app, TitleLevel, "junior"),
        target_series=code_id(app, TitleSeries, "economics"),
        target_subspecialty=code_id(app, Subspecialty, "human_resources"),
        target_title=code_id(app, Title, "economic_clerk"),
    )

    response = post_profile(employee_client, data)

    assert_rejected(app, response, "target_title", "已不再评定", before)


def test_profile_current_title_other_level(app, employee_client):
    before = saved_state(app)
    data = profile_data(app, current_title=code_id(app, Title, "senior_engineer"))

    response = post_profile(employee_client, data)

    assert_rejected(app, response, "current_title", "不是中级职称", before)


def test_profile_subspecialty_parent(app, employee_client):
    # 电力工程 has children (输电, 变电, ...), so only a child can be chosen.
    before = saved_state(app)
    data = profile_data(
        app, target_subspecialty=code_id(app, Subspecialty, "power_engineering")
    )

    response = post_profile(employee_client, data)

    assert_rejected(app, response, "target_subspecialty", "无效", before)


def test_profile_subspecialty_other_series(app, employee_client):
    before = saved_state(app)
    data = profile_data(
        app, target_subspecialty=code_id(app, Subspecialty, "business_administration")
    )

    response = post_profile(employee_client, data)

    assert_rejected(app, response, "target_subspecialty", "不属于工程系列", before)


def test_profile_subspecialty_top_level_leaf(app, employee_client):
    # 工业工程 has no children, so it is selectable itself.
    data = profile_data(
        app, target_subspecialty=code_id(app, Subspecialty, "industrial_engineering")
    )

    response = post_profile(employee_client, data)

    assert response.status_code == 302
    expected = code_id(app, Subspecialty, "industrial_engineering")
    assert saved_state(app)["target_subspecialty_id"] == expected


def test_profile_date_in_future(app, employee_client):
    before = saved_state(app)
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()

    data = profile_data(app, title_obtained_on=tomorrow)

    response = post_profile(employee_client, data)

    assert_rejected(app, response, "title_obtained_on", "不能晚于今天", before)


@pytest.mark.parametrize("typed", ["2019/06/30", "30-06-2019", "2019-02-30", "昨天"])
def test_profile_date_bad_format(app, employee_client, typed):
    before = saved_state(app)

    response = post_profile(employee_client, profile_data(app, title_obtained_on=typed))

    assert_rejected(app, response, "title_obtained_on", "日期", before)


def test_profile_date_missing(app, employee_client):
    before = saved_state(app)

    response = post_profile(employee_client, profile_data(app, title_obtained_on=""))

    assert_rejected(app, response, "title_obtained_on", "必填", before)


@pytest.mark.parametrize(
    ("method", "fragment"),
    [("other", "无效"), ("", "必填")],
    ids=["unknown", "missing"],
)
def test_profile_method_invalid(app, employee_client, method, fragment):
    before = saved_state(app)

    response = post_profile(employee_client, profile_data(app, target_method=method))

    assert_rejected(app, response, "target_method", fragment, before)


@pytest.mark.parametrize("year", [THIS_YEAR - 2, THIS_YEAR + 2])
def test_profile_target_year_out_of_range(app, employee_client, year):
    before = saved_state(app)

    response = post_profile(employee_client, profile_data(app, target_year=year))

    assert_rejected(app, response, "target_year", "拟申报年份应在", before)


@pytest.mark.parametrize(
    "field",
    ["current_level", "current_title", "target_level", "target_series", "target_title"],
)
def test_profile_nonexistent_catalogue_id(app, employee_client, field):
    before = saved_state(app)

    response = post_profile(employee_client, profile_data(app, **{field: "999999"}))

    assert_rejected(app, response, field, "无效", before)


def test_profile_inactive_title(app, employee_client):
    with app.app_context():
        title = db.session.scalar(select(Title).where(Title.code == "senior_engineer"))
        title.active = False
        db.session.commit()
    before = saved_state(app)

    response = post_profile(employee_client, profile_data(app))

    assert_rejected(app, response, "target_title", "无效", before)


def test_profile_mobile_of_other_account(app, employee_client):
    with app.app_context():
        reviewer = db.session.scalar(
            select(Account).where(Account.username == "fushun_reviewer")
        )
        reviewer.mobile = "13600000006"
        db.session.commit()
    before = saved_state(app)

    response = post_profile(employee_client, profile_data(app, mobile="136 0000 0006"))

    assert_rejected(app, response, "mobile", "已被其他账号使用", before)


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [("", "此项为必填项"), ("12345", "手机号格式不正确"), ("23900000002", "手机号格式不正确")],
)
def test_profile_mobile_invalid(app, employee_client, typed, fragment):
    before = saved_state(app)

    response = post_profile(employee_client, profile_data(app, mobile=typed))

    assert_rejected(app, response, "mobile", fragment, before)


def test_profile_new_mobile_logs_in(app, employee_client):
    # Login by mobile looks the number up, so only the saved number works.
    post_profile(employee_client, profile_data(app, mobile="13700000009"))
    client = app.test_client()

    old = client.post(
        "/login/", data={"username": DEMO_EMPLOYEE_MOBILE, "password": DEMO_PASSWORD}
    )
    new = client.post(
        "/login/", data={"username": "13700000009", "password": DEMO_PASSWORD}
    )

    assert "/login/" in old.headers["Location"]
    assert "/login/" not in new.headers["Location"]


def test_profile_reviewer_denied(app, client, auth):
    auth.login("fushun_reviewer")

    response = client.get("/profile/edit")

    assert response.status_code == 403
    assert 'id="profile-form"' not in response.get_data(as_text=True)


def test_profile_county_outside_city(app, employee_client):
    before = saved_state(app)
    data = profile_data(app, county=code_id(app, Unit, "NE-LN-SY-KP"))

    response = post_profile(employee_client, data)

    assert_rejected(app, response, "county", "无效", before)


def test_profile_missing_work_unit(app, employee_client):
    before = saved_state(app)

    data = profile_data(app, city="None", county="None")

    response = post_profile(employee_client, data)

    assert_rejected(app, response, "city", "请选择工作单位", before)


def test_profile_rejected_keeps_choices(app, employee_client):
    # The re-rendered form offers the titles of the level and series chosen.
    data = profile_data(app, target_method="other")

    html = post_profile(employee_client, data).get_data(as_text=True)

    assert selected_option(html, "target_title") == "高级工程师"
    assert selected_option(html, "target_subspecialty") == "电力工程 / 输电"
    assert selected_option(html, "county") == "国网清原县供电公司"


_CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def test_profile_csrf(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login_page = client.get("/login/").get_data(as_text=True)
    client.post(
        "/login/",
        data={
            "username": DEMO_EMPLOYEE_ID,
            "password": DEMO_PASSWORD,
            "csrf_token": _CSRF_TOKEN.search(login_page)[1],
        },
    )
    before = saved_state(app)

    without = post_profile(client, profile_data(app))
    unchanged = saved_state(app)
    token = _CSRF_TOKEN.search(client.get("/profile/edit").get_data(as_text=True))[1]
    with_token = post_profile(client, {**profile_data(app), "csrf_token": token})

    assert without.status_code == 400
    assert unchanged == before
    assert with_token.status_code == 302
    assert saved_state(app)["target_title_id"] == code_id(app, Title, "senior_engineer")


# --- title cascade JSON -----------------------------------------------------


def test_titles_api_target_excludes_legacy(app, client):
    series = code_id(app, TitleSeries, "economics")
    level = code_id(app, TitleLevel, "junior")

    every = client.get(f"/api/choices/titles?series={series}&level={level}").get_json()
    targets = client.get(
        f"/api/choices/titles?series={series}&level={level}&target=1"
    ).get_json()

    assert {item["name"] for item in every} == {"经济员", "助理经济师"}
    assert [item["name"] for item in targets] == ["助理经济师"]


def test_titles_api_active_only(app, client):
    with app.app_context():
        title = db.session.scalar(select(Title).where(Title.code == "senior_engineer"))
        title.active = False
        db.session.commit()
    series = code_id(app, TitleSeries, "engineering")

    items = client.get(f"/api/choices/titles?series={series}").get_json()

    names = [item["name"] for item in items]

    assert "高级工程师" not in names
    assert "工程师" in names


def test_subspecialties_api_selectable_only(app, client):
    series = code_id(app, TitleSeries, "engineering")

    items = client.get(f"/api/choices/subspecialties?series={series}").get_json()

    names = [item["name"] for item in items]
    assert "电力工程 / 输电" in names
    assert "工业工程" in names
    assert "电力工程" not in names
    assert all("工商管理" not in name for name in names)


def test_subspecialties_api_active_only(app, client):
    with app.app_context():
        row = db.session.scalar(
            select(Subspecialty).where(Subspecialty.code == "substation")
        )
        row.active = False
        db.session.commit()
    series = code_id(app, TitleSeries, "engineering")

    items = client.get(f"/api/choices/subspecialties?series={series}").get_json()

    assert "电力工程 / 变电" not in [item["name"] for item in items]


@pytest.mark.parametrize("query", ["", "?series=abc"])
def test_subspecialties_api_without_series(client, query):
    response = client.get(f"/api/choices/subspecialties{query}")

    assert response.status_code == 200
    assert response.get_json() == []


# --- photo ------------------------------------------------------------------


def png_bytes(width: int, height: int, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    colour = (200, 30, 30, 128) if mode == "RGBA" else (200, 30, 30)
    Image.new(mode, (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def upload_photo(client, data: bytes, filename: str, **kwargs):
    return client.post(
        "/profile/photo/upload",
        data={"photo": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        **kwargs,
    )


def stored_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_FOLDER"])
    return [path for path in root.rglob("*") if path.is_file()]


def test_photo_large_png_scaled_to_jpeg(app, employee_client):
    response = upload_photo(employee_client, png_bytes(1200, 800), "photo.png")

    assert response.status_code == 302
    assert saved_state(app)["photo_path"] is not None
    assert len(stored_files(app)) == 1
    served = employee_client.get("/profile/photo/")
    assert served.status_code == 200
    assert served.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(served.data)) as image:
        assert image.format == "JPEG"
        assert image.size == (600, 400)


def test_photo_small_png_not_enlarged(app, employee_client):
    upload_photo(employee_client, png_bytes(300, 400, "RGBA"), "small.png")

    served = employee_client.get("/profile/photo/")

    with Image.open(io.BytesIO(served.data)) as image:
        assert image.format == "JPEG"
        assert image.size == (300, 400)


def test_photo_replaced_deletes_previous(app, employee_client):
    upload_photo(employee_client, png_bytes(700, 700), "first.png")
    first = saved_state(app)["photo_path"]

    upload_photo(employee_client, png_bytes(100, 50), "second.png")

    second = saved_state(app)["photo_path"]
    assert second != first
    assert [path.name for path in stored_files(app)] == [Path(second).name]


def test_photo_shown_on_home(app, employee_client):
    home = employee_client.get("/").get_data(as_text=True)
    assert "未上传照片" in home

    upload_photo(employee_client, png_bytes(100, 100), "photo.png")

    home = employee_client.get("/").get_data(as_text=True)
    assert 'src="/profile/photo/"' in home


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n", "photo.pdf"),
        (b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n", "photo.png"),
        ("这是一个文本文件，不是图片。\n".encode() * 20, "photo.png"),
        ("这是一个文本文件，不是图片。\n".encode() * 20, "photo.jpg"),
    ],
    ids=["pdf", "pdf_renamed", "text_renamed_png", "text_renamed_jpg"],
)
def test_photo_not_an_image_rejected(app, employee_client, content, filename):
    response = upload_photo(employee_client, content, filename, follow_redirects=True)

    assert response.status_code == 200
    assert "只能上传 JPG、PNG 格式的文件" in response.get_data(as_text=True)
    assert saved_state(app)["photo_path"] is None
    assert stored_files(app) == []


def test_photo_truncated_png_rejected(app, employee_client):
    damaged = png_bytes(800, 800)[:200]

    response = upload_photo(
        employee_client, damaged, "photo.png", follow_redirects=True
    )

    assert response.status_code == 200
    assert "图片无法解码" in response.get_data(as_text=True)
    assert saved_state(app)["photo_path"] is None
    assert stored_files(app) == []


def test_photo_missing_file_rejected(app, employee_client):
    response = employee_client.post(
        "/profile/photo/upload", data={}, follow_redirects=True
    )

    assert response.status_code == 200
    assert "请选择照片文件" in response.get_data(as_text=True)
    assert saved_state(app)["photo_path"] is None


def test_photo_over_size_limit_rejected(make_app):
    app = make_app(PHOTO_MAX_BYTES=1024)
    client = app.test_client()
    client.post(
        "/login/", data={"username": DEMO_EMPLOYEE_ID, "password": DEMO_PASSWORD}
    )
    oversized = png_bytes(300, 300) + b"\0" * 2048

    response = upload_photo(client, oversized, "photo.png", follow_redirects=True)

    assert response.status_code == 200
    assert "大小上限" in response.get_data(as_text=True)
    assert stored_files(app) == []


def test_photo_missing_is_404(employee_client):
    assert employee_client.get("/profile/photo/").status_code == 404


def test_photo_file_missing_is_404(app, employee_client):
    upload_photo(employee_client, png_bytes(100, 100), "photo.png")
    for path in stored_files(app):
        path.unlink()

    assert employee_client.get("/profile/photo/").status_code == 404


def test_photo_requires_login(client):
    response = client.get("/profile/photo/")

    assert response.status_code == 302
    assert "/login/" in response.headers["Location"]


def test_photo_not_shared_between_employees(app, employee_client):
    upload_photo(employee_client, png_bytes(640, 480), "photo.png")
    assert employee_client.get("/profile/photo/").status_code == 200
    other = register_second_employee(app)

    response = other.get("/profile/photo/")

    assert response.status_code == 404


def register_second_employee(app):
    """Register and log in a second employee of 抚顺, without a photo or profile."""
    client = app.test_client()
    response = client.post(
        "/register/",
        data={
            "name": "王五",
            "id_number": SECOND_EMPLOYEE_ID,
            "mobile": SECOND_EMPLOYEE_MOBILE,
            "password": SECOND_EMPLOYEE_PASSWORD,
            "password_confirm": SECOND_EMPLOYEE_PASSWORD,
            "region": code_id(app, Unit, "NE"),
            "province": code_id(app, Unit, "NE-LN"),
            "city": code_id(app, Unit, "NE-LN-FS"),
            "county": "",
        },
    )
    assert response.status_code == 302
    login = client.post(
        "/login/",
        data={"username": SECOND_EMPLOYEE_ID, "password": SECOND_EMPLOYEE_PASSWORD},
    )
    assert login.status_code == 302
    return client


def test_new_employee_fills_profile(app):
    # An employee who has just registered has no profile row yet.
    client = register_second_employee(app)
    data = profile_data(app, mobile=SECOND_EMPLOYEE_MOBILE)

    page = client.get("/profile/edit")
    home = client.get("/")
    saved = client.post("/profile/edit", data=data)

    assert page.status_code == 200
    assert home.status_code == 200
    assert saved.status_code == 302
    state = saved_state(app, username=SECOND_EMPLOYEE_ID)
    assert state["target_title_id"] == code_id(app, Title, "senior_engineer")
    assert state["unit_id"] == code_id(app, Unit, "NE-LN-FS-QY")
