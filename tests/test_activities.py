"""Activities (业绩填报) and evidence through the real pages and database."""

from __future__ import annotations

import io
import urllib.parse

import pytest
import sqlalchemy as sa

from app.demo import DEMO_EMPLOYEE_ID
from app.extensions import db
from app.glossary import RoleName
from app.models import Activity, Evidence
from tests.conftest import id_number_with_check

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# One valid entry per category: the form inputs and the hours they convert to.
CATEGORY_CASES = [
    ("public_subject", {"in_course_hours": "6"}, "6"),
    ("compulsory_course", {"in_course_hours": "12.5"}, "12.5"),
    ("face_to_face_training", {"in_days": "3"}, "24"),
    ("face_to_face_training", {"in_days": "0.5"}, "4"),
    ("online_course", {"in_course_hours": "１２"}, "12"),
    ("degree_study", {"in_study_mode": "courses", "in_courses_passed": "2"}, "30"),
    ("degree_study", {"in_study_mode": "full_year"}, "72"),
    ("academic_conference", {"in_level": "national", "in_paper": "long"}, "20"),
    ("academic_conference", {"in_level": "provincial", "in_paper": "none"}, "8"),
    ("paper", {"in_author_role": "first"}, "40"),
    ("paper", {"in_author_role": "other"}, "20"),
    ("book", {"in_author_role": "sole"}, "40"),
    ("teaching", {"in_teaching_type": "course", "in_hours_taught": "4"}, "8"),
    ("teaching", {"in_teaching_type": "lecture", "in_hours_taught": "2"}, "6"),
    ("research_project", {"in_level": "national", "in_rank": "1"}, "64"),
    ("research_project", {"in_level": "provincial", "in_rank": "3"}, "40"),
    ("qualification_exam", {"in_exams_passed": "1"}, "40"),
    ("training_abroad", {"in_days": "5", "in_destination": "德国", "end_date": "2025-03-16"}, "30"),
    ("patent", {"in_patent_type": "invention", "in_rank": "1"}, None),
    ("standard", {"in_level": "national", "in_rank": "1"}, None),
    ("award", {"in_level": "provincial", "in_rank": "1"}, None),
]


def activity_form(**inputs):
    form = {"name": "测试活动", "start_date": "2025-03-10", "end_date": "2025-03-12"}
    form.update(inputs)
    return form


def count_activities(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Activity.id)))


def only_activity(app) -> Activity:
    with app.app_context():
        activity = db.session.scalars(sa.select(Activity)).one()
        db.session.expunge(activity)
        return activity


def add_activity(client, code, **inputs):
    return client.post(f"/activities/{code}/add", data=activity_form(**inputs))


@pytest.mark.parametrize(("code", "inputs", "hours"), CATEGORY_CASES)
def test_category_add_and_list(app, employee_client, code, inputs, hours):
    response = add_activity(employee_client, code, **inputs)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]

    activity = only_activity(app)
    assert activity.category == code
    assert activity.year == 2025

    page = employee_client.get(f"/activities/{code}/?year=2025").get_data(as_text=True)
    assert "测试活动" in page
    assert "按现行规则无法计算" not in page
    if hours is not None:
        assert f"<strong>{hours}</strong>" in page


def test_every_category_has_a_page(employee_client, app):
    from app import rules

    for category in rules.load_ruleset().categories:
        response = employee_client.get(f"/activities/{category.code}/")
        assert response.status_code == 200
        assert category.label in response.get_data(as_text=True)


def test_unknown_category_is_404(employee_client):
    assert employee_client.get("/activities/nonsense/").status_code == 404
    assert employee_client.get("/activities/nonsense/add").status_code == 404


BAD_INPUTS = [
    ("face_to_face_training", {"in_days": "0"}, "in_days"),
    ("face_to_face_training", {"in_days": "-2"}, "in_days"),
    ("face_to_face_training", {"in_days": "abc"}, "in_days"),
    ("face_to_face_training", {"in_days": ""}, "in_days"),
    ("research_project", {"in_level": "provincial", "in_rank": "4"}, "in_rank"),
    ("research_project", {"in_level": "national", "in_rank": "0"}, "in_rank"),
    ("paper", {"in_author_role": "ghost"}, "in_author_role"),
    ("qualification_exam", {"in_exams_passed": "1.5"}, "in_exams_passed"),
]


