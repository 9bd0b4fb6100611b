"""批量导入: Excel templates and the all-or-nothing import of units and reviewers.

Files are built with openpyxl the way Excel saves them: text cells stay
strings, and a number typed into a column not formatted as text becomes an
int or float cell.
"""

from __future__ import annotations

import html
import io
import re
import zipfile

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from app.admin_catalogue_reviewer_import import COLUMNS as REVIEWER_COLUMNS
from app.admin_catalogue_unit_import import COLUMNS as UNIT_COLUMNS
from app.demo import DEMO_EMPLOYEE_ID, DEMO_EMPLOYEE_MOBILE
from app.extensions import db
from app.glossary import RoleName
from app.models import Account, AuditEntry, Unit
from tests.conftest import id_number_with_check

UNIT_HEADERS = [column.header for column in UNIT_COLUMNS]
REVIEWER_HEADERS = [column.header for column in REVIEWER_COLUMNS]
TEXT_FORMAT_MESSAGE = "请将该列设置为文本格式后重新填写"


def xlsx(headers, rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, kind, content, name="导入.xlsx"):
    return client.post(
        f"/catalogue/import/upload/{kind}",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def problems_of(response) -> list[tuple[int, str, str]]:
    found = re.findall(
        r'<td class="row-number">(\d+)</td><td class="field">(.*?)</td><td class="message">(.*?)</td>',
        response.get_data(as_text=True),
    )
    return [
        (int(row), html.unescape(field), html.unescape(message))
        for row, field, message in found
    ]


def has_problem(problems, row, field, text) -> bool:
    return any(p[0] == row and p[1] == field and text in p[2] for p in problems)


def count(app, model, *conditions) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(model).where(*conditions)
        )


def reviewer_row(number, *, unit="NE-LN-FS", role=RoleName.CITY_REVIEWER, password=""):
    """A valid reviewer row; `number` makes the username, ID and mobile unique."""
    return [
        f"审核员{chr(0x4E00 + number)}",
        f"reviewer{number:03d}",
        id_number_with_check(f"21040219850101{number:03d}"),
        f"1370000{number:04d}",
        unit,
        role,
        password,
    ]


# Templates


