"""Every role against every endpoint that takes an id, on another unit's records.

The records belong to an employee of 沈阳 and to 沈阳's reviewers. For each
role that may not see them the response must be 404 (or the login page for
an anonymous client), and no table may change.
"""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.glossary import RoleName
from app.models import (
    Activity,
    Application,
    CertificateEvent,
    Evidence,
    Profile,
    ReviewEvent,
    SummaryCertificate,
)
from tests.conftest import id_number_with_check
from tests.test_activities import PDF_BYTES
from tests.test_submission import copy_demo_profile, submit_compliant

SHENYANG_EMPLOYEE = id_number_with_check("21010219870707123")
WATCHED_TABLES = (
    Activity,
    Evidence,
    Application,
    ReviewEvent,
    SummaryCertificate,
    CertificateEvent,
    Profile,
)


def table_state(app) -> dict:
    """Return every watched table's rows as plain tuples."""
    state = {}
    with app.app_context():
        for model in WATCHED_TABLES:
            columns = [column for column in model.__table__.columns]
            rows = db.session.execute(sa.select(*columns).order_by(*model.__table__.primary_key))
            state[model.__tablename__] = [tuple(row) for row in rows]
    return state


@pytest.fixture
def shenyang_records(app, make_account, login_as):
    """A 沈阳 employee's activity, evidence, exception application and certificate."""
    make_account("shenyang_reviewer", RoleName.CITY_REVIEWER, "NE-LN-SY")
    account_id = make_account(
        SHENYANG_EMPLOYEE,
        RoleName.EMPLOYEE,
        "NE-LN-SY",
        id_number=SHENYANG_EMPLOYEE,
        mobile="13900000009",
    )
    copy_demo_profile(app, account_id)
    employee = login_as(SHENYANG_EMPLOYEE)
    submit_compliant(employee)
    employee.post(
        "/activities/paper/add",
        data={"name": "沈阳的论文", "start_date": "2022-01-05", "in_author_role": "first"},
    )
    with app.app_context():
        activity = db.session.scalars(
            sa.select(Activity).where(Activity.name == "沈阳的论文")
        ).one()
        activity_id = activity.id
    employee.post(
        f"/activities/{activity_id}/evidence",
        data={"scan_type": "certificate", "file": (io.BytesIO(PDF_BYTES), "沈阳证书.pdf")},
        content_type="multipart/form-data",
    )
    reviewer = login_as("shenyang_reviewer")
    reviewer.post(
        "/certificates/upload",
        data={"year": "2026", "file": (io.BytesIO(PDF_BYTES), "沈阳汇总证明.pdf")},
        content_type="multipart/form-data",
    )
    with app.app_context():
        evidence = db.session.scalars(sa.select(Evidence)).one()
        application = db.session.scalars(sa.select(Application)).one()
        certificate = db.session.scalars(sa.select(SummaryCertificate)).one()
        return {
            "activity": activity_id,
            "evidence": evidence.id,
            "application": application.id,
            "version": application.version,
            "certificate": certificate.id,
            "certificate_version": certificate.version,
        }


EMPLOYEE_ONLY = "employee"
REVIEWER_ONLY = "reviewer"
BOTH = "both"


def endpoints(ids: dict) -> list[tuple[str, str, dict | None, str]]:
    """Return (method, url, form, who holds the permission) for every id endpoint."""
    activity, evidence, application = ids["activity"], ids["evidence"], ids["application"]
    row = f"{application}:{ids['version']}"
    certificate = ids["certificate"]
    return [
        ("get", f"/activities/{activity}/edit", None, EMPLOYEE_ONLY),
        ("post", f"/activities/{activity}/edit", {"name": "改", "start_date": "2022-01-05"}, EMPLOYEE_ONLY),
        ("post", f"/activities/{activity}/delete", None, EMPLOYEE_ONLY),
        ("post", f"/activities/{activity}/evidence", {"scan_type": "certificate"}, EMPLOYEE_ONLY),
        ("get", f"/evidence/{evidence}/download", None, BOTH),
        ("post", f"/evidence/{evidence}/delete", None, EMPLOYEE_ONLY),
        ("get", f"/budget/applications/{application}/scan", None, BOTH),
        ("get", f"/review/{application}", None, REVIEWER_ONLY),
        ("post", "/review/action", {"action": "pass", "rows": row}, REVIEWER_ONLY),
        ("post", "/review/action", {"action": "return", "rows": row, "reason": "越权"}, REVIEWER_ONLY),
        ("post", "/review/action", {"row_action": f"pass:{row}"}, REVIEWER_ONLY),
        ("get", f"/certificates/{certificate}/download", None, REVIEWER_ONLY),
        (
            "post",
            f"/certificates/{certificate}/decide",
            {"action": "approve", "version": str(ids["certificate_version"])},
            REVIEWER_ONLY,
        ),
    ]


