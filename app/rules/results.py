"""Computed figures with their working, each serialisable with `to_dict`.

`to_dict` writes Decimals as strings and years as integers inside lists, so the
result survives a JSON round trip unchanged. An application stores such a dict as
its snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from .numbers import format_decimal


@dataclass(frozen=True)
class ActivityHours:
    """The hours of one activity after the per-item cap, with the working text."""

    category_code: str
    bucket: str
    hours: Decimal
    working: str
    capped: bool
    uncapped_hours: Decimal

    def to_dict(self) -> dict[str, object]:
        return {
            "category_code": self.category_code,
            "bucket": self.bucket,
            "hours": format_decimal(self.hours),
            "uncapped_hours": format_decimal(self.uncapped_hours),
            "working": self.working,
            "capped": self.capped,
        }


@dataclass(frozen=True)
class ActivityLine:
    """One activity inside a year, after the per-item and the per-year cap.

    `ref` is whatever the caller passed in to link the line to its record. `hours`
    is what counts towards the year, `item_hours` what the activity earned alone.
    """

    ref: object
    category_code: str
    category_label: str
    bucket: str
    item_hours: Decimal
    hours: Decimal
    working: str
    capped: bool
    year_capped: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "ref": self.ref,
            "category_code": self.category_code,
            "category_label": self.category_label,
            "bucket": self.bucket,
            "item_hours": format_decimal(self.item_hours),
            "hours": format_decimal(self.hours),
            "working": self.working,
            "capped": self.capped,
            "year_capped": self.year_capped,
        }


@dataclass(frozen=True)
class Shortfall:
    """A requirement that a year misses.

    `bucket` is the requirement code: a bucket (public, compulsory) or a sum of
    buckets (professional, total).
    """

    bucket: str
    label_zh: str
    have: Decimal
    need: Decimal

    @property
    def missing(self) -> Decimal:
        return self.need - self.have

    def to_dict(self) -> dict[str, object]:
        return {
            "bucket": self.bucket,
            "label_zh": self.label_zh,
            "have": format_decimal(self.have),
            "need": format_decimal(self.need),
        }


@dataclass(frozen=True)
class YearSummary:
    """The hours of one year: totals per bucket and requirement, lines and shortfalls.

    `totals` contains every bucket code (public, compulsory, elective) and every
    requirement code (professional, total), in rule-set order.
    """

    year: int
    ruleset_version: str
    totals: Mapping[str, Decimal]
    lines: tuple[ActivityLine, ...]
    shortfalls: tuple[Shortfall, ...]

    @property
    def compliant(self) -> bool:
        return not self.shortfalls

    def total(self, code: str) -> Decimal:
        """Return a bucket's or requirement's total; raise KeyError if unknown."""
        return self.totals[code]

    def to_dict(self) -> dict[str, object]:
        return {
            "year": self.year,
            "ruleset_version": self.ruleset_version,
            "totals": {
                code: format_decimal(hours) for code, hours in self.totals.items()
            },
            "lines": [line.to_dict() for line in self.lines],
            "shortfalls": [shortfall.to_dict() for shortfall in self.shortfalls],
            "compliant": self.compliant,
        }


@dataclass(frozen=True)
class Assessment:
    """Whether an application meets the yearly requirements of its method.

    `shortfalls_by_year` has a key for every required year, with an empty tuple for
    a year that complies. `years` contains the summary of every display year.
    """

    ruleset_version: str
    policy_year: int
    method: str
    method_label: str
    application_year: int
    display_years: tuple[int, ...]
    required_years: tuple[int, ...]
    years: Mapping[int, YearSummary]
    shortfalls_by_year: Mapping[int, tuple[Shortfall, ...]] = field(
        default_factory=dict
    )

    @property
    def compliant(self) -> bool:
        return all(not shortfalls for shortfalls in self.shortfalls_by_year.values())

    def to_dict(self) -> dict[str, object]:
        return {
            "ruleset_version": self.ruleset_version,
            "policy_year": self.policy_year,
            "method": self.method,
            "method_label": self.method_label,
            "application_year": self.application_year,
            "display_years": list(self.display_years),
            "required_years": list(self.required_years),
            "compliant": self.compliant,
            "years": [self.years[year].to_dict() for year in self.display_years],
            "shortfalls_by_year": [
                {"year": year, "shortfalls": [s.to_dict() for s in shortfalls]}
                for year, shortfalls in self.shortfalls_by_year.items()
            ],
        }
