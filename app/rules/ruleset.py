"""The rule set: buckets, yearly requirements and conversion categories, as data.

A rule set is stored as JSON under `data/`, one file per policy year, and can be
rebuilt from the plain dict that `RuleSet.to_dict` returns, so the same values can
also live in a database row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from .errors import InvalidRuleSetError, RuleSetError
from .field_reader import FieldReader
from .numbers import format_decimal

DATA_DIR = Path(__file__).parent / "data"
_RULESET_FILE = re.compile(r"ruleset-(\d{4})\.json")

INPUT_KINDS = ("decimal", "integer", "choice", "text")


@dataclass(frozen=True)
class Bucket:
    """A kind of credit hours that activities fill, such as 公需科目."""

    code: str
    label: str


@dataclass(frozen=True)
class Requirement:
    """A yearly minimum on the sum of one or more buckets."""

    code: str
    label: str
    buckets: tuple[str, ...]
    minimum: Decimal


@dataclass(frozen=True)
class ApplicationMethod:
    """An application method (评审, 认定) and the years that must comply.

    Offsets are relative to the application year: -1 is the year before it.
    """

    code: str
    label: str
    required_year_offsets: tuple[int, ...]


@dataclass(frozen=True)
class ExceptionType:
    """A reason for submitting although a year falls short (破格类型)."""

    code: str
    label: str


@dataclass(frozen=True)
class ChoiceOption:
    """One option of a choice input.

    `value` is the Decimal that a formula reads with value(); None when unused.
    """

    code: str
    label: str
    value: Decimal | None = None


@dataclass(frozen=True)
class InputSpec:
    """One form field of a category.

    `applies_when` maps a choice input to the option codes under which this field is
    asked for. When the condition fails, the field is ignored and stays empty.
    """

    name: str
    label: str
    kind: str
    required: bool = True
    unit: str = ""
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    step: Decimal | None = None
    options: tuple[ChoiceOption, ...] = ()
    max_length: int | None = None
    applies_when: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def option(self, code: str) -> ChoiceOption | None:
        return next((option for option in self.options if option.code == code), None)


@dataclass(frozen=True)
class Category:
    """A kind of activity, its inputs and the formula that converts them to hours.

    `working` is the template of the working text. `{name}` is replaced by an input's
    value (a choice by its label), `{name.value}` by a choice's option value and
    `{result}` by the formula's result. When `working_by` names a choice input,
    `working_cases` gives a template per option code and `working` is the fallback.
    """

    code: str
    label: str
    bucket: str
    inputs: tuple[InputSpec, ...]
    formula: str
    description: str = ""
    source: str = ""
    cap_per_item: Decimal | None = None
    cap_per_year: Decimal | None = None
    tables: Mapping[str, Mapping[str, Mapping[str, Decimal]]] = field(
        default_factory=dict
    )
    working: str = ""
    working_by: str | None = None
    working_cases: Mapping[str, str] = field(default_factory=dict)

    def input(self, name: str) -> InputSpec:
        """Return the input called `name`; raise KeyError if there is none."""
        for spec in self.inputs:
            if spec.name == name:
                return spec
        raise KeyError(f"业绩类别 {self.code} 没有输入项 {name}")


@dataclass(frozen=True)
class RuleSet:
    """All rules of one policy year, in display order."""

    policy_year: int
    version: str
    name: str
    source: str
    buckets: tuple[Bucket, ...]
    requirements: tuple[Requirement, ...]
    display_year_offsets: tuple[int, ...]
    application_methods: tuple[ApplicationMethod, ...]
    exception_types: tuple[ExceptionType, ...]
    categories: tuple[Category, ...]

    def category(self, code: str) -> Category:
        """Return the category with this code; raise KeyError if there is none."""
        for category in self.categories:
            if category.code == code:
                return category
        raise KeyError(f"规则集 {self.version} 中没有业绩类别 {code}")

    def bucket_label(self, code: str) -> str:
        return next((b.label for b in self.buckets if b.code == code), code)

    def method(self, code_or_label: str) -> ApplicationMethod:
        """Return an application method by code (review) or label (评审)."""
        for method in self.application_methods:
            if code_or_label in (method.code, method.label):
                return method
        raise KeyError(f"规则集 {self.version} 中没有申报方式 {code_or_label}")

    def display_years(self, application_year: int) -> tuple[int, ...]:
        """Return the years shown in the yearly table, oldest first."""
        return tuple(sorted(application_year + o for o in self.display_year_offsets))

    def required_years(self, method: str, application_year: int) -> tuple[int, ...]:
        """Return the years that must meet every requirement, oldest first."""
        offsets = self.method(method).required_year_offsets
        return tuple(sorted(application_year + offset for offset in offsets))

    def validate(self) -> list[RuleSetError]:
        """Return every problem found in the rule set; an empty list means valid."""
        # Imported here because checks imports this module.
        from .checks import validate_ruleset

        return validate_ruleset(self)

    def to_dict(self) -> dict[str, object]:
        """Return the rule set as a JSON-ready dict, with Decimals as strings."""
        return {
            "policy_year": self.policy_year,
            "version": self.version,
            "name": self.name,
            "source": self.source,
            "buckets": [{"code": b.code, "label": b.label} for b in self.buckets],
            "requirements": [_requirement_to_dict(r) for r in self.requirements],
            "display_year_offsets": list(self.display_year_offsets),
            "application_methods": [
                {
                    "code": m.code,
                    "label": m.label,
                    "required_year_offsets": list(m.required_year_offsets),
                }
                for m in self.application_methods
            ],
            "exception_types": [
                {"code": e.code, "label": e.label} for e in self.exception_types
            ],
            "categories": [_category_to_dict(c) for c in self.categories],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> RuleSet:
        """Build a rule set from a dict such as `to_dict` returns or the JSON holds.

        Raises InvalidRuleSetError for a missing key or a value of the wrong type.
        Rules that need the whole set, such as unknown buckets, are left to `validate`.
        """
        fields = FieldReader(data, "")
        return cls(
            policy_year=fields.integer("policy_year"),
            version=fields.text("version"),
            name=fields.text("name"),
            source=fields.text("source", ""),
            buckets=tuple(
                Bucket(item.text("code"), item.text("label"))
                for item in fields.items("buckets")
            ),
            requirements=tuple(
                _requirement_from_fields(item) for item in fields.items("requirements")
            ),
            display_year_offsets=fields.integers("display_year_offsets"),
            application_methods=tuple(
                ApplicationMethod(
                    item.text("code"),
                    item.text("label"),
                    item.integers("required_year_offsets"),
                )
                for item in fields.items("application_methods")
            ),
            exception_types=tuple(
                ExceptionType(item.text("code"), item.text("label"))
                for item in fields.items("exception_types")
            ),
            categories=tuple(
                _category_from_fields(item) for item in fields.items("categories")
            ),
        )


def available_policy_years(data_dir: Path = DATA_DIR) -> list[int]:
    """Return the policy years that have a ruleset-YYYY.json file, oldest first."""
    years = []
    for path in data_dir.glob("ruleset-*.json"):
        match = _RULESET_FILE.fullmatch(path.name)
        if match:
            years.append(int(match.group(1)))
    return sorted(years)


def load_ruleset(policy_year: int | None = None, data_dir: Path = DATA_DIR) -> RuleSet:
    """Load the newest rule set whose policy year is at most `policy_year`.

    With None, the newest rule set is loaded. Raises LookupError when no file fits
    and InvalidRuleSetError when the file fails `RuleSet.validate`.
    """
    years = available_policy_years(data_dir)
    if policy_year is not None:
        years = [year for year in years if year <= policy_year]
    if not years:
        raise LookupError(f"没有 {policy_year} 年或更早的规则集文件（目录 {data_dir}）")

    path = data_dir / f"ruleset-{years[-1]}.json"
    with path.open(encoding="utf-8") as file:
        data = json.load(file, parse_float=Decimal)
    ruleset = RuleSet.from_dict(data)

    errors = ruleset.validate()
    if errors:
        raise InvalidRuleSetError(errors)
    return ruleset


def _decimal_or_none(value: Decimal | None) -> str | None:
    return None if value is None else format_decimal(value)


def _requirement_to_dict(requirement: Requirement) -> dict[str, object]:
    return {
        "code": requirement.code,
        "label": requirement.label,
        "buckets": list(requirement.buckets),
        "minimum": format_decimal(requirement.minimum),
    }


def _input_to_dict(spec: InputSpec) -> dict[str, object]:
    data: dict[str, object] = {
        "name": spec.name,
        "label": spec.label,
        "kind": spec.kind,
        "required": spec.required,
    }
    optional = {
        "unit": spec.unit or None,
        "min": _decimal_or_none(spec.minimum),
        "max": _decimal_or_none(spec.maximum),
        "step": _decimal_or_none(spec.step),
        "max_length": spec.max_length,
    }
    data.update({key: value for key, value in optional.items() if value is not None})
    if spec.options:
        data["options"] = [_option_to_dict(option) for option in spec.options]
    if spec.applies_when:
        data["applies_when"] = {k: list(v) for k, v in spec.applies_when.items()}
    return data


def _option_to_dict(option: ChoiceOption) -> dict[str, object]:
    data: dict[str, object] = {"code": option.code, "label": option.label}
    if option.value is not None:
        data["value"] = format_decimal(option.value)
    return data


def _category_to_dict(category: Category) -> dict[str, object]:
    data: dict[str, object] = {
        "code": category.code,
        "label": category.label,
        "bucket": category.bucket,
        "description": category.description,
        "source": category.source,
        "inputs": [_input_to_dict(spec) for spec in category.inputs],
        "formula": category.formula,
    }
    if category.tables:
        data["tables"] = {
            name: {
                row: {column: format_decimal(hours) for column, hours in cells.items()}
                for row, cells in rows.items()
            }
            for name, rows in category.tables.items()
        }
    if category.working:
        data["working"] = category.working
    if category.working_by is not None:
        data["working_by"] = category.working_by
    if category.working_cases:
        data["working_cases"] = dict(category.working_cases)
    for key in ("cap_per_item", "cap_per_year"):
        value = getattr(category, key)
        if value is not None:
            data[key] = format_decimal(value)
    return data


def _requirement_from_fields(item: FieldReader) -> Requirement:
    return Requirement(
        code=item.text("code"),
        label=item.text("label"),
        buckets=item.texts("buckets"),
        minimum=item.decimal("minimum"),
    )


def _input_from_fields(item: FieldReader) -> InputSpec:
    options = tuple(
        ChoiceOption(
            option.text("code"), option.text("label"), option.decimal("value", None)
        )
        for option in item.items("options", required=False)
    )
    applies_when = item.child("applies_when", required=False)
    return InputSpec(
        name=item.text("name"),
        label=item.text("label"),
        kind=item.text("kind"),
        required=item.boolean("required", True),
        unit=item.text("unit", ""),
        minimum=item.decimal("min", None),
        maximum=item.decimal("max", None),
        step=item.decimal("step", None),
        options=options,
        max_length=item.integer("max_length", None),
        applies_when={key: applies_when.texts(key) for key in applies_when.keys()},
    )


def _category_from_fields(item: FieldReader) -> Category:
    tables_field = item.child("tables", required=False)
    tables: dict[str, dict[str, dict[str, Decimal]]] = {}
    for name in tables_field.keys():
        rows = tables_field.child(name)
        tables[name] = {}
        for row in rows.keys():
            cells = rows.child(row)
            tables[name][row] = {
                column: cells.decimal(column) for column in cells.keys()
            }

    cases = item.child("working_cases", required=False)
    return Category(
        code=item.text("code"),
        label=item.text("label"),
        bucket=item.text("bucket"),
        inputs=tuple(_input_from_fields(spec) for spec in item.items("inputs")),
        formula=item.text("formula"),
        description=item.text("description", ""),
        source=item.text("source", ""),
        cap_per_item=item.decimal("cap_per_item", None),
        cap_per_year=item.decimal("cap_per_year", None),
        tables=tables,
        working=item.text("working", ""),
        working_by=item.text("working_by", None),
        working_cases={key: cases.text(key) for key in cases.keys()},
    )