@pytest.mark.parametrize(("code", "inputs", "field"), BAD_INPUTS)
def test_bad_input_rejected(app, employee_client, code, inputs, field):
    response = add_activity(employee_client, code, **inputs)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'class="help-block field-error"' in page
    assert f'id="{field}"' in page
    assert count_activities(app) == 0


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        ({"start_date": "2025-03-10", "end_date": "2025-03-09"}, "结束日期不能早于开始日期"),
        ({"start_date": "2999-01-01", "end_date": ""}, "开始日期不能晚于今天"),
        ({"start_date": "2025/03/10", "end_date": ""}, "YYYY-MM-DD"),
        ({"start_date": "", "end_date": ""}, "YYYY-MM-DD"),
    ],
)
def test_bad_dates_rejected(app, employee_client, dates, message):
    form = activity_form(in_days="1")
    form.update(dates)
    response = employee_client.post("/activities/face_to_face_training/add", data=form)

    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count_activities(app) == 0


def test_year_from_start_date(app, employee_client):
    form = activity_form(in_days="1")
    form.update({"start_date": "2024-12-30", "end_date": "2025-01-02"})
    employee_client.post("/activities/face_to_face_training/add", data=form)

    assert only_activity(app).year == 2024


def test_edit_and_delete(app, employee_client):
    add_activity(employee_client, "face_to_face_training", in_days="2")
    activity = only_activity(app)

    response = employee_client.post(
        f"/activities/{activity.id}/edit",
        data=activity_form(in_days="3", name="改后的培训"),
    )
    assert response.status_code == 302
    changed = only_activity(app)
    assert changed.name == "改后的培训"
    assert changed.inputs["days"] == "3"

    response = employee_client.post(f"/activities/{activity.id}/delete")
    assert response.status_code == 302
    assert count_activities(app) == 0


def test_edit_bad_input_changes_nothing(app, employee_client):
    add_activity(employee_client, "face_to_face_training", in_days="2")
    activity = only_activity(app)

    response = employee_client.post(
        f"/activities/{activity.id}/edit", data=activity_form(in_days="-1", name="新名称")
    )

    assert response.status_code == 200
    unchanged = only_activity(app)
    assert unchanged.name == "测试活动"
    assert unchanged.inputs["days"] == "2"