@pytest.mark.parametrize(
    ("kind", "headers"), [("units", UNIT_HEADERS), ("reviewers", REVIEWER_HEADERS)]
)
def test_template_columns_are_text(app, login_as, kind, headers):
    response = login_as("talent_admin").get(f"/catalogue/import/template/{kind}")

    assert response.status_code == 200
    assert (
        response.mimetype
        == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook.worksheets[0]
    assert [cell.value for cell in sheet[1]] == headers
    for index in range(1, len(headers) + 1):
        letter = sheet.cell(row=1, column=index).column_letter
        assert sheet.column_dimensions[letter].number_format == "@", letter
        assert sheet.cell(row=1, column=index).data_type == "s"
    assert sheet.max_row == 1
    assert workbook.sheetnames[1] == "填写说明"
    assert len(sheet.data_validations.dataValidation) >= 1


def test_unit_template_offers_level_list(app, login_as):
    response = login_as("superadmin").get("/catalogue/import/template/units")

    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    formulas = [
        validation.formula1 for validation in sheet.data_validations.dataValidation
    ]
    assert '"区域,省(直属)单位,地市级单位,县单位(部门)"' in formulas


# Units


def test_import_units_creates_tree(app, login_as):
    rows = [
        # Children before their parent: the import orders them itself.
        ["NE-LN-NEW", "NE-LN-NEW-A", "国网甲县供电公司", "县单位(部门)", "县供电公司"],
        ["NE-LN-NEW", "NE-LN-NEW-HR", "人力资源部", "县单位(部门)", "部门"],
        [
            "NE-LN",
            "NE-LN-NEW",
            "国网辽宁电力有限公司新城供电公司",
            "地市级单位",
            "地市供电公司",
        ],
        ["NE-LN-FS", "NE-LN-FS-DZ", "国网东洲区供电公司", "县单位(部门)", "县供电公司"],
    ]

    response = upload(login_as("talent_admin"), "units", xlsx(UNIT_HEADERS, rows))

    assert response.status_code == 200
    assert "已导入 4 个单位" in response.get_data(as_text=True)
    with app.app_context():
        by_code = {
            u.code: u
            for u in db.session.scalars(sa.select(Unit).where(Unit.code.like("NE-LN%")))
        }
        city, county, fushun = (
            by_code["NE-LN-NEW"],
            by_code["NE-LN-NEW-A"],
            by_code["NE-LN-FS"],
        )
        assert city.parent_id == by_code["NE-LN"].id
        assert city.path == f"{by_code['NE-LN'].path}{city.id}/"
        assert county.path == f"{city.path}{county.id}/"
        assert by_code["NE-LN-NEW-HR"].kind == "department"
        assert (
            by_code["NE-LN-FS-DZ"].path == f"{fushun.path}{by_code['NE-LN-FS-DZ'].id}/"
        )
        actions = db.session.scalars(sa.select(AuditEntry.action)).all()
        assert actions.count("unit.create") == 4
        assert actions.count("import.units") == 1


def test_import_units_reports_every_problem(app, login_as):
    before = count(app, Unit)
    rows = [
        [
            "NE-LN",
            "NE-LN-NEW",
            "国网辽宁电力有限公司新城供电公司",
            "地市级单位",
            "地市供电公司",
        ],  # row 2
        [
            "NE-LN",
            "NE-LN-NEW",
            "国网辽宁电力有限公司另一供电公司",
            "地市级单位",
            "地市供电公司",
        ],  # 3
        [
            "NE-LN-FS",
            "NE-LN-FS-XB",
            "国网某县供电公司",
            "县单位(部门)",
            "县供电公司",
        ],  # 4
        [
            "NE-LN-ZZ",
            "NE-LN-ZZ-A",
            "国网某县供电公司",
            "县单位(部门)",
            "县供电公司",
        ],  # 5
        ["NE-LN", "NE-LN-B", "国网某县供电公司", "县单位(部门)", "县供电公司"],  # 6
        ["NE-LN-FS", 1234, "国网某某县供电公司", "县单位(部门)", "县供电公司"],  # 7
        [
            "NE-LN-FS",
            "NE-LN-FS-C",
            "国网新宾县供电公司",
            "县单位(部门)",
            "县供电公司",
        ],  # 8
        [
            "NE-LN-FS",
            "NE-LN-FS-D",
            "国网丁县供电公司",
            "县单位(部门)",
            "地市供电公司",
        ],  # 9
        ["NE", "NX", "新区域", "区域", "区域"],  # 10
        ["NE-LN", "NE-LN-HQ2", "国网辽宁电力有限公司本部", "地市级单位", "本部"],  # 11
        [
            "NE-LN-FS",
            "NE-LN-SY-E",
            "国网戊县供电公司",
            "县单位(部门)",
            "县供电公司",
        ],  # 12
        ["", "NE-LN-FS-F", "国网己县供电公司", "县单位(部门)", "县供电公司"],  # 13
        ["NE-LN-FS", "NE-LN-FS-G", "国网庚县供电公司", "乡镇", "县供电公司"],  # 14
    ]

    response = upload(login_as("superadmin"), "units", xlsx(UNIT_HEADERS, rows))

    problems = problems_of(response)
    assert "未导入任何数据" in response.get_data(as_text=True)
    assert has_problem(problems, 3, "单位编码", "与第 2 行重复")
    assert has_problem(problems, 4, "单位编码", "NE-LN-FS-XB 已存在")
    assert has_problem(problems, 5, "上级单位编码", "NE-LN-ZZ 不存在")
    assert has_problem(problems, 6, "上级单位编码", "上级单位应为地市级单位")
    assert has_problem(problems, 7, "单位编码", TEXT_FORMAT_MESSAGE)
    assert has_problem(problems, 8, "单位名称", "已有名为「国网新宾县供电公司」的单位")
    assert has_problem(problems, 9, "类型", "县单位(部门)的类型只能是")
    assert has_problem(problems, 10, "上级单位编码", "区域是最高层级")
    assert has_problem(problems, 11, "类型", "已有本部")
    assert has_problem(problems, 12, "单位编码", "上级单位编码加一段")
    assert has_problem(problems, 13, "上级单位编码", "请填写上级单位编码")
    assert has_problem(problems, 14, "层级", "层级无效")
    assert not any(p[0] == 2 for p in problems)
    assert count(app, Unit) == before
    assert count(app, AuditEntry, AuditEntry.action.like("%unit%")) == 0


def test_import_units_name_repeated_in_file(app, login_as):
    rows = [
        ["NE-LN-FS", "NE-LN-FS-A", "国网甲县供电公司", "县单位(部门)", "县供电公司"],
        ["NE-LN-FS", "NE-LN-FS-B", "国网甲县供电公司", "县单位(部门)", "县供电公司"],
    ]

    problems = problems_of(
        upload(login_as("superadmin"), "units", xlsx(UNIT_HEADERS, rows))
    )

    assert problems == [(3, "单位名称", "与第 2 行在同一上级单位下重名。")]


# Reviewer accounts


def test_import_reviewers_creates_accounts(app, login_as):
    path = "东北区域/国网辽宁电力有限公司/国网辽宁电力有限公司沈阳供电公司"
    rows = [
        reviewer_row(1, password="Fushun@2026x"),
        reviewer_row(2, unit=path),
        reviewer_row(3, unit="NE-LN", role=RoleName.PROVINCE_REVIEWER),
        [
            "王五",
            "Reviewer004",
            "",
            "+86 137-0000-0004",
            "国网辽宁电力有限公司 / 国网辽宁电力有限公司大连供电公司",
            RoleName.CITY_REVIEWER,
            "",
        ],
    ]

    response = upload(
        login_as("talent_admin"), "reviewers", xlsx(REVIEWER_HEADERS, rows)
    )

    page = response.get_data(as_text=True)
    assert "已导入 4 个审核员账号" in page
    assert response.headers["Cache-Control"] == "no-store"
    passwords = dict(
        re.findall(
            r'<td class="username">(\w+)</td>.*?<td class="password"><code>(.*?)</code>',
            page,
        )
    )
    assert passwords["reviewer001"] == "（使用文件中的密码）"
    assert "Fushun@2026x" not in page
    with app.app_context():
        accounts = {
            a.username: a
            for a in db.session.scalars(
                sa.select(Account).where(Account.username.ilike("reviewer%"))
            )
        }
        assert set(accounts) == {
            "reviewer001",
            "reviewer002",
            "reviewer003",
            "Reviewer004",
        }
        assert accounts["reviewer001"].unit.code == "NE-LN-FS"
        assert accounts["reviewer002"].unit.code == "NE-LN-SY"
        assert accounts["Reviewer004"].unit.code == "NE-LN-DL"
        assert accounts["Reviewer004"].mobile == "13700000004"
        assert accounts["Reviewer004"].id_number is None
        assert [r.name for r in accounts["reviewer003"].roles] == [
            RoleName.PROVINCE_REVIEWER
        ]
        assert [r.name for r in accounts["reviewer001"].roles] == [
            RoleName.CITY_REVIEWER
        ]
        assert all(a.must_change_password for a in accounts.values())
        assert accounts["reviewer003"].id_number == id_number_with_check(
            "21040219850101003"
        )
        actions = db.session.scalars(sa.select(AuditEntry.action)).all()
        assert actions.count("account.import") == 4
        assert actions.count("import.reviewers") == 1
        assert "Fushun@2026x" not in str(
            db.session.scalars(sa.select(AuditEntry.details)).all()
        )

    login_as("reviewer001", "Fushun@2026x")
    login_as("reviewer002", html.unescape(passwords["reviewer002"]))


def test_bad_row_among_fifty_imports_nothing(app, login_as):
    rows = [reviewer_row(number) for number in range(1, 51)]
    # Sheet row 37 is the 36th data row, below the header in row 1.
    rows[35][2] = 210402198501010361

    response = upload(login_as("superadmin"), "reviewers", xlsx(REVIEWER_HEADERS, rows))

    problems = problems_of(response)
    assert len(problems) == 1
    [(row, field, message)] = problems
    assert row == 37
    assert field == "身份证号"
    assert TEXT_FORMAT_MESSAGE in message
    assert "共 50 行数据，发现 1 个问题，未导入任何数据" in response.get_data(
        as_text=True
    )
    assert count(app, Account, Account.username.like("reviewer%")) == 0
    assert count(app, AuditEntry) == 0


def test_numeric_mobile_and_float_id(app, login_as):
    rows = [reviewer_row(1), reviewer_row(2)]
    rows[0][3] = 13700000001
    rows[1][2] = 2.10402198501010e17

    problems = problems_of(
        upload(login_as("superadmin"), "reviewers", xlsx(REVIEWER_HEADERS, rows))
    )

    assert has_problem(problems, 2, "手机号", TEXT_FORMAT_MESSAGE)
    assert has_problem(problems, 3, "身份证号", TEXT_FORMAT_MESSAGE)


def test_duplicates_in_file_and_database(app, login_as):
    rows = [
        reviewer_row(1),
        reviewer_row(2),
        reviewer_row(3),
        reviewer_row(4),
        reviewer_row(5),
        reviewer_row(6),
    ]
    rows[1][1] = "REVIEWER001"  # row 3: username repeats row 2, whatever the case
    rows[2][3] = rows[0][3]  # row 4: mobile repeats row 2
    rows[3][2] = rows[0][2]  # row 5: ID number repeats row 2
    rows[4][1] = "fushun_reviewer"  # row 6: username of an existing account
    rows[5][3] = DEMO_EMPLOYEE_MOBILE  # row 7: the demo employee's mobile
    rows[5][2] = DEMO_EMPLOYEE_ID.lower()  # and ID number, typed with a lowercase x

    problems = problems_of(
        upload(login_as("superadmin"), "reviewers", xlsx(REVIEWER_HEADERS, rows))
    )

    assert has_problem(problems, 3, "用户名", "与第 2 行重复")
    assert has_problem(problems, 4, "手机号", "与第 2 行重复")
    assert has_problem(problems, 5, "身份证号", "与第 2 行重复")
    assert has_problem(problems, 6, "用户名", "已被其他账号使用")
    assert has_problem(problems, 7, "手机号", "已被其他账号使用")
    assert has_problem(problems, 7, "身份证号", "已被其他账号使用")
    assert not any(p[0] == 2 for p in problems)
    assert count(app, Account, Account.username.like("reviewer%")) == 0


def test_unit_must_match_role_level(app, login_as):
    rows = [
        reviewer_row(1, unit="NE-LN", role=RoleName.CITY_REVIEWER),
        reviewer_row(2, unit="NE-LN-FS", role=RoleName.PROVINCE_REVIEWER),
        reviewer_row(3, unit="NE-LN-HQ", role=RoleName.CITY_REVIEWER),
        reviewer_row(4, unit="NE-LN-FS-XB", role=RoleName.CITY_REVIEWER),
        reviewer_row(5, unit="NE-LN-ZZ"),
        reviewer_row(6, role="管理员"),
        reviewer_row(7, unit="东北区域/国网辽宁电力有限公司/不存在的公司"),
    ]

    problems = problems_of(
        upload(login_as("talent_admin"), "reviewers", xlsx(REVIEWER_HEADERS, rows))
    )

    city_rule = "地市级审核员只能绑定地市级审核单位"
    assert has_problem(
        problems,
        2,
        "单位编码",
        f"{city_rule}（地市供电公司或省公司所属单位），“国网辽宁电力有限公司”不是。",
    )
    assert has_problem(problems, 3, "单位编码", "省公司级审核员只能绑定省公司级单位")
    assert has_problem(
        problems,
        4,
        "单位编码",
        f"{city_rule}（地市供电公司或省公司所属单位），“国网辽宁电力有限公司本部”不是。",
    )
    assert has_problem(problems, 5, "单位编码", city_rule)
    assert has_problem(problems, 6, "单位编码", "单位编码 NE-LN-ZZ 不存在")
    assert has_problem(problems, 7, "角色", "角色只能是")
    assert has_problem(problems, 8, "单位编码", "「不存在的公司」不存在")
    assert count(app, Account, Account.username.like("reviewer%")) == 0


def test_inactive_unit_rejected(app, login_as):
    client = login_as("superadmin")
    with app.app_context():
        fushun_id = db.session.scalar(sa.select(Unit.id).where(Unit.code == "NE-LN-FS"))
    client.post(
        "/catalogue/units/action_post",
        data={"action": "deactivate", "rowid": [fushun_id]},
    )

    problems = problems_of(
        upload(client, "reviewers", xlsx(REVIEWER_HEADERS, [reviewer_row(1)]))
    )

    assert problems == [
        (2, "单位编码", "单位“国网辽宁电力有限公司抚顺供电公司”已停用，不能绑定。")
    ]


def test_password_and_identity_checks(app, login_as):
    rows = [
        reviewer_row(1, password="short"),
        reviewer_row(2, password="reviewer002@Abc"),
        reviewer_row(3),
        reviewer_row(4),
        reviewer_row(5),
    ]
    rows[2][2] = "210402198501010000"
    rows[3][3] = "12345"
    rows[4][0] = "X"
    rows[4][1] = "5reviewer"

    problems = problems_of(
        upload(login_as("superadmin"), "reviewers", xlsx(REVIEWER_HEADERS, rows))
    )

    assert has_problem(problems, 2, "初始密码", "密码太短")
    assert has_problem(problems, 3, "初始密码", "密码不能包含用户名")
    assert has_problem(problems, 4, "身份证号", "校验位不正确")
    assert has_problem(problems, 5, "手机号", "手机号格式不正确")
    assert has_problem(problems, 6, "姓名", "姓名应为 2 至 40 个汉字或字母")
    assert has_problem(problems, 6, "用户名", "用户名须以英文字母开头")
    assert not any("210402198501010000" in p[2] for p in problems)


def test_required_cells(app, login_as):
    row = reviewer_row(1)
    row[0] = ""
    row[3] = None

    problems = problems_of(
        upload(login_as("superadmin"), "reviewers", xlsx(REVIEWER_HEADERS, [row]))
    )

    assert (2, "姓名", "请填写姓名。") in problems
    assert (2, "手机号", "请填写手机号。") in problems


# Files


def docx_like() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("姓名,用户名\n张三,zhangsan\n".encode(), "文件不是 Excel 工作簿（.xlsx）"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512,
            "文件不是 Excel 工作簿（.xlsx）",
        ),
        (docx_like(), "文件不是 Excel 工作簿（.xlsx）"),
        (b"PK\x03\x04broken", "文件不是 Excel 工作簿（.xlsx）"),
        (b"x" * (2 * 1024 * 1024 + 1), "文件超过 2MB"),
        (
            xlsx(["姓名", "用户名"], [["张三", "zhangsan"]]),
            "缺少列：身份证号、手机号、单位编码、角色、初始密码",
        ),
        (xlsx(REVIEWER_HEADERS, []), "文件中没有数据行"),
    ],
)
def test_rejects_file_as_a_whole(app, login_as, content, message):
    response = upload(login_as("superadmin"), "reviewers", content, name="审核员.xlsx")

    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert problems_of(response) == []
    assert count(app, AuditEntry) == 0


