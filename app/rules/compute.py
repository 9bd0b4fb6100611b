"""Hours per activity, per year and per application, each with its working."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Optional

from .errors import FormulaError, InvalidInputError
from .formula import FormulaContext, evaluate_formula
from .inputs import RawInput, validate_inputs
from .numbers import format_decimal, round_hours
from .results import ActivityHours, ActivityLine, Assessment, Shortfall, YearSummary
from .ruleset import Category, RuleSet
from .working import item_cap_note, render_working, year_cap_note

ActivityEntry = tuple[str, Mapping[str, RawInput], object]
"""(category code, input values, caller's reference) for one activity."""


def compute_activity(
    category: Category, values: Mapping[str, RawInput], ref: object = None
) -> ActivityHours:
    """Convert one activity to hours and apply the category's per-item cap.

    `values` may be raw form strings or the typed values of `validate_inputs`; both
    are validated again here. Raises InvalidInputError with the field errors, and
    FormulaError when the formula cannot be evaluated or gives negative hours.
    """
    typed, errors = validate_inputs(category, values)
    if errors:
        raise InvalidInputError(category.code, errors, ref)

    context = FormulaContext(
        values=typed,
        option_values={
            spec.name: {option.code: option.value for option in spec.options}
            for spec in category.inputs
            if spec.kind == "choice"
        },
        tables=category.tables,
    )
    result = round_hours(evaluate_formula(category.formula, context))
    if result < 0:
        raise FormulaError(
            f"业绩类别 {category.code} 的公式得出负学时 {format_decimal(result)}。"
        )

    working = render_working(category, typed, result)
    hours = result
    capped = False
    cap = category.cap_per_item
    if cap is not None and result > cap:
        hours = round_hours(cap)
        capped = True
        working += item_cap_note(cap)

    return ActivityHours(
        category_code=category.code,
        bucket=category.bucket,
        hours=hours,
        working=working,
        capped=capped,
        uncapped_hours=result,
    )


def compute_year(
    ruleset: RuleSet,
    year: int,
    activities: Iterable[ActivityEntry],
    convert: Optional[Callable[[Category, Mapping[str, RawInput], object], ActivityHours]] = None,
) -> YearSummary:
    """Sum a year's activities into buckets and check the yearly requirements.

    Per-year caps apply in the order the activities are given: once a category has
    reached its cap, later activities of that category count only the remainder.
    `convert` converts one activity, `compute_activity` unless a caller passes
    one that remembers earlier results. Raises KeyError for an unknown category
    code and InvalidInputError, carrying the activity's ref, for invalid values.
    """
    convert = convert or compute_activity
    counted_per_category: dict[str, Decimal] = {}
    bucket_totals = {bucket.code: Decimal(0) for bucket in ruleset.buckets}
    lines: list[ActivityLine] = []

    for category_code, values, ref in activities:
        category = ruleset.category(category_code)
        activity = convert(category, values, ref)

        counted_before = counted_per_category.get(category.code, Decimal(0))
        hours = activity.hours
        working = activity.working
        year_capped = False
        cap = category.cap_per_year
        if cap is not None and counted_before + hours > cap:
            hours = max(cap - counted_before, Decimal(0))
            year_capped = True
            working += year_cap_note(category.label, cap, counted_before, hours)

        counted_per_category[category.code] = counted_before + hours
        bucket_totals[category.bucket] += hours
        lines.append(
            ActivityLine(
                ref=ref,
                category_code=category.code,
                category_label=category.label,
                bucket=category.bucket,
                item_hours=activity.hours,
                hours=hours,
                working=working,
                capped=activity.capped,
                year_capped=year_capped,
            )
        )

    totals: dict[str, Decimal] = dict(bucket_totals)
    shortfalls: list[Shortfall] = []
    for requirement in ruleset.requirements:
        have = sum((bucket_totals[code] for code in requirement.buckets), Decimal(0))
        totals[requirement.code] = have
        if have < requirement.minimum:
            shortfall = Shortfall(
                requirement.code, requirement.label, have, requirement.minimum
            )
            shortfalls.append(shortfall)

    return YearSummary(
        year=year,
        ruleset_version=ruleset.version,
        totals=totals,
        lines=tuple(lines),
        shortfalls=tuple(shortfalls),
    )


def assess_application(
    ruleset: RuleSet,
    method: str,
    application_year: int,
    summaries: Mapping[int, YearSummary],
) -> Assessment:
    """Check the required years of an application against the yearly requirements.

    `method` is a method code (review) or label (评审). A display or required year
    missing from `summaries` counts as a year without activities, so it falls short.
    """
    application_method = ruleset.method(method)
    display_years = ruleset.display_years(application_year)
    required_years = ruleset.required_years(application_method.code, application_year)

    years: dict[int, YearSummary] = {}
    for year in sorted(set(display_years) | set(required_years)):
        summary = summaries.get(year)
        if summary is None:
            summary = compute_year(ruleset, year, [])
        years[year] = summary

    return Assessment(
        ruleset_version=ruleset.version,
        policy_year=ruleset.policy_year,
        method=application_method.code,
        method_label=application_method.label,
        application_year=application_year,
        display_years=display_years,
        required_years=required_years,
        years=years,
        shortfalls_by_year={year: years[year].shortfalls for year in required_years},
    )


def describe_shortfalls(assessment: Assessment) -> str:
    """Return a Chinese sentence naming each short required year and requirement.

    Example: "2023年 公需科目 8学时，少于 10学时；2023年 总学时 70学时，少于 90学时。"
    Returns an empty string when the application complies.
    """
    parts = [
        f"{year}年 {shortfall.label_zh} {format_decimal(shortfall.have)}学时，"
        f"少于 {format_decimal(shortfall.need)}学时"
        for year, shortfalls in sorted(assessment.shortfalls_by_year.items())
        for shortfall in shortfalls
    ]
    if not parts:
        return ""
    return "；".join(parts) + "。"
