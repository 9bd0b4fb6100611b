"""Working text: templates that show reviewers how an activity's hours were reached."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from .numbers import format_decimal
from .ruleset import Category

RESULT_PLACEHOLDER = "result"

_PLACEHOLDER = re.compile(r"\{(\w+)(?:\.(value))?\}")


def template_placeholders(template: str) -> list[tuple[str, bool]]:
    """Return each `{name}` or `{name.value}` of a template as (name, wants value?)."""
    matches = _PLACEHOLDER.finditer(template)
    return [(match.group(1), match.group(2) is not None) for match in matches]


def choose_template(category: Category, values: Mapping[str, object]) -> str:
    """Return the working template for these values, with a plain fallback."""
    if category.working_by is not None:
        case = category.working_cases.get(str(values.get(category.working_by)))
        if case:
            return case
    if category.working:
        return category.working
    return category.label + " {result}学时"


def render_working(
    category: Category, values: Mapping[str, object], result: Decimal
) -> str:
    """Fill the category's working template with the values and the formula result."""
    template = choose_template(category, values)
    specs = {spec.name: spec for spec in category.inputs}

    def replace(match: re.Match[str]) -> str:
        name, wants_value = match.group(1), match.group(2) is not None
        if name == RESULT_PLACEHOLDER:
            return format_decimal(result)

        value = values.get(name)
        spec = specs.get(name)
        if spec is None or value is None:
            return "—"
        if spec.kind == "choice":
            option = spec.option(str(value))
            if option is None:
                return str(value)
            if wants_value:
                return format_decimal(option.value) if option.value is not None else "—"
            return option.label
        if isinstance(value, int | Decimal):
            return format_decimal(value)
        return str(value)

    return _PLACEHOLDER.sub(replace, template)


def item_cap_note(cap: Decimal) -> str:
    """Return the text appended when the per-item cap limits an activity."""
    hours = format_decimal(cap)
    return f"，单项上限 {hours}学时，计 {hours}学时"


def year_cap_note(
    category_label: str, cap: Decimal, counted_before: Decimal, counted: Decimal
) -> str:
    """Return the text appended when the per-year cap limits an activity."""
    cap_text = format_decimal(cap)
    if counted == 0:
        return f"；本年度 {category_label} 上限 {cap_text}学时，已计满，本项计 0学时"
    before = format_decimal(counted_before)
    return (
        f"；本年度 {category_label} 上限 {cap_text}学时，此前已计 {before}学时，"
        f"本项计 {format_decimal(counted)}学时"
    )
