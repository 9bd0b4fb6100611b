"""Validation of an activity's form input against its category's input specs."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from .formula import analyse_formula, table_key
from .numbers import format_decimal, normalize_text, parse_plain_decimal
from .ruleset import Category, InputSpec

InputValue = Decimal | int | str | None
"""A typed input: Decimal, int, an option code or text; None when left empty."""

RawInput = str | Decimal | int | None


def validate_inputs(
    category: Category, raw: Mapping[str, RawInput]
) -> tuple[dict[str, InputValue], dict[str, str]]:
    """Convert raw form strings to typed values and collect field-level errors.

    Returns (values, errors). `values` has an entry for every input of the category,
    None where the field is empty or does not apply. `errors` maps input names to
    Chinese messages and is empty when the input is valid. Full-width digits and
    points are accepted. Values that are already typed (Decimal, int) are accepted
    too, so stored values can be checked again before computing.
    """
    values: dict[str, InputValue] = {}
    errors: dict[str, str] = {}

    # Conditional inputs depend on plain choice inputs, so the plain ones go first.
    plain = [spec for spec in category.inputs if not spec.applies_when]
    conditional = [spec for spec in category.inputs if spec.applies_when]
    for spec in plain + conditional:
        if not _applies(spec, values):
            values[spec.name] = None
            continue
        value, error = _parse_input(spec, raw.get(spec.name))
        values[spec.name] = value
        if error:
            errors[spec.name] = error

    _check_table_ranges(category, values, errors)
    ordered = {spec.name: values[spec.name] for spec in category.inputs}
    return ordered, errors


def _applies(spec: InputSpec, values: Mapping[str, InputValue]) -> bool:
    return all(values.get(name) in codes for name, codes in spec.applies_when.items())


def _raw_text(raw: RawInput) -> str:
    if raw is None:
        return ""
    if isinstance(raw, Decimal):
        return format_decimal(raw)
    return str(raw)


def _parse_input(spec: InputSpec, raw: RawInput) -> tuple[InputValue, str | None]:
    text = _raw_text(raw).strip()
    if not text:
        if not spec.required:
            return None, None
        verb = "请选择" if spec.kind == "choice" else "请填写"
        return None, f"{verb}{spec.label}。"

    if spec.kind == "choice":
        return _parse_choice(spec, text)
    if spec.kind == "text":
        if spec.max_length is not None and len(text) > spec.max_length:
            return None, f"{spec.label}不能超过 {spec.max_length} 个字符。"
        return text, None
    return _parse_number(spec, text)


def _parse_choice(spec: InputSpec, text: str) -> tuple[InputValue, str | None]:
    code = normalize_text(text)
    if spec.option(code) is None:
        labels = "、".join(option.label for option in spec.options)
        return None, f"{spec.label}的选项“{text}”无效，可选：{labels}。"
    return code, None


def _parse_number(spec: InputSpec, text: str) -> tuple[InputValue, str | None]:
    number = parse_plain_decimal(text)
    if number is None:
        return None, f"{spec.label}应为数字，当前为“{text}”。"
    if spec.kind == "integer" and number != number.to_integral_value():
        return None, f"{spec.label}应为整数，当前为“{text}”。"

    unit = spec.unit
    entered = format_decimal(number)
    # Every quantity in a conversion (days, hours, courses, ranks) counts something,
    # so zero and negative numbers are always input errors.
    if number <= 0:
        return None, f"{spec.label}应大于 0，当前为 {entered}{unit}。"
    if spec.minimum is not None and number < spec.minimum:
        minimum = format_decimal(spec.minimum)
        return None, f"{spec.label}不能小于 {minimum}{unit}，当前为 {entered}{unit}。"
    if spec.maximum is not None and number > spec.maximum:
        maximum = format_decimal(spec.maximum)
        return None, f"{spec.label}不能大于 {maximum}{unit}，当前为 {entered}{unit}。"
    if spec.step is not None and number % spec.step != 0:
        step = format_decimal(spec.step)
        return None, f"{spec.label}应为 {step}{unit} 的整数倍，当前为 {entered}{unit}。"

    if spec.kind == "integer":
        return int(number), None
    return number, None


def _check_table_ranges(
    category: Category, values: dict[str, InputValue], errors: dict[str, str]
) -> None:
    """Report a row or column, such as a rank, that the category's table does not list.

    The rejected value is set to None, like any other value that failed validation.
    """
    for call in analyse_formula(category.formula).table_calls:
        row_value = values.get(call.row_input)
        column_value = values.get(call.column_input)
        if row_value is None or column_value is None:
            continue
        if call.row_input in errors or call.column_input in errors:
            continue

        specs = {spec.name: spec for spec in category.inputs}
        row_spec = specs.get(call.row_input)
        column_spec = specs.get(call.column_input)
        if row_spec is None or column_spec is None:
            continue  # RuleSet.validate reports the unknown input

        rows = category.tables.get(call.table, {})
        row_key = table_key(row_value)
        if row_key not in rows:
            row_text = _shown_value(row_spec, row_key)
            errors[call.row_input] = f"{row_spec.label}“{row_text}”不在折算表中。"
            values[call.row_input] = None
            continue

        column_keys = list(rows[row_key])
        if table_key(column_value) not in column_keys:
            row_label = _shown_value(row_spec, row_key)
            column_text = _shown_value(column_spec, table_key(column_value))
            allowed = _describe_keys(column_spec, column_keys)
            errors[call.column_input] = (
                f"{column_spec.label} {column_text} 超出{row_label}的折算表范围，可填 {allowed}。"
            )
            values[call.column_input] = None


def _shown_value(spec: InputSpec, key: str) -> str:
    option = spec.option(key) if spec.kind == "choice" else None
    return option.label if option is not None else key


def _describe_keys(spec: InputSpec, keys: list[str]) -> str:
    """Describe allowed table keys: "1–3" for a run of integers, else a list."""
    if spec.kind == "integer" and all(key.isdigit() for key in keys):
        numbers = sorted(int(key) for key in keys)
        if numbers == list(range(numbers[0], numbers[-1] + 1)) and len(numbers) > 1:
            return f"{numbers[0]}–{numbers[-1]}"
        return "、".join(str(number) for number in numbers)
    return "、".join(_shown_value(spec, key) for key in keys)