OUTSIDERS = [
    ("fushun_employee", None),
    ("fushun_reviewer", None),
    ("jilin_reviewer", (RoleName.PROVINCE_REVIEWER, "NE-JL")),
    ("dalian_reviewer", (RoleName.CITY_REVIEWER, "NE-LN-DL")),
    ("no_unit_reviewer", (RoleName.CITY_REVIEWER, None)),
    ("no_unit_province", (RoleName.PROVINCE_REVIEWER, None)),
]


@pytest.mark.parametrize(("username", "account"), OUTSIDERS)
def test_outsider_gets_404_and_nothing_changes(
    app, shenyang_records, make_account, login_as, username, account
):
    from app.demo import DEMO_EMPLOYEE_ID

    if account is not None:
        make_account(username, *account)
    client = login_as(DEMO_EMPLOYEE_ID if username == "fushun_employee" else username)
    before = table_state(app)

    is_employee = username == "fushun_employee"
    for method, url, data, holders in endpoints(shenyang_records):
        response = getattr(client, method)(url, data=data)
        # A role without the permission at all gets 403; with it, another
        # unit's id is 404, so ids of other units cannot be probed.
        permitted = holders == BOTH or (holders == EMPLOYEE_ONLY) == is_employee
        expected = 404 if permitted else 403
        assert response.status_code == expected, (username, method, url, response.status_code)

    assert table_state(app) == before


def test_anonymous_is_sent_to_login(app, shenyang_records):
    client = app.test_client()
    before = table_state(app)

    for method, url, data, _holders in endpoints(shenyang_records):
        response = getattr(client, method)(url, data=data)
        assert response.status_code == 302, url
        assert "/login/" in response.location

    assert table_state(app) == before


def test_talent_centre_reads_but_does_not_decide(app, shenyang_records, login_as):
    client = login_as("talent_admin")
    ids = shenyang_records
    before = table_state(app)

    assert client.get(f"/review/{ids['application']}").status_code == 200
    assert client.get(f"/evidence/{ids['evidence']}/download").status_code == 200
    assert client.get(f"/certificates/{ids['certificate']}/download").status_code == 200
    row = f"{ids['application']}:{ids['version']}"
    client.post("/review/action", data={"action": "pass", "rows": row})

    assert table_state(app) == before


def test_reviewer_of_unit_can_read(app, shenyang_records, login_as):
    ids = shenyang_records
    for username in ("shenyang_reviewer", "liaoning_reviewer"):
        client = login_as(username)
        assert client.get(f"/review/{ids['application']}").status_code == 200, username
        assert client.get(f"/evidence/{ids['evidence']}/download").status_code == 200
        assert client.get(f"/certificates/{ids['certificate']}/download").status_code == 200


@pytest.mark.parametrize("username", ["fushun_reviewer", "liaoning_reviewer", "talent_admin"])
def test_lists_and_choices_show_no_other_names(app, shenyang_records, login_as, username):
    client = login_as(username)
    review = client.get("/review/").get_data(as_text=True)
    reviewed = client.get("/review/?tab=reviewed").get_data(as_text=True)
    certificates = client.get("/certificates/").get_data(as_text=True)

    if username == "fushun_reviewer":
        for page in (review, reviewed, certificates):
            assert "沈阳" not in page
            assert SHENYANG_EMPLOYEE[:6] + "****" not in page
    if username == "liaoning_reviewer":
        assert "吉林" not in review


def test_unknown_action_is_400_for_reviewers(app, shenyang_records, login_as):
    client = login_as("shenyang_reviewer")
    row = f"{shenyang_records['application']}:{shenyang_records['version']}"
    before = table_state(app)

    assert client.post("/review/action", data={"action": "drop", "rows": row}).status_code == 400
    assert client.post("/review/action", data={"row_action": f"drop:{row}"}).status_code == 400
    decide = f"/certificates/{shenyang_records['certificate']}/decide"
    assert login_as("liaoning_reviewer").post(decide, data={"action": "drop"}).status_code == 400

    assert table_state(app) == before
