"""Edge cases of the review screens: moved employees, links, huge ids, self-review."""

from __future__ import annotations

import io

import sqlalchemy as sa

from app.extensions import db
from app.glossary import RoleName
from app.models import Account, Activity, Evidence, Unit
from tests.test_activities import PDF_BYTES
from tests.test_review_flow import act, selection
from tests.test_submission import applications, events, submit_compliant


def unit_id(app, code):
    with app.app_context():
        return db.session.scalar(sa.select(Unit.id).where(Unit.code == code))


def test_unit_change_refused_under_review(app, employee_client):
    submit_compliant(employee_client)
    form = employee_client.get("/profile/edit").get_data(as_text=True)
    assert form

    from app.models import Profile

    with app.app_context():
        account = db.session.scalar(sa.select(Account).where(Account.mobile == "13800000001"))
        account_id, before = account.id, account.unit_id
        profile = db.session.get(Profile, account.id)
        data = {
            "mobile": "13800000001",
            "region": unit_id(app, "NE"),
            "province": unit_id(app, "NE-LN"),
            "city": unit_id(app, "NE-LN-SY"),
            "current_level": profile.current_level_id,
            "current_title": profile.current_title_id,
            "title_obtained_on": profile.title_obtained_on.isoformat(),
            "target_year": profile.target_year,
            "target_method": profile.target_method,
            "target_level": profile.target_level_id,
            "target_series": profile.target_series_id,
            "target_subspecialty": profile.target_subspecialty_id,
            "target_title": profile.target_title_id,
        }
    response = employee_client.post("/profile/edit", data=data)

    assert "申报审核期间不能修改所在单位" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Account, account_id).unit_id == before


def test_evidence_follows_application_after_move(app, employee_client, login_as):
    submit_compliant(employee_client)
    with app.app_context():
        activity = db.session.scalars(sa.select(Activity)).first()
        db.session.add(
            Evidence(
                activity_id=activity.id,
                scan_type="certificate",
                stored_path="aa/bb/missing.pdf",
                original_name="证书.pdf",
                content_type="application/pdf",
                size=10,
                sha256="0" * 64,
            )
        )
        db.session.commit()
        evidence_id = db.session.scalar(sa.select(Evidence.id))
        # The employee moved to 沈阳 after submitting (e.g. by an administrator).
        owner_id = activity.owner_id
        account = db.session.get(Account, owner_id)
        account.unit_id = db.session.scalar(sa.select(Unit.id).where(Unit.code == "NE-LN-SY"))
        db.session.commit()

    # 抚顺 reviews the application, so it keeps access (the file itself is
    # missing here, which the view reports as 404 only after the scope check).
    fushun = login_as("fushun_reviewer")
    assert fushun.get(f"/review/{applications(app)[0].id}").status_code == 200
    with app.app_context():
        from app.scope import may_see_records_of

        reviewer = db.session.scalar(sa.select(Account).where(Account.username == "fushun_reviewer"))
        assert may_see_records_of(reviewer, owner_id)


def test_detail_back_link_is_local(app, employee_client, login_as):
    submit_compliant(employee_client)
    [application] = applications(app)
    city = login_as("fushun_reviewer")

    for back in ("javascript:alert(1)", "//evil.example", "http://evil.example/review/"):
        page = city.get(f"/review/{application.id}", query_string={"back": back}).get_data(
            as_text=True
        )
        assert back not in page


def test_huge_ids_in_actions(app, employee_client, login_as):
    submit_compliant(employee_client)
    city = login_as("fushun_reviewer")

    for rows in ("99999999999999999999999:1", "9223372036854775808:1", "1:99999999999999999999"):
        response = act(city, "pass", [rows])
        assert response.status_code == 302
    response = city.post("/review/action", data={"row_action": "pass:99999999999999999999:2"})
    assert response.status_code == 302
    assert applications(app)[0].city_decision is None
    assert len(events(app)) == 1


def test_reviewer_cannot_review_own_application(app, make_account, login_as):
    from tests.conftest import id_number_with_check
    from tests.test_submission import copy_demo_profile

    id_number = id_number_with_check("21040219800808123")
    account_id = make_account(
        id_number, RoleName.EMPLOYEE, "NE-LN-FS", id_number=id_number, mobile="13900000011"
    )
    copy_demo_profile(app, account_id)
    submit_compliant(login_as(id_number))
    with app.app_context():
        account = db.session.get(Account, account_id)
        account.roles = account.roles + [app.appbuilder.sm.find_role(RoleName.CITY_REVIEWER)]
        db.session.commit()

    client = login_as(id_number)
    act(client, "pass", selection(app))

    assert applications(app)[0].city_decision is None
    assert "不能审核本人的申报" in client.get("/review/").get_data(as_text=True)


def test_city_export_leaves_out_final_fail(app, employee_client, login_as):
    import openpyxl

    submit_compliant(employee_client)
    city = login_as("fushun_reviewer")
    province = login_as("liaoning_reviewer")
    act(city, "pass", selection(app))
    act(city, "submit", selection(app))
    act(province, "fail", selection(app), reason="不符合要求")
    act(province, "submit", selection(app))

    sheet = openpyxl.load_workbook(io.BytesIO(city.get("/review/export").data)).active

    assert sheet.max_row == 1


def test_company_filter_lists_county_units(app, login_as):
    page = login_as("fushun_reviewer").get("/review/").get_data(as_text=True)

    assert "国网新宾县供电公司" in page
    assert "沈阳" not in page


def test_registration_name_rejects_invisible_characters(app, client):
    from app.models import Account as Model

    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count(Model.id)))
    for name in ("张\x07三", "张\u202e三", "<img src=x>", "=1+2", "张"):
        response = client.post("/register/", data={"name": name})
        assert "姓名应为2至40个汉字或字母" in response.get_data(as_text=True) or name == "张"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Model.id))) == before


def test_deep_page_is_clamped(app, employee_client, login_as):
    submit_compliant(employee_client)
    page = login_as("fushun_reviewer").get("/review/?page=1000000").get_data(as_text=True)

    assert "第 1 / 1 页" in page
    assert page.count("data-application=") == 1


def test_missing_evidence_file_is_404(app, employee_client, login_as):
    submit_compliant(employee_client)
    with app.app_context():
        activity = db.session.scalars(sa.select(Activity)).first()
        evidence = Evidence(
            activity_id=activity.id,
            scan_type="certificate",
            stored_path="aa/bb/missing.pdf",
            original_name="证书.pdf",
            content_type="application/pdf",
            size=10,
            sha256="0" * 64,
        )
        db.session.add(evidence)
        db.session.commit()
        evidence_id = evidence.id

    assert login_as("fushun_reviewer").get(f"/evidence/{evidence_id}/download").status_code == 404
