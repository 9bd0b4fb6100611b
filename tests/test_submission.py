"""预算学时 and 提交: the four-year table, normal and exception submissions, the snapshot."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa

from app.demo import DEMO_EMPLOYEE_ID
from app.extensions import db
from app.glossary import RoleName
from app.models import Account, Activity, Application, Profile, ReviewEvent, Unit
from tests.conftest import id_number_with_check
from tests.test_activities import PDF_BYTES, add_activity

THIS_YEAR = dt.date.today().year
# The demo employee applies this year by 评审, which requires the three years before.
REQUIRED_YEARS = [THIS_YEAR - 3, THIS_YEAR - 2, THIS_YEAR - 1]


def add_on(client, code, year, **inputs):
    response = client.post(
        f"/activities/{code}/add",
        data={"name": f"{year}年活动", "start_date": f"{year}-05-10", **inputs},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]


def fill_compliant_year(client, year):
    """Public 10, compulsory 20, elective 64: total 94, professional 84."""
    add_on(client, "public_subject", year, in_course_hours="10")
    add_on(client, "compulsory_course", year, in_course_hours="20")
    add_on(client, "face_to_face_training", year, in_days="8")


def applications(app) -> list[Application]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Application)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def events(app) -> list[ReviewEvent]:
    with app.app_context():
        rows = db.session.scalars(sa.select(ReviewEvent)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def test_home_shows_manual_table(employee_client):
    page = employee_client.get("/").get_data(as_text=True)

    for label in ("公需科目(10学时)", "专业科目(60学时)", "必修专业课(20学时)", "选修专业课", "总学时(90学时)"):
        assert label in page
    for label in ("姓名:", "身份证号:", "区域名称:", "省(直属)单位:", "工作单位:", "县单位(部门):",
                  "现职称等级:", "现职称:", "现职称取得时间:", "拟申报年份:", "拟申报方式:",
                  "拟申报职称等级:", "拟申报专业:", "拟申报分支专业:", "拟申报职称:"):
        assert label in page
    assert "政工师" in page
    assert "2018-02-15" in page
    for year in range(THIS_YEAR - 3, THIS_YEAR + 1):
        assert f'data-year="{year}"' in page
    for stage in ("申报阶段", "单位审核", "查看结果"):
        assert stage in page


def test_budget_shows_figures_and_working(employee_client):
    year = THIS_YEAR - 1
    add_on(employee_client, "face_to_face_training", year, in_days="3")
    add_on(employee_client, "public_subject", year, in_course_hours="4")

    page = employee_client.get("/budget/").get_data(as_text=True)

    assert "3天 × 8学时/天 = 24学时" in page
    row = page.split(f'data-year="{year}"')[1].split("</tr>")[0]
    cells = [cell.split(">")[-1] for cell in row.split("</td>")[:-1]]
    assert cells[1:5] == ["4", "0", "24", "28"]
    assert "公需科目 4学时，少于 10学时" in page


def test_short_year_refused_without_exception(app, employee_client):
    fill_compliant_year(employee_client, REQUIRED_YEARS[0])
    fill_compliant_year(employee_client, REQUIRED_YEARS[1])
    add_on(employee_client, "public_subject", REQUIRED_YEARS[2], in_course_hours="8")

    response = employee_client.post("/budget/submit", data={})

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"{REQUIRED_YEARS[2]}年 公需科目 8学时，少于 10学时" in page
    assert "请选择破格类型" in page
    assert applications(app) == []


def test_exception_needs_reason_and_scan(app, employee_client):
    response = employee_client.post(
        "/budget/submit", data={"exception_type": "sick_or_maternity_leave"}
    )

    page = response.get_data(as_text=True)
    assert "请填写情况说明" in page
    assert "请上传单位盖章版佐证材料" in page
    assert applications(app) == []


def test_exception_type_must_exist(app, employee_client):
    response = employee_client.post(
        "/budget/submit",
        data={
            "exception_type": "bogus",
            "exception_reason": "因长期病假无法参加培训，特此说明。",
            "exception_scan": (io.BytesIO(PDF_BYTES), "盖章证明.pdf"),
        },
        content_type="multipart/form-data",
    )

    assert "所选破格类型无效" in response.get_data(as_text=True)
    assert applications(app) == []


def test_exception_scan_checked_by_content(app, employee_client, tmp_path):
    response = employee_client.post(
        "/budget/submit",
        data={
            "exception_type": exception_code(app),
            "exception_reason": "因长期病假无法参加培训，特此说明。",
            "exception_scan": (io.BytesIO(b"not a pdf at all"), "盖章证明.pdf"),
        },
        content_type="multipart/form-data",
    )

    assert response.status_code == 200
    assert applications(app) == []
    assert not any(path.is_file() for path in (tmp_path / "uploads").rglob("*"))


def exception_code(app) -> str:
    from app import rules

    return rules.load_ruleset().exception_types[0].code


def test_submit_with_exception(app, employee_client, login_as):
    add_on(employee_client, "public_subject", REQUIRED_YEARS[2], in_course_hours="8")
    code = exception_code(app)

    response = employee_client.post(
        "/budget/submit",
        data={
            "exception_type": code,
            "exception_reason": "因长期病假无法参加培训，特此说明。",
            "exception_scan": (io.BytesIO(PDF_BYTES), "单位盖章证明.pdf"),
        },
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    [application] = applications(app)
    assert application.is_exception
    assert application.exception_type == code
    assert application.exception_scan_name == "单位盖章证明.pdf"
    assert not application.compliant
    [event] = events(app)
    assert event.action == "submit_application"
    assert event.to_status == "pending"

    scan = login_as("fushun_reviewer").get(f"/budget/applications/{application.id}/scan")
    assert scan.status_code == 200
    assert scan.data == PDF_BYTES


def test_compliant_submission_and_snapshot(app, employee_client):
    for year in REQUIRED_YEARS:
        fill_compliant_year(employee_client, year)

    response = employee_client.post("/budget/submit", data={})
    assert response.status_code == 302

    [application] = applications(app)
    assert application.compliant
    assert not application.is_exception
    assert application.status == "pending"
    assert application.ruleset_version == application.snapshot["ruleset_version"]
    year_figures = application.snapshot["years"][str(REQUIRED_YEARS[0])]["totals"]
    assert year_figures["total"] == "94"
    assert year_figures["professional"] == "84"
    assert len(application.snapshot["activities"]) == 9
    with app.app_context():
        fushun = db.session.scalar(sa.select(Unit).where(Unit.code == "NE-LN-FS"))
        assert application.review_unit_id == fushun.id

    # Later changes to the records do not reach the frozen figures.
    with app.app_context():
        for activity in db.session.scalars(sa.select(Activity)):
            activity.inputs = {"course_hours": "1", "days": "1"}
        db.session.commit()
    [again] = applications(app)
    assert again.snapshot == application.snapshot


def test_submitted_years_are_read_only(app, employee_client):
    for year in REQUIRED_YEARS:
        fill_compliant_year(employee_client, year)
    employee_client.post("/budget/submit", data={})
    with app.app_context():
        activity = db.session.scalars(
            sa.select(Activity).where(Activity.year == REQUIRED_YEARS[0])
        ).first()
        activity_id, inputs = activity.id, dict(activity.inputs)

    edit = employee_client.post(
        f"/activities/{activity_id}/edit",
        data={"name": "改", "start_date": f"{REQUIRED_YEARS[0]}-05-10", "in_course_hours": "99"},
    )
    delete = employee_client.post(f"/activities/{activity_id}/delete")
    evidence = employee_client.post(
        f"/activities/{activity_id}/evidence",
        data={"scan_type": "certificate", "file": (io.BytesIO(PDF_BYTES), "a.pdf")},
        content_type="multipart/form-data",
    )

    assert edit.status_code == 302
    assert delete.status_code == 302
    assert evidence.status_code == 302
    with app.app_context():
        activity = db.session.get(Activity, activity_id)
        assert activity is not None
        assert activity.inputs == inputs
        assert activity.evidence == []
    # A year outside the application is still open.
    add_activity(employee_client, "paper", in_author_role="first")


def test_second_submission_refused(app, employee_client):
    for year in REQUIRED_YEARS:
        fill_compliant_year(employee_client, year)
    employee_client.post("/budget/submit", data={})

    response = employee_client.post("/budget/submit", data={})

    assert "正在审核中" in response.get_data(as_text=True)
    assert len(applications(app)) == 1
    assert len(events(app)) == 1


def test_incomplete_profile_cannot_submit(app, make_account, login_as):
    id_number = id_number_with_check("21040219920202123")
    make_account(id_number, RoleName.EMPLOYEE, "NE-LN-FS", id_number=id_number, mobile="13900000003")
    client = login_as(id_number)

    response = client.post("/budget/submit", data={})

    assert "完善个人信息" in response.get_data(as_text=True)
    assert applications(app) == []


def copy_demo_profile(app, account_id):
    with app.app_context():
        demo = db.session.scalar(sa.select(Account).where(Account.username == DEMO_EMPLOYEE_ID))
        source = db.session.get(Profile, demo.id)
        columns = {c.name: getattr(source, c.name) for c in Profile.__table__.columns}
        columns["user_id"] = account_id
        db.session.add(Profile(**columns))
        db.session.commit()


def submit_compliant(client):
    for year in REQUIRED_YEARS:
        fill_compliant_year(client, year)
    response = client.post("/budget/submit", data={})
    assert response.status_code == 302


def test_pending_list_of_reviewing_unit(app, employee_client, make_account, login_as):
    submit_compliant(employee_client)
    make_account("shenyang_reviewer", RoleName.CITY_REVIEWER, "NE-LN-SY")

    fushun = login_as("fushun_reviewer").get("/review/")
    page = fushun.get_data(as_text=True)
    assert fushun.status_code == 200
    assert "张三" in page
    assert "210402********1235"[:6] in page
    assert DEMO_EMPLOYEE_ID not in page
    for column in ("姓名", "身份证号", "申报年份", "学时", "是否合格", "审核结果", "是否审核",
                   "审核类型", "现职称等级", "年度", "情况说明", "查看情况说明附件"):
        assert column in page

    assert "张三" not in login_as("shenyang_reviewer").get("/review/").get_data(as_text=True)
    # The province reviews after the city unit, so the row is not yet in its list.
    assert "张三" not in login_as("liaoning_reviewer").get("/review/").get_data(as_text=True)


def test_head_office_goes_to_province(app, make_account, login_as):
    id_number = id_number_with_check("21010219800101123")
    account_id = make_account(
        id_number, RoleName.EMPLOYEE, "NE-LN-HQ", id_number=id_number, mobile="13900000004"
    )
    copy_demo_profile(app, account_id)
    submit_compliant(login_as(id_number))

    [application] = applications(app)
    with app.app_context():
        liaoning = db.session.scalar(sa.select(Unit).where(Unit.code == "NE-LN"))
        assert application.review_unit_id == liaoning.id
    page = login_as("liaoning_reviewer").get("/review/").get_data(as_text=True)
    assert "测试" in page


def test_review_show_out_of_scope(app, employee_client, make_account, login_as):
    submit_compliant(employee_client)
    [application] = applications(app)
    make_account("shenyang_reviewer", RoleName.CITY_REVIEWER, "NE-LN-SY")

    assert login_as("fushun_reviewer").get(f"/review/{application.id}").status_code == 200
    assert login_as("shenyang_reviewer").get(f"/review/{application.id}").status_code == 404
    assert employee_client.get("/review/").status_code == 403
    scan_url = f"/budget/applications/{application.id}/scan"
    assert login_as("shenyang_reviewer").get(scan_url).status_code == 404


@pytest.mark.parametrize("url", ["/review/add", "/review/edit/1", "/review/delete/1"])
def test_review_has_no_generic_crud(app, login_as, url):
    assert login_as("fushun_reviewer").get(url).status_code == 404
    assert login_as("fushun_reviewer").post(url).status_code in (404, 405)
