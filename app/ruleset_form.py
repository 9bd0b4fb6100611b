"""The rule-set editing form: posted fields applied to a rule set's data.

Each form field is named by the rule-set path that `RuleSet.validate` uses
in its errors, such as `categories[face_to_face_training].formula` or
`requirements[total].minimum`, so every error can be shown beside its field.
A path missing from the posted form keeps its current value.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from . import rules
from .rules.numbers import parse_plain_decimal

NUMERIC_KINDS = ("decimal", "integer")
EXCEPTION_PREFIX = "exception_types-"
# Blank exception-type rows offered below the existing ones for additions.
BLANK_EXCEPTION_ROWS = 3
MAX_EXCEPTION_ROWS = 50

_OFFSET_SEPARATORS = re.compile(r"[,，、\s]+")
_SEGMENT = re.compile(r"(\w+)(?:\[([^\]]*)\])?")

FIELD_LABELS = {
    "policy_year": "政策年度",
    "version": "版本号",
    "name": "名称",
    "source": "依据",
    "buckets": "学时类别",
    "requirements": "年度要求",
    "minimum": "最低学时",
    "display_year_offsets": "展示年度",
    "application_methods": "申报方式",
    "required_year_offsets": "须达标年度",
    "exception_types": "破格类型",
    "categories": "业绩类别",
    "code": "代码",
    "label": "名称",
    "bucket": "学时类别",
    "description": "说明",
    "inputs": "输入项",
    "kind": "输入类型",
    "min": "最小值",
    "max": "最大值",
    "step": "步长",
    "max_length": "最大长度",
    "options": "选项",
    "value": "折算值",
    "applies_when": "适用条件",
    "formula": "公式",
    "tables": "折算表",
    "working": "计算过程模板",
    "working_by": "分情况依据",
    "working_cases": "分情况计算过程模板",
    "cap_per_item": "单项上限",
    "cap_per_year": "年度上限",
}


class FormErrors(dict[str, list[str]]):
    """Messages by rule-set path, in the order they were found."""

    def add(self, path: str, message: str) -> None:
        self.setdefault(path, []).append(message)

    def extend(self, errors: list[rules.RuleSetError]) -> None:
        for error in errors:
            self.add(error.field_path, error.message_zh)


def parse_offsets(raw: str) -> list[int] | None:
    """Parse year offsets typed as "-3, -2, -1", or return None for a non-integer."""
    parts = [part for part in _OFFSET_SEPARATORS.split(raw.strip()) if part]
    offsets = []
    for part in parts:
        part = part.replace("−", "-").replace("－", "-")
        if not re.fullmatch(r"[+-]?\d{1,3}", part):
            return None
        offsets.append(int(part))
    return offsets


def format_offsets(offsets: list[int]) -> str:
    return ", ".join(str(offset) for offset in offsets)


class _Applier:
    """Copies posted values into a deep copy of the data, collecting parse errors."""

    def __init__(self, data: Mapping[str, Any], form: Mapping[str, str]) -> None:
        self.data = copy.deepcopy(dict(data))
        self.form = form
        self.errors = FormErrors()

    def text(self, target: dict, key: str, path: str, optional: bool = False) -> None:
        if path not in self.form:
            return
        value = self.form[path].strip()
        if optional and not value:
            target.pop(key, None)
        else:
            target[key] = value

    def number(self, target: dict, key: str, path: str, optional: bool) -> None:
        """Store a posted decimal as plain text. An empty optional field removes it."""
        if path not in self.form:
            return
        raw = self.form[path].strip()
        if not raw and optional:
            target.pop(key, None)
            return
        number = parse_plain_decimal(raw)
        if number is None:
            target[key] = raw
            self.errors.add(path, f"应为数字，如 8 或 0.5，收到“{raw[:20]}”")
            return
        target[key] = rules.format_decimal(number)

    def integer(self, target: dict, key: str, path: str) -> None:
        """Store a posted whole number. An empty field removes it."""
        if path not in self.form:
            return
        raw = self.form[path].strip()
        if not raw:
            target.pop(key, None)
        elif re.fullmatch(r"[+-]?\d{1,6}", raw):
            target[key] = int(raw)
        else:
            target[key] = raw
            self.errors.add(path, f"应为整数，收到“{raw[:20]}”")

    def offsets(self, target: dict, key: str, path: str) -> None:
        if path not in self.form:
            return
        parsed = parse_offsets(self.form[path])
        if parsed is None:
            self.errors.add(path, "应为用逗号分隔的整数，如 -3, -2, -1")
        else:
            target[key] = parsed


def apply_form(
    data: Mapping[str, Any], form: Mapping[str, str]
) -> tuple[dict[str, Any], FormErrors]:
    """Return a copy of the rule-set data with the posted fields applied.

    The errors are the posted values that are not numbers where numbers are
    expected. Rules that need the whole set are left to `RuleSet.validate`.
    """
    applier = _Applier(data, form)
    result = applier.data
    applier.text(result, "name", "name")
    applier.text(result, "source", "source")

    for requirement in result.get("requirements", []):
        path = f"requirements[{requirement['code']}]"
        applier.number(requirement, "minimum", f"{path}.minimum", optional=False)

    applier.offsets(result, "display_year_offsets", "display_year_offsets")
    for method in result.get("application_methods", []):
        path = f"application_methods[{method['code']}].required_year_offsets"
        applier.offsets(method, "required_year_offsets", path)

    if f"{EXCEPTION_PREFIX}count" in form:
        result["exception_types"] = _posted_exception_types(form)

    for category in result.get("categories", []):
        _apply_category(applier, category)
    return result, applier.errors


def _posted_exception_types(form: Mapping[str, str]) -> list[dict[str, str]]:
    """Read the exception-type rows, leaving out blank rows and rows ticked 删除."""
    try:
        count = min(int(form[f"{EXCEPTION_PREFIX}count"]), MAX_EXCEPTION_ROWS)
    except ValueError:
        count = 0
    types = []
    for index in range(count):
        prefix = f"{EXCEPTION_PREFIX}{index}-"
        code = form.get(prefix + "code", "").strip()
        label = form.get(prefix + "label", "").strip()
        if form.get(prefix + "delete") or not (code or label):
            continue
        types.append({"code": code, "label": label})
    return types


def _apply_category(applier: _Applier, category: dict[str, Any]) -> None:
    path = f"categories[{category['code']}]"
    applier.text(category, "description", f"{path}.description")
    applier.text(category, "formula", f"{path}.formula")
    applier.text(category, "working", f"{path}.working", optional=True)
    for case in category.get("working_cases", {}):
        applier.text(category["working_cases"], case, f"{path}.working_cases.{case}")
    applier.number(category, "cap_per_item", f"{path}.cap_per_item", optional=True)
    applier.number(category, "cap_per_year", f"{path}.cap_per_year", optional=True)

    for spec in category.get("inputs", []):
        input_path = f"{path}.inputs[{spec['name']}]"
        if spec.get("kind") in NUMERIC_KINDS:
            for key in ("min", "max", "step"):
                applier.number(spec, key, f"{input_path}.{key}", optional=True)
        if spec.get("kind") == "text":
            applier.integer(spec, "max_length", f"{input_path}.max_length")
        for option in spec.get("options", []):
            option_path = f"{input_path}.options[{option['code']}].value"
            applier.number(option, "value", option_path, optional=True)

    for table, rows in category.get("tables", {}).items():
        for row, cells in rows.items():
            for column in cells:
                cell_path = f"{path}.tables.{table}.{row}.{column}"
                applier.number(cells, column, cell_path, optional=False)


def parse_json_text(text: str) -> tuple[dict[str, Any] | None, FormErrors]:
    """Parse the advanced editor's JSON text, keeping numbers as exact Decimals."""
    errors = FormErrors()
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        errors.add(
            "json",
            f"JSON 格式错误：第 {error.lineno} 行第 {error.colno} 列，{error.msg}",
        )
        return None, errors
    if not isinstance(data, dict):
        errors.add("json", "规则集应为一个 JSON 对象")
        return None, errors
    return data, errors


