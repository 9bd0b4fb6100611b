"""导出 and 导出学时报表 through the real views: cells, scope and file names."""

from __future__ import annotations

import io
import urllib.parse

import openpyxl
import sqlalchemy as sa

from app.extensions import db
from app.glossary import RoleName
from app.models import Account
from tests.test_review_flow import act, selection
from tests.test_submission import applications, submit_compliant


def workbook(response):
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return openpyxl.load_workbook(io.BytesIO(response.data))


def test_qualified_export_cells(app, employee_client, login_as):
    # A name that would be a formula if written as one must stay text.
    with app.app_context():
        account = db.session.scalar(sa.select(Account).where(Account.mobile == "13800000001"))
        account.first_name = "=HYPERLINK(\"x\")\x07"
        db.session.commit()
    submit_compliant(employee_client)
    city = login_as("fushun_reviewer")
    act(city, "pass", selection(app))

    response = city.get("/review/export")

    disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''" + urllib.parse.quote("审核合格人员名单.xlsx") in disposition
    sheet = workbook(response).active
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["序号", "姓名", "身份证号", "手机号"]
    row = sheet[2]
    values = {name: cell for name, cell in zip(header, row)}
    [application] = applications(app)
    assert values["身份证号"].value == application.applicant_id_number
    assert values["身份证号"].data_type == "s"
    assert values["手机号"].value == "13800000001"
    assert values["手机号"].data_type == "s"
    assert values["姓名"].value == "=HYPERLINK(\"x\")"
    assert values["姓名"].data_type == "s"
    assert values["审核结果"].value == "合格"
    assert sheet.max_row == 2


def test_export_lists_only_passed_rows_in_scope(app, employee_client, login_as, make_account):
    submit_compliant(employee_client)
    make_account("shenyang_reviewer", RoleName.CITY_REVIEWER, "NE-LN-SY")
    city = login_as("fushun_reviewer")

    assert workbook(city.get("/review/export")).active.max_row == 1
    act(city, "pass", selection(app))
    assert workbook(city.get("/review/export")).active.max_row == 2
    assert workbook(city.get("/review/export?name=李")).active.max_row == 1
    assert workbook(login_as("shenyang_reviewer").get("/review/export")).active.max_row == 1


def test_hour_report(app, employee_client, login_as):
    submit_compliant(employee_client)
    city = login_as("fushun_reviewer")
    [application] = applications(app)

    response = city.get(f"/review/report?year={application.year}")

    sheet = workbook(response).active
    texts = [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value]
    assert any("抚顺供电公司" in text and f"{application.year}年" in text for text in texts)
    assert application.applicant_id_number in texts
    assert any("盖章" in text for text in texts)
    assert city.get("/review/report?year=99999").status_code == 400


def test_employee_cannot_export(employee_client):
    assert employee_client.get("/review/export").status_code == 403
    assert employee_client.get("/review/report").status_code == 403
