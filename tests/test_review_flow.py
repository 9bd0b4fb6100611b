"""The review workflow end to end: city level, province level, returns."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.glossary import RoleName
from app.models import Application, ReviewEvent
from tests.test_submission import applications, events, submit_compliant


def rows_of(page: str) -> list[str]:
    return re.findall(r'name="rows" value="(\d+:\d+)"', page)


def act(client, action, rows, reason=None, back="/review/"):
    data = {"action": action, "rows": rows, "back": back}
    if reason is not None:
        data["reason"] = reason
    return client.post("/review/action", data=data)


def selection(app) -> list[str]:
    return [f"{row.id}:{row.version}" for row in applications(app)]


def test_full_chain_to_final_result(app, employee_client, login_as):
    submit_compliant(employee_client)
    city = login_as("fushun_reviewer")
    province = login_as("liaoning_reviewer")

    page = city.get("/review/").get_data(as_text=True)
    assert rows_of(page) == selection(app)

    assert act(city, "pass", selection(app)).status_code == 302
    [application] = applications(app)
    assert application.status == "reviewed"
    assert application.city_decision == "pass"

    assert act(city, "submit", selection(app)).status_code == 302
    [application] = applications(app)
    assert application.status == "pending"
    assert application.review_unit_id == application.top_review_unit_id
    assert rows_of(city.get("/review/").get_data(as_text=True)) == []
    assert "张三" in city.get("/review/?tab=reviewed").get_data(as_text=True)

    assert rows_of(province.get("/review/").get_data(as_text=True)) == selection(app)
    act(province, "pass", selection(app))
    act(province, "submit", selection(app))
    [application] = applications(app)
    assert application.status == "completed"
    assert application.final_result == "pass"
    assert application.review_unit_id is None

    home = employee_client.get("/").get_data(as_text=True)
    assert "最终结果：合格" in home
    actions = [event.action for event in events(app)]
    assert actions == ["submit_application", "pass", "submit", "pass", "submit"]
