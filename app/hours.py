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

from sqlalchemy import select

from . import rules
from .ruleset_store import current_ruleset
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
    category = ruleset.category(activity.category)
    values, errors = rules.validate_inputs(category, activity.inputs or {})
    return {} if errors else values


def compute_budget(
    owner_id: int, profile: Optional[Profile], ruleset: Optional[rules.RuleSet] = None
) -> Budget:
    """Compute the four-year table for the employee's planned application."""
    application_year = application_year_of(profile)
    ruleset = ruleset or current_ruleset(application_year)
    method = profile.target_method if profile is not None else None
    years = [application_year + offset for offset in ruleset.display_year_offsets]

    rows = db.session.scalars(
        select(Activity)
        .where(Activity.owner_id == owner_id, Activity.year.in_(years))
        .order_by(Activity.start_date, Activity.id)
    ).all()
    known_codes = {category.code for category in ruleset.categories}
    by_year: dict[int, list] = {year: [] for year in years}
    for activity in rows:
        if activity.category not in known_codes:
            continue
        values = activity_values(ruleset, activity)
        if values:
            by_year[activity.year].append((activity.category, values, activity.id))

    summaries = {
        year: rules.compute_year(ruleset, year, items) for year, items in by_year.items()
    }
    assessment = None
    if method in method_labels(ruleset):
        assessment = rules.assess_application(
            ruleset, method, application_year, summaries
        )
    return Budget(ruleset, application_year, method, summaries, assessment)