def upload(client, activity_id, data, name, scan_type="certificate"):
    return client.post(
        f"/activities/{activity_id}/evidence",
        data={"scan_type": scan_type, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def evidence_rows(app) -> list[Evidence]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Evidence)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def test_pdf_with_chinese_name(app, employee_client):
    add_activity(employee_client, "paper", in_author_role="first")
    activity = only_activity(app)

    response = upload(employee_client, activity.id, PDF_BYTES, "学术论文 证书.pdf")
    assert response.status_code == 302

    [evidence] = evidence_rows(app)
    assert evidence.original_name == "学术论文 证书.pdf"
    assert evidence.content_type == "application/pdf"
    assert "学术" not in evidence.stored_path

    download = employee_client.get(f"/evidence/{evidence.id}/download")
    assert download.status_code == 200
    assert download.data == PDF_BYTES
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "filename*=UTF-8''" + urllib.parse.quote("学术论文 证书.pdf") in disposition
    # Clients without filename* get a name with an extension, not ".pdf".
    assert 'filename="download.pdf"' in disposition


def test_renamed_executable_rejected(app, employee_client):
    add_activity(employee_client, "paper", in_author_role="first")
    activity = only_activity(app)

    response = upload(employee_client, activity.id, b"MZ\x90\x00" + b"\x00" * 200, "证书.pdf")
    assert response.status_code == 302
    assert evidence_rows(app) == []
    page = employee_client.get("/activities/paper/").get_data(as_text=True)
    assert "PDF" in page


def test_oversized_file_rejected(make_app, auth, tmp_path):
    app = make_app(EVIDENCE_MAX_BYTES=1024)
    client = app.test_client()
    client.post("/login/", data={"username": DEMO_EMPLOYEE_ID, "password": "Demo@2026ce"})
    add_activity(client, "paper", in_author_role="first")
    activity = only_activity(app)

    response = upload(client, activity.id, PDF_BYTES + b"0" * 2048, "大文件.pdf")

    assert response.status_code == 302
    assert evidence_rows(app) == []
    uploads = tmp_path / "uploads"
    assert not any(path.is_file() for path in uploads.rglob("*"))


def test_missing_scan_type_rejected(app, employee_client):
    add_activity(employee_client, "paper", in_author_role="first")
    activity = only_activity(app)

    upload(employee_client, activity.id, PDF_BYTES, "a.pdf", scan_type="bogus")

    assert evidence_rows(app) == []


@pytest.fixture
def other_employee(make_account):
    """A second employee, of 沈阳, with one activity and one evidence file."""
    id_number = id_number_with_check("21010219850505123")
    make_account(id_number, RoleName.EMPLOYEE, "NE-LN-SY", id_number=id_number, mobile="13900000002")
    return id_number


def test_other_employee_records_are_404(app, employee_client, login_as, other_employee):
    other = login_as(other_employee)
    add_activity(other, "paper", in_author_role="first")
    activity = only_activity(app)
    upload(other, activity.id, PDF_BYTES, "别人的证书.pdf")
    [evidence] = evidence_rows(app)

    attempts = [
        ("get", f"/activities/{activity.id}/edit", None),
        ("post", f"/activities/{activity.id}/edit", activity_form(in_author_role="other")),
        ("post", f"/activities/{activity.id}/delete", None),
        ("post", f"/activities/{activity.id}/evidence", None),
        ("get", f"/evidence/{evidence.id}/download", None),
        ("post", f"/evidence/{evidence.id}/delete", None),
    ]
    for method, url, data in attempts:
        response = getattr(employee_client, method)(url, data=data)
        assert response.status_code == 404, url

    assert only_activity(app).inputs == activity.inputs
    assert len(evidence_rows(app)) == 1
    page = employee_client.get("/activities/paper/").get_data(as_text=True)
    assert "别人的证书" not in page


def test_reviewer_scope_for_evidence(app, make_account, login_as, employee_client):
    add_activity(employee_client, "paper", in_author_role="first")
    activity = only_activity(app)
    upload(employee_client, activity.id, PDF_BYTES, "证书.pdf")
    [evidence] = evidence_rows(app)
    make_account("shenyang_reviewer", RoleName.CITY_REVIEWER, "NE-LN-SY")
    make_account("no_unit_reviewer", RoleName.CITY_REVIEWER, None)

    url = f"/evidence/{evidence.id}/download"
    assert login_as("fushun_reviewer").get(url).status_code == 200
    assert login_as("liaoning_reviewer").get(url).status_code == 200
    assert login_as("talent_admin").get(url).status_code == 200
    assert login_as("shenyang_reviewer").get(url).status_code == 404
    assert login_as("no_unit_reviewer").get(url).status_code == 404


def test_anonymous_cannot_download(app, employee_client):
    add_activity(employee_client, "paper", in_author_role="first")
    activity = only_activity(app)
    upload(employee_client, activity.id, PDF_BYTES, "证书.pdf")
    [evidence] = evidence_rows(app)

    anonymous = app.test_client()
    response = anonymous.get(f"/evidence/{evidence.id}/download")
    assert response.status_code == 302
    assert "/login/" in response.location


def test_days_limited_by_dates(app, employee_client):
    response = add_activity(employee_client, "face_to_face_training", in_days="4")

    assert "天数不能超过开始日期至结束日期的3天" in response.get_data(as_text=True)
    assert count_activities(app) == 0


def test_evidence_name_takes_detected_extension(app, employee_client):
    add_activity(employee_client, "paper", in_author_role="first")
    activity = only_activity(app)

    upload(employee_client, activity.id, PDF_BYTES, "证书.exe")

    [evidence] = evidence_rows(app)
    assert evidence.original_name == "证书.pdf"


@pytest.mark.parametrize(
    "url",
    [
        "/activities/99999999999999999999999/edit",
        "/evidence/99999999999999999999999/download",
        "/review/99999999999999999999999",
        "/budget/applications/99999999999999999999999/scan",
    ],
)
def test_huge_ids_are_404(employee_client, url):
    assert employee_client.get(url).status_code == 404


def test_huge_query_values_ignored(employee_client):
    huge = "99999999999999999999999"
    assert employee_client.get(f"/api/choices/units?parent={huge}").get_json() == []
    assert employee_client.get(f"/api/choices/titles?level={huge}").status_code == 200
    assert employee_client.get(f"/activities/paper/?year={huge}").status_code == 200


def test_error_pages_are_chinese(employee_client):
    response = employee_client.get("/no/such/page")

    assert response.status_code == 404
    assert "页面或记录不存在" in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_inputs_that_do_not_apply_not_stored(app, employee_client):
    response = add_activity(employee_client, "degree_study", in_study_mode="full_year")
    assert response.status_code == 302

    inputs = only_activity(app).inputs
    assert inputs == {"study_mode": "full_year"}
