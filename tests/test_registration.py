"""Registration (立即注册), login by ID-card or mobile number, and the unit cascade.

Every request goes through the real app and a real database. A rejected form
must come back with status 200, a Chinese error under the field at fault, and
no new account.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from app.demo import DEMO_EMPLOYEE_ID, DEMO_EMPLOYEE_MOBILE, DEMO_PASSWORD
from app.extensions import db
from app.glossary import RoleName
from app.models import Account, Unit

# GB 11643: the weighted sum of the first 17 digits modulo 11 picks the check
# character from this string.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARACTERS = "10X98765432"

FUSHUN_AREA = "210402"
PASSWORD = "Reg!2026pass"
MOBILE = "13900000002"


def check_character(first_17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first_17, ID_WEIGHTS))
    return ID_CHECK_CHARACTERS[total % 11]


def make_id(
    birth: str = "19950315", sequence: str = "123", area: str = FUSHUN_AREA
) -> str:
    """Build an 18-character ID number with a correct check character."""
    first_17 = area + birth + sequence
    return first_17 + check_character(first_17)


def id_ending_in_x() -> str:
    """Return a valid ID number whose check character is X."""
    for number in range(1000):
        first_17 = f"{FUSHUN_AREA}19880808{number:03d}"
        if check_character(first_17) == "X":
            return first_17 + "X"
    raise AssertionError("no sequence number gives the check character X")


def full_width(text: str) -> str:
    """Return ``text`` with its ASCII characters in their full-width forms."""
    return "".join(
        chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char for char in text
    )


def unit_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Unit.id).where(Unit.code == code))


def account_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Account.id)))


def find_account(app, **criteria) -> Account | None:
    with app.app_context():
        account = db.session.scalar(select(Account).filter_by(**criteria))
        if account is not None:
            # Load the roles while the session is open.
            account.role_names = [role.name for role in account.roles]
        return account


def registration_data(app, **overrides) -> dict[str, str]:
    """Return a valid registration for 抚顺 / 新宾, with ``overrides`` applied."""
    data = {
        "name": "李四",
        "id_number": make_id(),
        "mobile": MOBILE,
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "region": str(unit_id(app, "NE")),
        "province": str(unit_id(app, "NE-LN")),
        "city": str(unit_id(app, "NE-LN-FS")),
        "county": str(unit_id(app, "NE-LN-FS-XB")),
    }
    data.update(overrides)
    return data


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


def assert_rejected(app, response, field: str, fragment: str, accounts_before: int):
    """Check a form came back with ``fragment`` under ``field`` and no new account."""
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    errors = field_errors(html)
    assert field in errors, f"no error on {field}; errors shown: {errors}"
    assert any(fragment in message for message in errors[field]), errors[field]
    assert account_count(app) == accounts_before


def register(client, data):
    return client.post("/register/", data=data)


# --- successful registration ------------------------------------------------


def test_register_creates_one_employee(app, client):
    before = account_count(app)

    response = register(client, registration_data(app))

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login/")
    assert account_count(app) == before + 1
    account = find_account(app, id_number=make_id())
    assert account is not None
    assert account.username == make_id()
    assert account.first_name == "李四"
    assert account.mobile == MOBILE
    assert account.unit_id == unit_id(app, "NE-LN-FS-XB")
    assert account.active
    assert account.role_names == [RoleName.EMPLOYEE]
    assert account.password != PASSWORD


def test_register_flashes_success_on_login_page(app, client):
    response = client.post(
        "/register/", data=registration_data(app), follow_redirects=True
    )

    assert response.status_code == 200
    assert "注册成功" in response.get_data(as_text=True)


def test_register_without_county(app, client):
    before = account_count(app)

    response = register(client, registration_data(app, county=""))

    assert response.status_code == 302
    assert account_count(app) == before + 1
    account = find_account(app, id_number=make_id())
    assert account.unit_id == unit_id(app, "NE-LN-FS")


def test_register_county_none_choice(app, client):
    # The county select offers 无 as an option whose value renders as "None".
    response = register(client, registration_data(app, county="None"))

    assert response.status_code == 302
    assert find_account(app, id_number=make_id()).unit_id == unit_id(app, "NE-LN-FS")


def test_register_stores_uppercase_x(app, client):
    number = id_ending_in_x()

    response = register(client, registration_data(app, id_number=number.lower()))

    assert response.status_code == 302
    account = find_account(app, username=number)
    assert account is not None
    assert account.id_number == number
    assert account.id_number.endswith("X")


@pytest.mark.parametrize(
    "typed",
    [
        "+86 139 0000 0002",
        "139-0000-0002",
        "139 0000 0002",
        "86" + MOBILE,
        full_width("+86 " + MOBILE),
        full_width(MOBILE),
    ],
)
def test_register_normalises_mobile(app, client, typed):
    response = register(client, registration_data(app, mobile=typed))

    assert response.status_code == 302
    assert find_account(app, id_number=make_id()).mobile == MOBILE


def test_register_id_with_spaces(app, client):
    number = make_id()
    typed = f" {number[:6]} {number[6:14]} {number[14:]} "

    response = register(client, registration_data(app, id_number=typed))

    assert response.status_code == 302
    assert find_account(app, id_number=number) is not None


def test_register_leap_day_2024(app, client):
    number = make_id(birth="20240229")

    response = register(client, registration_data(app, id_number=number))

    assert response.status_code == 302
    assert find_account(app, id_number=number) is not None


def test_register_converts_legacy_id(app, client):
    legacy = FUSHUN_AREA + "850315" + "123"
    converted = make_id(birth="19850315", sequence="123")

    response = register(client, registration_data(app, id_number=legacy))

    assert response.status_code == 302
    account = find_account(app, id_number=converted)
    assert account is not None
    assert len(account.id_number) == 18
    assert account.username == converted


# --- login after registration ----------------------------------------------


@pytest.mark.parametrize(
    "login_name",
    [
        "id",
        "id_lowercase_x",
        "id_full_width",
        "id_legacy_form",
        "mobile",
        "mobile_with_prefix",
    ],
)
def test_login_after_register(app, client, auth, login_name):
    number = id_ending_in_x()
    register(client, registration_data(app, id_number=number))
    typed = {
        "id": number,
        "id_lowercase_x": number.lower(),
        "id_full_width": full_width(number.lower()),
        "id_legacy_form": number[:6] + number[8:17],
        "mobile": MOBILE,
        "mobile_with_prefix": "+86 139-0000-0002",
    }[login_name]

    response = auth.login(typed, PASSWORD)

    assert response.status_code == 302
    assert not response.headers["Location"].endswith("/login/")
    home = client.get("/")
    assert home.status_code == 200
    assert "李四" in home.get_data(as_text=True)


def test_login_wrong_password(app, client, auth):
    register(client, registration_data(app))

    response = auth.login(make_id(), PASSWORD + "x")

    assert response.status_code == 302
    assert "/login/" in response.headers["Location"]
    with client.session_transaction() as session:
        assert "_user_id" not in session
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert 'id="login-form"' in page.get_data(as_text=True)
    assert "身份证号/手机号或密码错误" in page.get_data(as_text=True)
    assert client.get("/").headers["Location"].endswith("/login/")


def test_login_demo_employee_by_mobile(client, auth):
    response = auth.login(DEMO_EMPLOYEE_MOBILE)

    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "_user_id" in session


def test_login_reviewer_by_username(client, auth):
    response = auth.login("fushun_reviewer")

    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "_user_id" in session


# --- invalid ID-card numbers ------------------------------------------------


def _future_birth_date() -> str:
    # Two days ahead, so the date is in the future in UTC and in Beijing time.
    return (dt.date.today() + dt.timedelta(days=2)).strftime("%Y%m%d")


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        pytest.param(
            make_id()[:-1] + ("0" if make_id()[-1] != "0" else "1"),
            "校验位不正确",
            id="wrong_check_character",
        ),
        pytest.param(make_id(birth="19000229"), "不是有效日期", id="1900_02_29"),
        pytest.param(make_id(birth="20010229"), "不是有效日期", id="2001_02_29"),
        pytest.param(make_id(birth="18991231"), "不能早于 1900 年", id="before_1900"),
        pytest.param(make_id(birth=_future_birth_date()), "晚于今天", id="future_birth"),
        pytest.param(make_id()[:17], "18 位", id="17_characters"),
        pytest.param(make_id() + "1", "18 位", id="19_characters"),
        pytest.param(make_id()[:-1] + "Y", "无效字符", id="letter_y"),
        pytest.param(FUSHUN_AREA + "850230" + "123", "18 位", id="legacy_bad_date"),
        pytest.param(FUSHUN_AREA + "85023" + "X123", "18 位", id="legacy_letter"),
    ],
)
def test_register_invalid_id(app, client, number, fragment):
    before = account_count(app)

    response = register(client, registration_data(app, id_number=number))

    assert_rejected(app, response, "id_number", fragment, before)


def test_register_missing_id(app, client):
    before = account_count(app)

    response = register(client, registration_data(app, id_number=""))

    assert_rejected(app, response, "id_number", "必填", before)


# --- duplicates -------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    ["same", "lowercase_x", "spaced", "legacy_form"],
)
def test_register_duplicate_id(app, client, variant):
    number = id_ending_in_x()
    assert register(client, registration_data(app, id_number=number)).status_code == 302
    before = account_count(app)
    typed = {
        "same": number,
        "lowercase_x": number.lower(),
        "spaced": f"{number[:6]} {number[6:14]} {number[14:].lower()}",
        # The 15-digit form drops the century "19" and the check character.
        "legacy_form": number[:6] + number[8:17],
    }[variant]

    response = register(
        client, registration_data(app, id_number=typed, mobile="13900000003")
    )

    assert_rejected(app, response, "id_number", "已注册", before)


def test_register_duplicate_id_of_legacy_form(app, client):
    # An account registered with a 15-digit number blocks its 18-character form.
    legacy = FUSHUN_AREA + "850315" + "123"
    assert register(client, registration_data(app, id_number=legacy)).status_code == 302
    before = account_count(app)

    response = register(
        client,
        registration_data(
            app, id_number=make_id(birth="19850315"), mobile="13900000003"
        ),
    )

    assert_rejected(app, response, "id_number", "已注册", before)


@pytest.mark.parametrize(
    "typed",
    [DEMO_EMPLOYEE_MOBILE, "+86 138-0000-0001"],
    ids=["plain", "formatted"],
)
def test_register_duplicate_mobile(app, client, typed):
    before = account_count(app)

    response = register(client, registration_data(app, mobile=typed))

    assert_rejected(app, response, "mobile", "已被其他账号使用", before)


def test_register_invalid_mobile(app, client):
    before = account_count(app)

    for typed in ["12345", "12900000002", "1390000000a", "+1 415 555 0100"]:
        response = register(client, registration_data(app, mobile=typed))
        assert_rejected(app, response, "mobile", "手机号", before)


# --- password ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        pytest.param("Ab1!", "密码太短", id="too_short"),
        pytest.param("abcdefghij", "至少 3 类", id="one_class"),
        pytest.param("abcdefgh12", "至少 3 类", id="two_classes"),
        pytest.param("Pw!" + MOBILE, "不能包含手机号", id="contains_mobile"),
        pytest.param("Pw!" + make_id().lower(), "不能包含身份证号", id="contains_id"),
        pytest.param("A" * 129 + "b1", "密码太长", id="too_long"),
    ],
)
def test_register_weak_password(app, client, password, fragment):
    before = account_count(app)

    response = register(
        client, registration_data(app, password=password, password_confirm=password)
    )

    assert_rejected(app, response, "password", fragment, before)


def test_register_password_mismatch(app, client):
    before = account_count(app)

    response = register(client, registration_data(app, password_confirm=PASSWORD + "1"))

    assert_rejected(app, response, "password_confirm", "不一致", before)


def test_register_missing_name(app, client):
    before = account_count(app)

    response = register(client, registration_data(app, name="   "))

    assert_rejected(app, response, "name", "必填", before)


def test_register_keeps_typed_values(app, client):
    # A rejected form shows what was typed, except the passwords.
    response = register(client, registration_data(app, password_confirm="other"))

    html = response.get_data(as_text=True)
    assert 'value="李四"' in html
    assert f'value="{MOBILE}"' in html
    assert PASSWORD not in html


# --- unit cascade -----------------------------------------------------------


def test_register_province_outside_region(app, client):
    before = account_count(app)
    data = registration_data(
        app,
        province=str(unit_id(app, "NC-BJ")),
        city=str(unit_id(app, "NC-BJ-HQ")),
        county="",
    )

    response = register(client, data)

    assert_rejected(app, response, "province", "无效", before)


def test_register_city_outside_province(app, client):
    before = account_count(app)
    data = registration_data(app, city=str(unit_id(app, "NE-JL-CC")), county="")

    response = register(client, data)

    assert_rejected(app, response, "city", "无效", before)


def test_register_county_outside_city(app, client):
    before = account_count(app)
    data = registration_data(app, county=str(unit_id(app, "NE-LN-SY-KP")))

    response = register(client, data)

    assert_rejected(app, response, "county", "无效", before)


@pytest.mark.parametrize("field", ["region", "province", "city", "county"])
def test_register_nonexistent_unit(app, client, field):
    before = account_count(app)

    response = register(client, registration_data(app, **{field: "999999"}))

    assert_rejected(app, response, field, "无效", before)


def test_register_unit_at_wrong_level(app, client):
    # A county unit offered as the work unit is not a city-level unit.
    before = account_count(app)
    data = registration_data(app, city=str(unit_id(app, "NE-LN-FS-XB")), county="")

    response = register(client, data)

    assert_rejected(app, response, "city", "无效", before)


@pytest.mark.parametrize(
    ("value", "message"),
    [("", "此项为必填项"), ("None", "请选择工作单位"), ("abc", "请选择工作单位")],
    ids=["empty", "placeholder", "not_a_number"],
)
def test_register_missing_work_unit(app, client, value, message):
    # A registration stopping at the province would bind the account to the
    # province itself; head-office staff choose the province's 本部 node.
    before = account_count(app)

    response = register(client, registration_data(app, city=value, county=""))

    assert_rejected(app, response, "city", message, before)


def test_register_missing_region(app, client):
    before = account_count(app)
    data = registration_data(app, region="", province="", city="", county="")

    response = register(client, data)

    assert_rejected(app, response, "region", "此项为必填项", before)
    assert len(field_errors(response.get_data(as_text=True))["region"]) == 1


def test_register_inactive_county(app, client):
    with app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == "NE-LN-FS-XB"))
        unit.active = False
        db.session.commit()
    before = account_count(app)

    response = register(client, registration_data(app))

    assert_rejected(app, response, "county", "无效", before)


def test_register_page_offers_children_of_choice(app, client):
    # After a rejected POST the cascade offers the children of what was chosen.
    response = register(client, registration_data(app, password_confirm="other"))

    html = response.get_data(as_text=True)
    assert "国网新宾县供电公司" in html
    assert "国网康平县供电公司" not in html


def test_register_page_get(client):
    response = client.get("/register/")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="register-form"' in html
    assert "东北区域" in html


def test_register_when_logged_in(employee_client):
    response = employee_client.get("/register/")

    assert response.status_code == 302
    assert "/register/" not in response.headers["Location"]


# --- cascade JSON -----------------------------------------------------------


def test_units_api_roots(client):
    response = client.get("/api/choices/units")

    assert response.status_code == 200
    names = [item["name"] for item in response.get_json()]
    assert "东北区域" in names
    assert "华北区域" in names
    assert "国网辽宁电力有限公司" not in names


def test_units_api_children(app, client):
    response = client.get(f"/api/choices/units?parent={unit_id(app, 'NE-LN-FS')}")

    items = response.get_json()
    names = {item["name"] for item in items}
    assert "国网新宾县供电公司" in names
    assert "国网康平县供电公司" not in names
    assert {item["id"] for item in items} >= {unit_id(app, "NE-LN-FS-XB")}


def test_units_api_active_only(app, client):
    with app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == "NE-LN-FS-QY"))
        unit.active = False
        db.session.commit()

    response = client.get(f"/api/choices/units?parent={unit_id(app, 'NE-LN-FS')}")

    ids = {item["id"] for item in response.get_json()}
    assert unit_id(app, "NE-LN-FS-QY") not in ids
    assert unit_id(app, "NE-LN-FS-XB") in ids


@pytest.mark.parametrize("parent", ["abc", "999999", ""])
def test_units_api_bad_parent(client, parent):
    response = client.get(f"/api/choices/units?parent={parent}")

    assert response.status_code == 200
    assert response.get_json() == []


# --- CSRF -------------------------------------------------------------------

_CSRF_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _CSRF_TOKEN.search(html) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', html
    )
    assert match, "no csrf_token field in the page"
    return match.group(1)


def test_register_without_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    before = account_count(app)

    response = client.post("/register/", data=registration_data(app))

    assert response.status_code == 400
    assert account_count(app) == before


def test_register_with_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = csrf_token(client.get("/register/").get_data(as_text=True))

    response = client.post(
        "/register/", data={**registration_data(app), "csrf_token": token}
    )

    assert response.status_code == 302
    assert find_account(app, id_number=make_id()) is not None


def test_login_with_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = csrf_token(client.get("/login/").get_data(as_text=True))

    response = client.post(
        "/login/",
        data={
            "username": DEMO_EMPLOYEE_ID,
            "password": DEMO_PASSWORD,
            "csrf_token": token,
        },
    )

    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "_user_id" in session


def test_login_without_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()

    response = client.post(
        "/login/", data={"username": DEMO_EMPLOYEE_ID, "password": DEMO_PASSWORD}
    )

    assert response.status_code == 400
    with client.session_transaction() as session:
        assert "_user_id" not in session
