"""Permission checks: one query per request for all of a page's menu entries and buttons."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db


def statements_of(app, client, url) -> tuple[int, list[str]]:
    """GET `url` and return the status and every SQL statement it issued."""
    statements: list[str] = []

    def record(conn, cursor, statement, params, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return response.status_code, statements


def permission_queries(statements: list[str]) -> list[str]:
    return [s for s in statements if "ab_permission_view" in s]


def test_review_list_checks_permissions_once(app, login_as):
    status, statements = statements_of(app, login_as("fushun_reviewer"), "/review/")
    assert status == 200
    assert len(permission_queries(statements)) == 1
    assert len(statements) <= 12


def test_admin_list_checks_permissions_once(app, login_as):
    status, statements = statements_of(app, login_as("superadmin"), "/users/list/")
    assert status == 200
    assert len(permission_queries(statements)) == 1


def test_budget_checks_permissions_once(app, employee_client):
    status, statements = statements_of(app, employee_client, "/budget/")
    assert status == 200
    assert len(permission_queries(statements)) == 1


def test_each_request_reads_permissions_again(app, login_as):
    client = login_as("fushun_reviewer")
    first = permission_queries(statements_of(app, client, "/review/")[1])
    second = permission_queries(statements_of(app, client, "/review/")[1])
    assert len(first) == 1
    assert len(second) == 1
