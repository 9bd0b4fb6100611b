"""Conversions kept per published rule set: the same figures, computed once."""

from __future__ import annotations

import sqlalchemy as sa

from app import hours, rules
from app.demo import DEMO_EMPLOYEE_ID
from app.extensions import db
from app.models import Account, Profile
from tests.test_rulesets import seed
from tests.test_submission import THIS_YEAR, add_on


def budget_of(app):
    with app.app_context():
        account = db.session.scalar(sa.select(Account).where(Account.username == DEMO_EMPLOYEE_ID))
        profile = db.session.get(Profile, account.id)
        return hours.compute_budget(account.id, profile)


def test_second_budget_converts_nothing_again(app, employee_client, monkeypatch):
    seed(app)
    add_on(employee_client, "face_to_face_training", THIS_YEAR - 1, in_days="3")
    add_on(employee_client, "online_course", THIS_YEAR - 1, in_course_hours="12")
    first = budget_of(app)

    calls = []
    original = rules.compute_activity
    monkeypatch.setattr(
        rules, "compute_activity", lambda *args: calls.append(args) or original(*args)
    )
    second = budget_of(app)

    assert calls == []
    assert second.summaries == first.summaries
    year = second.summaries[THIS_YEAR - 1]
    assert sorted(rules.format_decimal(line.hours) for line in year.lines) == ["12", "24"]


def test_draft_rule_sets_are_not_cached(app, employee_client):
    seed(app)
    add_on(employee_client, "face_to_face_training", THIS_YEAR - 1, in_days="3")
    with app.app_context():
        account = db.session.scalar(sa.select(Account).where(Account.username == DEMO_EMPLOYEE_ID))
        profile = db.session.get(Profile, account.id)
        draft = rules.load_ruleset(THIS_YEAR)
        hours.compute_budget(account.id, profile, draft)
        cached = app.extensions.get("activity_conversions", {}).values()
        assert all(conversions.ruleset is not draft for conversions in cached)
