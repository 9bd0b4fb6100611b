"""操作日志: what is recorded, append-only entries, the screen, scope and export."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.audit import AuditEntryImmutable, record_audit, record_audit_many
from app.demo import DEMO_EMPLOYEE_ID
from app.extensions import db
from app.glossary import RoleName
from app.models import Account, AuditEntry, Unit
from tests.test_certificates import upload
from tests.test_review_flow import act, selection
from tests.test_submission import applications, submit_compliant

FUSHUN = "NE-LN-FS"
SHENYANG = "NE-LN-SY"
LIAONING = "NE-LN"


def entries(app, action: str | None = None) -> list[AuditEntry]:
    with app.app_context():
        statement = sa.select(AuditEntry).order_by(AuditEntry.id)
        if action is not None:
            statement = statement.where(AuditEntry.action == action)
        rows = db.session.scalars(statement).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def unit_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Unit.id).where(Unit.code == code))


def account(username: str) -> Account:
    return db.session.scalar(sa.select(Account).where(Account.username == username))


def add_entry(app, username, action, unit_code, summary, created_on=None) -> int:
    """Insert one entry directly, at a chosen UTC time if given."""
    with app.app_context():
        actor = account(username) if username else None
        record_audit(
            actor,
            action,
            "test",
            None,
            summary,
            unit_id=unit_id(app, unit_code) if unit_code else None,
        )
        [entry] = [item for item in db.session.new if isinstance(item, AuditEntry)]
        if created_on is not None:
            entry.created_on = created_on
        db.session.commit()
        return entry.id


def entry_ids(page: str) -> set[int]:
    return {int(found) for found in re.findall(r'data-entry="(\d+)"', page)}


def workbook(response):
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.get_data()))


# --- what is recorded ---------------------------------------------------------


def test_submission_recorded(app, employee_client):
    submit_compliant(employee_client)
    [application] = applications(app)

    [entry] = entries(app, "application.submit")

    assert entry.target_type == "application"
    assert entry.target_id == str(application.id)
    assert entry.unit_id == application.unit_id
    assert entry.actor_name.startswith("张三")
    assert DEMO_EMPLOYEE_ID not in entry.actor_name
    assert "210402" in entry.actor_name
    assert f"{application.year}年" in entry.summary


def test_review_pass_recorded(app, employee_client, login_as):
    submit_compliant(employee_client)
    city = login_as("fushun_reviewer")

    assert act(city, "pass", selection(app)).status_code == 302

    [application] = applications(app)
    [entry] = entries(app, "review.pass")
    with app.app_context():
        reviewer_id = account("fushun_reviewer").id
    assert entry.actor_id == reviewer_id
    assert entry.target_id == str(application.id)
    assert entry.unit_id == application.unit_id
    assert entry.details["from_status"] == "pending"
    assert entry.details["to_status"] == "reviewed"
    assert "合格" in entry.summary
    assert "张三" in entry.summary


def test_review_return_recorded(app, employee_client, login_as):
    submit_compliant(employee_client)
    city = login_as("fushun_reviewer")

    act(city, "return", selection(app), reason="请补充证明材料")

    [entry] = entries(app, "review.return")
    assert entry.details["reason"] == "请补充证明材料"
    assert entry.details["to_status"] == "returned"


def test_refused_review_records_nothing(app, employee_client, login_as):
    submit_compliant(employee_client)
    city = login_as("fushun_reviewer")

    act(city, "fail", selection(app))

    assert entries(app, "review.fail") == []


def test_bulk_review_adds_one_insert(app, login_as):
    from app import demo_applications, workflow
    from app.models import Application

    with app.app_context():
        demo_applications.create_demo_applications(DEMO_EMPLOYEE_ID)
        reviewer = account("fushun_reviewer")
        pending = db.session.scalars(
            sa.select(Application).where(
                Application.review_unit_id == reviewer.unit_id,
                Application.status == "pending",
            )
        ).all()
        assert len(pending) >= 2
        first, second = pending[:2]

        statements: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            workflow.apply(reviewer, "pass", [f"{first.id}:{first.version}"])
            one_row = len(statements)
            db.session.refresh(first)
            db.session.refresh(second)
            statements.clear()
            workflow.apply(
                reviewer,
                "pass",
                [f"{first.id}:{first.version}", f"{second.id}:{second.version}"],
            )
            two_rows = len(statements)
            audit_inserts = [s for s in statements if "INSERT INTO audit_entry" in s]
            expected = {str(first.id), str(second.id)}
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)

    assert one_row == two_rows
    assert len(audit_inserts) == 1
    passed = [entry.target_id for entry in entries(app, "review.pass")]
    assert set(passed[-2:]) == expected


def test_exports_recorded(app, employee_client, login_as):
    submit_compliant(employee_client)
    city = login_as("fushun_reviewer")
    act(city, "pass", selection(app))
    [application] = applications(app)

    assert city.get(f"/review/export?year={application.year}").status_code == 200
    assert city.get(f"/review/report?year={application.year}").status_code == 200

    [qualified] = entries(app, "export.applications")
    assert qualified.details["filters"] == {"year": str(application.year)}
    assert qualified.details["rows"] == 1
    assert qualified.unit_id == unit_id(app, FUSHUN)
    [report] = entries(app, "export.hours_report")
    assert report.details["filters"] == {"year": application.year}
    assert report.details["rows"] == 1


def test_certificate_upload_recorded(app, login_as):
    fushun = login_as("fushun_reviewer")

    assert upload(fushun).status_code == 302

    [entry] = entries(app, "certificate.upload")
    assert entry.target_type == "certificate"
    assert entry.unit_id == unit_id(app, FUSHUN)
    assert "认定汇总证明" in entry.summary


def test_certificate_decision_recorded(app, login_as):
    from tests.test_certificates import all_certificates, decide

    upload(login_as("fushun_reviewer"))
    [certificate] = all_certificates(app)

    decide(login_as("liaoning_reviewer"), certificate, "reject", reason="盖章不清晰")

    [entry] = entries(app, "certificate.reject")
    assert entry.target_id == str(certificate.id)
    assert entry.unit_id == unit_id(app, FUSHUN)
    assert entry.details["reason"] == "盖章不清晰"


def test_secrets_and_id_numbers_masked(app):
    with app.app_context():
        employee = account(DEMO_EMPLOYEE_ID)
        record_audit(
            employee,
            "account.update",
            "account",
            DEMO_EMPLOYEE_ID,
            f"修改账号 {DEMO_EMPLOYEE_ID}",
            details={
                "password": "Secret@2026",
                "new_password": "Secret@2027",
                "id_number": DEMO_EMPLOYEE_ID,
                "nested": [{"mobile": "13800000001", "id": DEMO_EMPLOYEE_ID}],
            },
        )
        db.session.commit()

    [entry] = entries(app, "account.update")
    stored = repr((entry.actor_name, entry.target_id, entry.summary, entry.details))
    assert DEMO_EMPLOYEE_ID not in stored
    assert "Secret@" not in stored
    assert "password" not in entry.details
    assert "new_password" not in entry.details
    assert entry.details["id_number"] == "210402********1233"
    assert entry.details["nested"][0]["id"] == "210402********1233"


def test_system_actor_allowed(app):
    with app.app_context():
        record_audit(None, "import.units", "import", None, "导入单位 3 个")
        db.session.commit()

    [entry] = entries(app, "import.units")
    assert entry.actor_id is None
    assert entry.actor_name == "系统"


def test_record_many_single_statement(app):
    with app.app_context():
        statements: list[tuple[str, bool]] = []

        def count(conn, cursor, statement, parameters, context, executemany):
            statements.append((statement, executemany))

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            record_audit_many(
                None,
                [
                    {"action": "test.bulk", "target_type": "test", "summary": f"第{n}条"}
                    for n in range(50)
                ],
            )
            db.session.commit()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)

    inserts = [s for s, _ in statements if "INSERT INTO audit_entry" in s]
    assert len(inserts) == 1
    assert len(entries(app, "test.bulk")) == 50


# --- append-only --------------------------------------------------------------


@pytest.fixture
def entry_id(app):
    return add_entry(app, "talent_admin", "test.fixed", None, "原始摘要")


def test_update_through_orm_raises(app, entry_id):
    with app.app_context():
        entry = db.session.get(AuditEntry, entry_id)
        entry.summary = "篡改后的摘要"
        with pytest.raises(AuditEntryImmutable):
            db.session.commit()
        db.session.rollback()

    [entry] = entries(app, "test.fixed")
    assert entry.summary == "原始摘要"


def test_delete_through_orm_raises(app, entry_id):
    with app.app_context():
        db.session.delete(db.session.get(AuditEntry, entry_id))
        with pytest.raises(AuditEntryImmutable):
            db.session.commit()
        db.session.rollback()

    assert [entry.id for entry in entries(app, "test.fixed")] == [entry_id]


def test_bulk_update_and_delete_raise(app, entry_id):
    with app.app_context():
        with pytest.raises(AuditEntryImmutable):
            db.session.execute(sa.update(AuditEntry).values(summary="篡改"))
        db.session.rollback()
        with pytest.raises(AuditEntryImmutable):
            db.session.execute(sa.delete(AuditEntry.__table__))
        db.session.rollback()
        with pytest.raises(AuditEntryImmutable):
            db.session.query(AuditEntry).filter_by(id=entry_id).delete()
        db.session.rollback()

    [entry] = entries(app, "test.fixed")
    assert entry.summary == "原始摘要"


def test_mappings_and_text_sql_raise(app, entry_id):
    with app.app_context():
        with pytest.raises(AuditEntryImmutable):
            db.session.bulk_update_mappings(
                AuditEntry, [{"id": entry_id, "summary": "篡改"}]
            )
        db.session.rollback()
        with pytest.raises(AuditEntryImmutable):
            db.session.execute(sa.text("UPDATE audit_entry SET summary = '篡改'"))
        db.session.rollback()
        with pytest.raises(AuditEntryImmutable):
            with db.engine.begin() as connection:
                connection.execute(sa.text('DELETE FROM "audit_entry"'))

    [entry] = entries(app, "test.fixed")
    assert entry.summary == "原始摘要"


# --- the screen ---------------------------------------------------------------


def test_list_shows_newest_first(app, login_as):
    january = dt.datetime(2026, 1, 5)
    february = dt.datetime(2026, 2, 5)
    older = add_entry(app, "talent_admin", "test.order", None, "较早", january)
    newer = add_entry(app, "talent_admin", "test.order", None, "较晚", february)

    response = login_as("talent_admin").get("/audit/?action=test.order")

    page = response.get_data(as_text=True)

    assert page.index(f'data-entry="{newer}"') < page.index(f'data-entry="{older}"')
    assert "操作日志" in page
    assert "2026-02-05 08:00:00" in page


def test_menu_entry_for_talent_centre(login_as):
    page = login_as("talent_admin").get("/audit/").get_data(as_text=True)

    assert "系统管理" in page
    assert 'href="/audit/"' in page


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/audit/add"),
        ("post", "/audit/add"),
        ("get", "/audit/edit/{id}"),
        ("post", "/audit/edit/{id}"),
        ("get", "/audit/delete/{id}"),
        ("post", "/audit/delete/{id}"),
        ("post", "/audit/{id}"),
        ("post", "/audit/"),
        ("get", "/audit/action/muldelete/{id}"),
        ("post", "/audit/action_post"),
        ("get", "/auditlogview/list/"),
        ("get", "/auditlogview/delete/{id}"),
        ("get", "/api/v1/auditlogview/{id}"),
    ],
)
def test_no_write_routes(app, login_as, entry_id, method, url):
    client = login_as("superadmin")

    response = getattr(client, method)(url.format(id=entry_id))

    assert response.status_code in (404, 405)
    [entry] = entries(app, "test.fixed")
    assert entry.summary == "原始摘要"


def test_show_entry_details(app, login_as, entry_id):
    client = login_as("talent_admin")

    page = client.get(f"/audit/{entry_id}").get_data(as_text=True)

    assert "原始摘要" in page
    assert client.get("/audit/999999").status_code == 404


@pytest.mark.parametrize("url", ["/audit/", "/audit/export", "/audit/{id}"])
def test_employee_forbidden(employee_client, entry_id, url):
    assert employee_client.get(url.format(id=entry_id)).status_code == 403


def test_anonymous_redirected_to_login(client):
    response = client.get("/audit/")

    assert response.status_code == 302
    assert "/login/" in response.headers["Location"]


# --- filters ------------------------------------------------------------------


@pytest.fixture
def filter_entries(app):
    """Entries of 抚顺, 沈阳 and 辽宁 by different actors on different days."""
    return {
        "fushun": add_entry(
            app, "fushun_reviewer", "test.a", FUSHUN, "抚顺", dt.datetime(2026, 3, 1, 2)
        ),
        # 16:30 UTC on 1 March is 00:30 on 2 March in Beijing.
        "shenyang": add_entry(
            app,
            "talent_admin",
            "test.b",
            SHENYANG,
            "沈阳",
            dt.datetime(2026, 3, 1, 16, 30),
        ),
        "liaoning": add_entry(
            app, "liaoning_reviewer", "test.a", LIAONING, "辽宁", dt.datetime(2026, 3, 5)
        ),
        "system": add_entry(app, None, "test.b", None, "系统", dt.datetime(2026, 3, 9)),
    }


def listed(client, query: str) -> set[int]:
    response = client.get(f"/audit/?size=100&{query}")
    assert response.status_code == 200
    return entry_ids(response.get_data(as_text=True))


def test_filter_by_actor(login_as, filter_entries):
    client = login_as("talent_admin")

    assert listed(client, "actor=fushun_rev") == {filter_entries["fushun"]}
    assert listed(client, "actor=系统") == {filter_entries["system"]}
    assert listed(client, "actor=%25") == set()


def test_filter_by_actor_ignores_case(login_as, filter_entries):
    client = login_as("talent_admin")
    assert listed(client, "actor=FUSHUN_REV") == {filter_entries["fushun"]}
    assert listed(client, "actor=Fushun_Rev") == {filter_entries["fushun"]}


def test_filter_by_unit_includes_children(app, login_as, filter_entries):
    client = login_as("talent_admin")

    province = listed(client, f"unit={unit_id(app, LIAONING)}")
    city = listed(client, f"unit={unit_id(app, FUSHUN)}")

    assert province == {
        filter_entries["fushun"],
        filter_entries["shenyang"],
        filter_entries["liaoning"],
    }
    assert city == {filter_entries["fushun"]}


def test_filter_by_action(login_as, filter_entries):
    client = login_as("talent_admin")

    assert listed(client, "action=test.b") == {
        filter_entries["shenyang"],
        filter_entries["system"],
    }


def test_filter_by_beijing_dates(login_as, filter_entries):
    client = login_as("talent_admin")

    assert listed(client, "from=2026-03-01&to=2026-03-01") == {filter_entries["fushun"]}
    assert listed(client, "from=2026-03-02&to=2026-03-05") == {
        filter_entries["shenyang"],
        filter_entries["liaoning"],
    }
    assert listed(client, "from=2026-03-06") == {filter_entries["system"]}


@pytest.mark.parametrize(
    "query, message",
    [
        ("from=2026-13-01", "开始日期“2026-13-01”无效"),
        ("to=abc", "结束日期“abc”无效"),
        ("from=20260301", "开始日期“20260301”无效"),
        ("to=9999-12-31", "超出范围"),
        ("from=0001-01-01", "超出范围"),
        ("from=2026-03-09&to=2026-03-01", "开始日期晚于结束日期"),
        ("unit=999999", "所选单位不存在"),
        ("unit=abc", "所选单位不存在"),
        ("page=abc&size=-1", None),
        ("page=99999999999999999999", None),
    ],
)
def test_bad_filters_warned(login_as, filter_entries, query, message):
    client = login_as("talent_admin")

    response = client.get(f"/audit/?{query}")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    if message is not None:
        assert message in page
    assert client.get(f"/audit/export?{query}").status_code == 200


def test_bad_date_is_ignored(login_as, filter_entries):
    client = login_as("talent_admin")

    assert listed(client, "from=2026-02-30&action=test.a") == {
        filter_entries["fushun"],
        filter_entries["liaoning"],
    }


def test_paging(app, login_as):
    for number in range(25):
        add_entry(app, "talent_admin", "test.page", None, f"第{number}条")
    client = login_as("talent_admin")

    first = entry_ids(client.get("/audit/?action=test.page").get_data(as_text=True))
    second = client.get("/audit/?action=test.page&page=2").get_data(as_text=True)
    beyond = client.get("/audit/?action=test.page&page=9").get_data(as_text=True)

    assert len(first) == 20
    assert len(entry_ids(second)) == 5
    assert first.isdisjoint(entry_ids(second))
    assert "共 25 条，第 2 / 2 页" in second
    assert entry_ids(beyond) == entry_ids(second)


# --- scope --------------------------------------------------------------------


def test_city_reviewer_sees_own_subtree(app, login_as, filter_entries):
    client = login_as("fushun_reviewer")

    assert listed(client, "") == {filter_entries["fushun"]}
    assert client.get(f"/audit/{filter_entries['shenyang']}").status_code == 404
    assert client.get(f"/audit/{filter_entries['system']}").status_code == 404


def test_city_reviewer_other_unit_filter_ignored(app, login_as, filter_entries):
    client = login_as("fushun_reviewer")

    response = client.get(f"/audit/?unit={unit_id(app, SHENYANG)}")

    page = response.get_data(as_text=True)
    assert "不在您的查看范围内" in page
    assert entry_ids(page) == {filter_entries["fushun"]}


def test_other_city_reviewer_sees_own_only(app, make_account, login_as, filter_entries):
    make_account("shenyang_reviewer", RoleName.CITY_REVIEWER, SHENYANG)

    client = login_as("shenyang_reviewer")

    assert listed(client, "") == {filter_entries["shenyang"]}


def test_province_reviewer_sees_cities(login_as, filter_entries):
    client = login_as("liaoning_reviewer")

    assert listed(client, "") == {
        filter_entries["fushun"],
        filter_entries["shenyang"],
        filter_entries["liaoning"],
    }


@pytest.mark.parametrize("username", ["talent_admin", "superadmin"])
def test_central_roles_see_everything(login_as, filter_entries, username):
    assert listed(login_as(username), "") >= set(filter_entries.values())


def test_review_entries_scoped_by_city(app, login_as):
    from app import demo_applications

    with app.app_context():
        demo_applications.create_demo_applications(DEMO_EMPLOYEE_ID)
        fushun_id = unit_id(app, FUSHUN)

    page = login_as("fushun_reviewer").get("/audit/?size=100&action=review.pass")
    text = page.get_data(as_text=True)

    shown = entry_ids(text)
    with app.app_context():
        shown_units = sa.select(AuditEntry.unit_id).where(AuditEntry.id.in_(shown))
        units = set(db.session.scalars(shown_units))
        other_city = db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(
                AuditEntry.action == "review.pass", AuditEntry.unit_id != fushun_id
            )
        )
    assert shown
    assert units == {fushun_id}
    assert other_city > 0
    assert "沈阳审核员" not in text


# --- export -------------------------------------------------------------------


def test_export_contains_filtered_rows(app, login_as, filter_entries):
    client = login_as("talent_admin")

    sheet = workbook(client.get("/audit/export?action=test.a")).active
    rows = list(sheet.iter_rows(values_only=True))

    assert rows[0][:5] == ("序号", "时间", "操作人", "单位", "操作")
    summaries = [row[7] for row in rows[1:]]
    assert summaries == ["辽宁", "抚顺"]
    assert rows[2][1] == "2026-03-01 10:00:00"
    [recorded] = entries(app, "export.audit_log")
    assert recorded.details == {"filters": {"action": "test.a"}, "rows": 2}


def test_export_respects_scope(login_as, filter_entries):
    client = login_as("fushun_reviewer")

    sheet = workbook(client.get("/audit/export")).active
    summaries = [row[7] for row in sheet.iter_rows(min_row=2, values_only=True)]

    assert summaries == ["抚顺"]
