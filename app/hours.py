"""Credit-hour figures of one employee, computed from their stored activities.

This module joins the database to the framework-free rules engine: it loads
the activities of the years shown, lets `app.rules` convert them, and returns
the four-year table with every figure's working.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Optional

from flask import current_app
from sqlalchemy import select

from . import rules
from .ruleset_store import current_ruleset, is_published_instance
from .extensions import db
from .models import Activity, Profile


@dataclass(frozen=True)
class Budget:
    """The four-year table (年度学时) of one employee for one application year."""

    ruleset: rules.RuleSet
    application_year: int
    method: Optional[str]
    summaries: dict[int, rules.YearSummary]
    assessment: Optional[rules.Assessment]

    @property
    def display_years(self) -> list[int]:
        """Return the table's years, newest first as the manual shows them."""
        return sorted(self.summaries, reverse=True)

    @property
    def method_label(self) -> str:
        return method_labels(self.ruleset).get(self.method or "", "")

    @property
    def minimums(self) -> dict[str, Decimal]:
        """Return each requirement's yearly minimum by code (public, total, ...)."""
        return {item.code: item.minimum for item in self.ruleset.requirements}

    def to_snapshot(self) -> dict:
        """Return the figures as plain JSON data, to freeze in an application."""
        return {
            "ruleset_version": self.ruleset.version,
            "policy_year": self.ruleset.policy_year,
            "application_year": self.application_year,
            "method": self.method,
            "years": {
                str(year): summary.to_dict() for year, summary in self.summaries.items()
            },
            "assessment": self.assessment.to_dict() if self.assessment else None,
        }


def method_labels(ruleset: rules.RuleSet) -> dict[str, str]:
    return {method.code: method.label for method in ruleset.application_methods}


def application_year_of(profile: Optional[Profile], today: Optional[dt.date] = None) -> int:
    if profile is not None and profile.target_year:
        return profile.target_year
    return (today or dt.date.today()).year


def activity_values(ruleset: rules.RuleSet, activity: Activity) -> dict:
    """Re-validate a stored activity's inputs into the typed values the formula reads.

    Stored inputs were validated when saved, but the rule set may have changed
    since; an input the current rule set rejects contributes no hours.
    """
    return _typed_values(ruleset, activity.category, activity.inputs or {})


def _typed_values(ruleset: rules.RuleSet, category_code: str, inputs: dict) -> dict:
    category = ruleset.category(category_code)
    values, errors = rules.validate_inputs(category, inputs)
    return {} if errors else values


# A published rule set never changes, so the conversion of the same inputs by
# it always gives the same hours: those are kept per app and rule-set label,
# up to this many per label. Drafts are converted afresh every time.
MAX_CACHED_CONVERSIONS = 50_000


class _Conversions:
    """Typed values and hours of activities by their inputs, for one published rule set."""

    def __init__(self, ruleset: rules.RuleSet) -> None:
        self.ruleset = ruleset
        self.values: dict[tuple, dict] = {}
        self.hours: dict[tuple, rules.ActivityHours] = {}

    def typed_values(self, category_code: str, inputs: dict) -> dict:
        key = _key(category_code, inputs)
        values = self.values.get(key) if key else None
        if key is None:
            return _typed_values(self.ruleset, category_code, inputs)
        if values is None:
            values = _typed_values(self.ruleset, category_code, inputs)
            if len(self.values) < MAX_CACHED_CONVERSIONS:
                self.values[key] = values
        return values

    def convert(self, category, values, ref) -> rules.ActivityHours:
        key = _key(category.code, values)
        if key is None:
            return rules.compute_activity(category, values, ref)
        hours = self.hours.get(key)
        if hours is None:
            hours = rules.compute_activity(category, values, ref)
            if len(self.hours) < MAX_CACHED_CONVERSIONS:
                self.hours[key] = hours
        return hours


def _key(category_code: str, mapping: dict) -> Optional[tuple]:
    """Return a hashable key of the inputs, or None when a value cannot be hashed."""
    key = (category_code, tuple(sorted(mapping.items())))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _conversions(ruleset: rules.RuleSet) -> Optional[_Conversions]:
    if not is_published_instance(ruleset):
        return None
    store = current_app.extensions.setdefault("activity_conversions", {})
    conversions = store.get(ruleset.version)
    if conversions is None or conversions.ruleset is not ruleset:
        conversions = store[ruleset.version] = _Conversions(ruleset)
    return conversions


def compute_budget(
    owner_id: int, profile: Optional[Profile], ruleset: Optional[rules.RuleSet] = None
) -> Budget:
    """Compute the four-year table for the employee's planned application."""
    application_year = application_year_of(profile)
    ruleset = ruleset or current_ruleset(application_year)
    method = profile.target_method if profile is not None else None
    years = [application_year + offset for offset in ruleset.display_year_offsets]

    # Only the columns the conversion reads, not whole activity objects.
    rows = db.session.execute(
        select(Activity.id, Activity.category, Activity.year, Activity.inputs)
        .where(Activity.owner_id == owner_id, Activity.year.in_(years))
        .order_by(Activity.start_date, Activity.id)
    ).all()
    conversions = _conversions(ruleset)
    known_codes = {category.code for category in ruleset.categories}
    by_year: dict[int, list] = {year: [] for year in years}
    for row in rows:
        if row.category not in known_codes:
            continue
        inputs = row.inputs or {}
        if conversions is not None:
            values = conversions.typed_values(row.category, inputs)
        else:
            values = _typed_values(ruleset, row.category, inputs)
        if values:
            by_year[row.year].append((row.category, values, row.id))

    summaries = {
        year: rules.compute_year(
            ruleset, year, items, conversions.convert if conversions else None
        )
        for year, items in by_year.items()
    }
    assessment = None
    if method in method_labels(ruleset):
        assessment = rules.assess_application(
            ruleset, method, application_year, summaries
        )
    return Budget(ruleset, application_year, method, summaries, assessment)