def build_ruleset(data: Mapping[str, Any], errors: FormErrors) -> rules.RuleSet | None:
    """Build the rule set from edited data, or add the reading error and return None."""
    if errors:
        return None
    try:
        return rules.RuleSet.from_dict(data)
    except rules.InvalidRuleSetError as error:
        errors.extend(error.errors)
        return None


def describe_path(data: Mapping[str, Any], path: str) -> str:
    """Name a rule-set path in Chinese: "业绩类别“面授培训” › 公式".

    Items in brackets are named by their label when the data has one, and
    unknown segments are shown as they are.
    """
    parts = []
    scope: Any = data
    for segment in path.split("."):
        match = _SEGMENT.fullmatch(segment)
        if match is None:
            parts.append(segment)
            scope = None
            continue
        key, code = match.group(1), match.group(2)
        noun = FIELD_LABELS.get(key, key)
        if code is None:
            parts.append(noun)
            scope = scope.get(key) if isinstance(scope, Mapping) else None
            continue

        items = scope.get(key) if isinstance(scope, Mapping) else None
        item = _find_item(items, code)
        label = item.get("label") if isinstance(item, Mapping) else None
        parts.append(f"{noun}“{label or code}”")
        scope = item
    return " › ".join(parts)


def _find_item(items: Any, code: str) -> Any:
    if not isinstance(items, list):
        return None
    for item in items:
        if isinstance(item, Mapping) and code in (item.get("code"), item.get("name")):
            return item
    return None


def error_lines(data: Mapping[str, Any], errors: Mapping[str, list[str]]) -> list[str]:
    """Return one line per error: where it is, its path, and what is wrong."""
    lines = []
    for path, messages in errors.items():
        place = describe_path(data, path) if path != "json" else "JSON"
        for message in messages:
            lines.append(f"{place}（{path}）：{message}")
    return lines
