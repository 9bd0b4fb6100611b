"""申报时间: the window of a year, shown on the home page and enforced on submission."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app import windows
from app.extensions import db
from app.glossary import ApplicationStatus
from app.models import Application, AuditEntry, SubmissionWindow
from tests.test_submission import (
    REQUIRED_YEARS,
    THIS_YEAR,
    add_on,
    applications,
    fill_compliant_year,
    submit_compliant,
)

DAY = dt.timedelta(days=1)


def set_window(client, year, opens_on: dt.date, closes_on: dt.date):
    return client.post(
        "/admin/windows/save",
        data={
            "year": str(year),
            "opens_on": opens_on.isoformat(),
            "closes_on": closes_on.isoformat(),
        },
    )


def stored_windows(app) -> list[tuple[int, dt.date, dt.date]]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(SubmissionWindow).order_by(SubmissionWindow.year)
        )
        return [(row.year, row.opens_on, row.closes_on) for row in rows]


def home_notice(client) -> str | None:
    page = client.get("/").get_data(as_text=True)
    if 'id="submission-window"' not in page:
        return None
    return page.split('id="submission-window">')[1].split("</div>")[0]


@pytest.fixture
def admin(login_as):
    return login_as("talent_admin")


@pytest.fixture
def today():
    """Today in Beijing, the day the window rules compare with."""
    return windows.beijing_today()


@pytest.mark.parametrize(
    "offset_open, offset_close, status",
    [
        (1, 10, windows.BEFORE),
        (0, 0, windows.OPEN),
        (-10, 0, windows.OPEN),
        (0, 10, windows.OPEN),
        (-10, -1, windows.AFTER),
    ],
)
def test_window_state_table(offset_open, offset_close, status):
    today = dt.date(2026, 4, 15)
    state = windows.WindowState(
        2026, today + offset_open * DAY, today + offset_close * DAY, today
    )

    assert state.status == status
    assert state.is_open == (status == windows.OPEN)


def test_window_state_messages():
    opens, closes = dt.date(2026, 3, 1), dt.date(2026, 6, 30)

    before = windows.WindowState(2026, opens, closes, dt.date(2026, 2, 1))
    inside = windows.WindowState(2026, opens, closes, dt.date(2026, 3, 1))
    after = windows.WindowState(2026, opens, closes, dt.date(2026, 7, 1))
    unset = windows.WindowState(2026, None, None, dt.date(2026, 7, 1))

    assert before.notice == "2026年申报时间为2026-03-01至2026-06-30，尚未开始"
    assert inside.notice == "2026年申报时间为2026-03-01至2026-06-30"
    assert after.notice == "2026年申报时间为2026-03-01至2026-06-30，已于2026-06-30截止"
    assert unset.notice == ""
    assert unset.is_open


def test_no_window_keeps_submission_open(app, employee_client):
    assert home_notice(employee_client) is None

    submit_compliant(employee_client)

    assert len(applications(app)) == 1


def test_before_window_refused(app, admin, employee_client, today):
    opens, closes = today + DAY, today + 30 * DAY
    assert set_window(admin, THIS_YEAR, opens, closes).status_code == 302
    for year in REQUIRED_YEARS:
        fill_compliant_year(employee_client, year)

    expected = (
        f"{THIS_YEAR}年申报时间为{opens.isoformat()}至{closes.isoformat()}，尚未开始"
    )
    assert home_notice(employee_client) == expected
    page = employee_client.get("/budget/submit").get_data(as_text=True)
    response = employee_client.post("/budget/submit", data={})

    assert f"{expected}，开始后才能提交申报" in page
    assert 'id="submit-form"' not in page
    assert response.status_code == 200
    assert f"{expected}，开始后才能提交申报" in response.get_data(as_text=True)
    assert applications(app) == []


def test_inside_window_submits(app, admin, employee_client, today):
    opens, closes = today - DAY, today + DAY
    set_window(admin, THIS_YEAR, opens, closes)

    assert home_notice(employee_client) == (
        f"{THIS_YEAR}年申报时间为{opens.isoformat()}至{closes.isoformat()}"
    )
    submit_compliant(employee_client)

    assert len(applications(app)) == 1


def test_last_day_still_open(app, admin, employee_client, today):
    set_window(admin, THIS_YEAR, today - 5 * DAY, today)

    submit_compliant(employee_client)

    assert len(applications(app)) == 1


def test_after_window_refused(app, admin, employee_client, today):
    opens, closes = today - 30 * DAY, today - DAY
    set_window(admin, THIS_YEAR, opens, closes)
    for year in REQUIRED_YEARS:
        fill_compliant_year(employee_client, year)

    response = employee_client.post("/budget/submit", data={})

    closed = f"已于{closes.isoformat()}截止"
    assert home_notice(employee_client).endswith(closed)
    assert f"{closed}，不能再提交申报" in response.get_data(as_text=True)
    assert applications(app) == []


def test_activities_recorded_outside_window(app, admin, employee_client, today):
    set_window(admin, THIS_YEAR, today - 30 * DAY, today - DAY)

    # add_on asserts the redirect that follows a saved activity.
    add_on(employee_client, "public_subject", THIS_YEAR - 1, in_course_hours="4")

    page = employee_client.get("/budget/").get_data(as_text=True)
    assert "公需科目 4学时，少于 10学时" in page


def test_other_year_window_ignored(app, admin, employee_client, today):
    set_window(admin, THIS_YEAR + 1, today + DAY, today + 30 * DAY)

    assert home_notice(employee_client) is None
    submit_compliant(employee_client)

    assert len(applications(app)) == 1


def test_returned_application_resubmits_after_close(app, admin, employee_client, today):
    submit_compliant(employee_client)
    [application] = applications(app)
    set_window(admin, THIS_YEAR, today - 30 * DAY, today - DAY)
    with app.app_context():
        refusal_pending = windows.submission_refusal(
            THIS_YEAR, application.applicant_id
        )
        db.session.execute(
            sa.update(Application)
            .where(Application.id == application.id)
            .values(
                status=ApplicationStatus.RETURNED.value, version=Application.version + 1
            )
        )
        db.session.commit()
        refusal_returned = windows.submission_refusal(
            THIS_YEAR, application.applicant_id
        )

    assert refusal_pending is not None
    assert refusal_returned is None
    response = employee_client.post("/budget/submit", data={})
    assert response.status_code == 302
    [again] = applications(app)
    assert again.status == ApplicationStatus.PENDING.value


def test_closing_before_opening_rejected(app, admin, today):
    response = set_window(admin, THIS_YEAR, today, today - DAY)

    assert response.status_code == 200
    assert "截止日期不能早于开始日期" in response.get_data(as_text=True)
    assert stored_windows(app) == []


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {"year": "", "opens_on": "2026-03-01", "closes_on": "2026-06-30"},
            "此项为必填项",
        ),
        (
            {"year": "1999", "opens_on": "2026-03-01", "closes_on": "2026-06-30"},
            "2000 至 2100",
        ),
        ({"year": "2026", "opens_on": "", "closes_on": "2026-06-30"}, "此项为必填项"),
    ],
)
def test_window_form_rejects(app, admin, data, message):
    response = admin.post("/admin/windows/save", data=data)

    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert stored_windows(app) == []


def test_window_edit_and_delete(app, admin):
    set_window(admin, 2026, dt.date(2026, 3, 1), dt.date(2026, 6, 30))
    set_window(admin, 2026, dt.date(2026, 4, 1), dt.date(2026, 7, 31))
    assert stored_windows(app) == [(2026, dt.date(2026, 4, 1), dt.date(2026, 7, 31))]

    page = admin.get("/admin/windows/?year=2026").get_data(as_text=True)
    assert 'value="2026-04-01"' in page
    with app.app_context():
        window_id = db.session.scalar(sa.select(SubmissionWindow.id))
    response = admin.post(f"/admin/windows/{window_id}/delete")

    assert response.status_code == 302
    assert stored_windows(app) == []
    with app.app_context():
        actions = list(
            db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id))
        )
    assert actions == ["window.save", "window.save", "window.delete"]


def test_employee_cannot_set_window(app, employee_client):
    response = set_window(
        employee_client, 2026, dt.date(2026, 3, 1), dt.date(2026, 6, 30)
    )

    assert response.status_code == 403
    assert stored_windows(app) == []