def test_rejects_too_many_rows(app, login_as):
    rows = [reviewer_row(number) for number in range(1, 502)]

    response = upload(login_as("superadmin"), "reviewers", xlsx(REVIEWER_HEADERS, rows))

    assert "数据超过 500 行" in response.get_data(as_text=True)


def test_missing_file_and_unknown_kind(app, login_as):
    client = login_as("superadmin")

    assert "请选择要导入的 Excel 文件" in client.post(
        "/catalogue/import/upload/units"
    ).get_data(as_text=True)
    assert client.post("/catalogue/import/upload/accounts").status_code == 404
    assert client.get("/catalogue/import/template/accounts").status_code == 404


def test_upload_needs_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login_page = client.get("/login/").get_data(as_text=True)
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', login_page
    ).group(1)
    client.post(
        "/login/",
        data={"username": "superadmin", "password": "Demo@2026ce", "csrf_token": token},
    )
    content = xlsx(
        UNIT_HEADERS,
        [
            [
                "NE-LN-FS",
                "NE-LN-FS-DZ",
                "国网东洲区供电公司",
                "县单位(部门)",
                "县供电公司",
            ]
        ],
    )

    rejected = upload(client, "units", content)
    page = client.get("/catalogue/import/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    accepted = client.post(
        "/catalogue/import/upload/units",
        data={"file": (io.BytesIO(content), "单位.xlsx"), "csrf_token": token},
        content_type="multipart/form-data",
    )

    assert rejected.status_code == 400
    assert "已导入 1 个单位" in accepted.get_data(as_text=True)
