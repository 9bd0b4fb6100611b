"""Validation of a whole rule set, reported as a list of field-level errors."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import combinations

from .errors import FormulaError, RuleSetError
from .formula import TableCall, analyse_formula
from .numbers import format_decimal
from .ruleset import INPUT_KINDS, Category, InputSpec, Requirement, RuleSet
from .working import RESULT_PLACEHOLDER, template_placeholders

_CODE = re.compile(r"[a-z][a-z0-9_]*")
_NUMERIC_KINDS = ("decimal", "integer")


class _Errors(list[RuleSetError]):
    """The errors found so far, with a shorthand for adding one."""

    def add(self, field_path: str, message_zh: str) -> None:
        self.append(RuleSetError(field_path, message_zh))

    def unique(self, codes: Iterable[str], path: str, noun_zh: str) -> None:
        seen: set[str] = set()
        for code in codes:
            if code in seen:
                self.add(f"{path}[{code}]", f"{noun_zh}“{code}”重复")
            seen.add(code)

    def code(self, code: str, path: str) -> None:
        if not _CODE.fullmatch(code):
            self.add(path, f"代码“{code}”应由小写英文字母、数字和下划线组成，并以字母开头")

    def label(self, label: str, path: str) -> None:
        if not label.strip():
            self.add(path, "名称不能为空")


def validate_ruleset(ruleset: RuleSet) -> list[RuleSetError]:
    """Return every problem in the rule set, in the order of its fields."""
    errors = _Errors()
    _check_header(ruleset, errors)
    _check_buckets(ruleset, errors)
    _check_requirements(ruleset, errors)
    _check_years_and_methods(ruleset, errors)

    exception_codes = (t.code for t in ruleset.exception_types)
    errors.unique(exception_codes, "exception_types", "破格类型代码")
    for exception_type in ruleset.exception_types:
        path = f"exception_types[{exception_type.code}]"
        errors.code(exception_type.code, f"{path}.code")
        errors.label(exception_type.label, f"{path}.label")

    if not ruleset.categories:
        errors.add("categories", "至少需要一个业绩类别")
    errors.unique((c.code for c in ruleset.categories), "categories", "业绩类别代码")
    bucket_codes = {bucket.code for bucket in ruleset.buckets}
    for category in ruleset.categories:
        _check_category(category, bucket_codes, errors)
    return list(errors)


def _check_header(ruleset: RuleSet, errors: _Errors) -> None:
    if not 2000 <= ruleset.policy_year <= 2100:
        errors.add("policy_year", f"政策年度 {ruleset.policy_year} 不是有效年份")
    if not ruleset.version.strip():
        errors.add("version", "版本号不能为空")
    errors.label(ruleset.name, "name")


def _check_buckets(ruleset: RuleSet, errors: _Errors) -> None:
    if not ruleset.buckets:
        errors.add("buckets", "至少需要一个学时类别")
    errors.unique((b.code for b in ruleset.buckets), "buckets", "学时类别代码")
    for bucket in ruleset.buckets:
        errors.code(bucket.code, f"buckets[{bucket.code}].code")
        errors.label(bucket.label, f"buckets[{bucket.code}].label")


def _check_requirements(ruleset: RuleSet, errors: _Errors) -> None:
    bucket_codes = {bucket.code for bucket in ruleset.buckets}
    errors.unique((r.code for r in ruleset.requirements), "requirements", "要求代码")

    for requirement in ruleset.requirements:
        path = f"requirements[{requirement.code}]"
        errors.code(requirement.code, f"{path}.code")
        errors.label(requirement.label, f"{path}.label")
        if not requirement.buckets:
            errors.add(f"{path}.buckets", "至少需要一个学时类别")
        for code in requirement.buckets:
            if code not in bucket_codes:
                errors.add(f"{path}.buckets", f"未知的学时类别“{code}”")
        if requirement.minimum < 0:
            errors.add(f"{path}.minimum", "最低学时不能为负数")

        # Year totals are keyed by code, so a requirement named like a bucket must
        # sum exactly that bucket, or one figure would overwrite the other.
        named_like_bucket = requirement.code in bucket_codes
        if named_like_bucket and requirement.buckets != (requirement.code,):
            errors.add(
                f"{path}.buckets",
                f"与学时类别同名的要求只能统计“{requirement.code}”本身",
            )

    for requirement in ruleset.requirements:
        _check_parts_within_whole(requirement, ruleset.requirements, errors)


def _check_parts_within_whole(
    whole: Requirement, requirements: Sequence[Requirement], errors: _Errors
) -> None:
    """Report when requirements on disjoint parts of `whole` add up to more than it.

    Example: public 10 + professional 60 must not exceed total 90. A whole below the
    sum of its parts can never be the binding limit, so one of the figures is wrong.
    """
    whole_buckets = set(whole.buckets)
    parts = [
        r
        for r in requirements
        if r is not whole and set(r.buckets) and set(r.buckets) < whole_buckets
    ]
    for size in range(1, len(parts) + 1):
        for group in combinations(parts, size):
            bucket_sets = [set(part.buckets) for part in group]
            if sum(len(b) for b in bucket_sets) != len(set().union(*bucket_sets)):
                continue  # overlapping parts need not add up

            combined = sum((part.minimum for part in group), Decimal(0))
            if combined > whole.minimum:
                names = "、".join(part.label for part in group)
                subject = f"{names}的最低学时" + ("之和" if size > 1 else "")
                errors.add(
                    f"requirements[{whole.code}].minimum",
                    f"{subject} {format_decimal(combined)} "
                    f"超过{whole.label}的最低学时 {format_decimal(whole.minimum)}",
                )
                return


def _check_years_and_methods(ruleset: RuleSet, errors: _Errors) -> None:
    offsets = ruleset.display_year_offsets
    if not offsets:
        errors.add("display_year_offsets", "至少需要展示一个年度")
    if len(set(offsets)) != len(offsets):
        errors.add("display_year_offsets", "年度偏移重复")

    methods = ruleset.application_methods
    if not methods:
        errors.add("application_methods", "至少需要一种申报方式")
    errors.unique((m.code for m in methods), "application_methods", "申报方式代码")
    errors.unique((m.label for m in methods), "application_methods", "申报方式名称")
    for method in methods:
        errors.code(method.code, f"application_methods[{method.code}].code")
        path = f"application_methods[{method.code}].required_year_offsets"
        if not method.required_year_offsets:
            errors.add(path, "至少需要一个考核年度")
        for offset in method.required_year_offsets:
            if offset not in offsets:
                errors.add(
                    path,
                    f"考核年度偏移 {offset} 不在展示年度 display_year_offsets 中",
                )


def _check_category(
    category: Category, bucket_codes: set[str], errors: _Errors
) -> None:
    path = f"categories[{category.code}]"
    errors.code(category.code, f"{path}.code")
    errors.label(category.label, f"{path}.label")
    if category.bucket not in bucket_codes:
        errors.add(f"{path}.bucket", f"未知的学时类别“{category.bucket}”")
    for key in ("cap_per_item", "cap_per_year"):
        cap = getattr(category, key)
        if cap is not None and cap <= 0:
            errors.add(f"{path}.{key}", f"上限应大于 0，当前为 {format_decimal(cap)}")

    if not category.inputs:
        errors.add(f"{path}.inputs", "至少需要一个输入项")
    errors.unique((spec.name for spec in category.inputs), f"{path}.inputs", "输入项名称")
    specs = {spec.name: spec for spec in category.inputs}
    for spec in category.inputs:
        _check_input(spec, specs, f"{path}.inputs[{spec.name}]", errors)

    for table, rows in category.tables.items():
        for row, cells in rows.items():
            for column, hours in cells.items():
                if hours < 0:
                    errors.add(f"{path}.tables.{table}.{row}.{column}", "学时不能为负数")

    _check_formula(category, specs, f"{path}.formula", errors)
    _check_working(category, specs, path, errors)


def _check_input(
    spec: InputSpec, specs: dict[str, InputSpec], path: str, errors: _Errors
) -> None:
    errors.code(spec.name, f"{path}.name")
    if spec.name == RESULT_PLACEHOLDER:
        errors.add(f"{path}.name", f"“{RESULT_PLACEHOLDER}”保留给计算结果")
    errors.label(spec.label, f"{path}.label")
    if spec.kind not in INPUT_KINDS:
        errors.add(f"{path}.kind", f"未知的输入类型“{spec.kind}”")

    if spec.kind in _NUMERIC_KINDS:
        for key, bound in (("min", spec.minimum), ("max", spec.maximum)):
            if bound is not None and bound <= 0:
                errors.add(f"{path}.{key}", "数量应大于 0")
        bounds = (spec.minimum, spec.maximum)
        if None not in bounds and spec.minimum > spec.maximum:  # type: ignore[operator]
            errors.add(f"{path}.min", "最小值大于最大值")
        if spec.step is not None and spec.step <= 0:
            errors.add(f"{path}.step", "步长应大于 0")

    if spec.kind == "choice":
        if not spec.options:
            errors.add(f"{path}.options", "选项输入至少需要一个选项")
        errors.unique((o.code for o in spec.options), f"{path}.options", "选项代码")
        for option in spec.options:
            errors.label(option.label, f"{path}.options[{option.code}].label")
    elif spec.options:
        errors.add(f"{path}.options", "只有选项输入可以设置选项")

    if spec.max_length is not None and spec.max_length <= 0:
        errors.add(f"{path}.max_length", "最大长度应大于 0")

    condition_path = f"{path}.applies_when"
    for name, codes in spec.applies_when.items():
        condition = specs.get(name)
        if condition is None or condition.kind != "choice" or name == spec.name:
            errors.add(condition_path, f"“{name}”不是本类别的其他选项输入")
            continue
        if condition.applies_when:
            errors.add(condition_path, f"条件输入“{name}”本身不能带条件")
        for code in codes:
            if condition.option(code) is None:
                errors.add(condition_path, f"“{name}”没有选项“{code}”")


def _check_formula(
    category: Category, specs: dict[str, InputSpec], path: str, errors: _Errors
) -> None:
    try:
        references = analyse_formula(category.formula)
    except FormulaError as error:
        errors.add(path, error.message_zh)
        return

    for name in sorted(references.numeric_inputs):
        spec = specs.get(name)
        if spec is None:
            errors.add(path, f"公式引用了未知的输入“{name}”")
        elif spec.kind == "choice":
            errors.add(path, f"选项输入“{name}”应写成 value({name})")
        elif spec.kind not in _NUMERIC_KINDS:
            errors.add(path, f"输入“{name}”不是数值，不能参与计算")

    for name in sorted(references.value_inputs):
        spec = specs.get(name)
        if spec is None or spec.kind != "choice":
            errors.add(path, f"value() 的参数“{name}”不是本类别的选项输入")
        elif any(option.value is None for option in spec.options):
            errors.add(path, f"输入“{name}”的每个选项都需要 value 才能用于 value()")

    for name, code in sorted(references.choice_tests):
        spec = specs.get(name)
        if spec is None or spec.kind != "choice":
            errors.add(path, f"条件中的“{name}”不是本类别的选项输入")
        elif spec.option(code) is None:
            errors.add(path, f"条件中的输入“{name}”没有选项“{code}”")

    for call in references.table_calls:
        _check_table_call(category, specs, call, path, errors)


def _check_table_call(
    category: Category,
    specs: dict[str, InputSpec],
    call: TableCall,
    path: str,
    errors: _Errors,
) -> None:
    rows = category.tables.get(call.table)
    if rows is None:
        errors.add(path, f"公式引用了未定义的折算表“{call.table}”")
        return

    row_spec = specs.get(call.row_input)
    column_spec = specs.get(call.column_input)
    for name, spec in ((call.row_input, row_spec), (call.column_input, column_spec)):
        if spec is None:
            errors.add(path, f"公式引用了未知的输入“{name}”")
        elif spec.kind not in ("choice", "integer"):
            errors.add(path, f"折算表的行和列只能由选项或整数输入决定，“{name}”不是")
    if row_spec is None or column_spec is None:
        return

    table = f"折算表“{call.table}”"
    if row_spec.kind == "choice":
        option_codes = {option.code for option in row_spec.options}
        for code in sorted(option_codes - set(rows)):
            errors.add(path, f"{table}缺少选项“{code}”对应的行")
        for code in sorted(set(rows) - option_codes):
            errors.add(path, f"{table}的行“{code}”不是“{row_spec.name}”的选项")

    for row, cells in rows.items():
        for column in cells:
            cell = f"{table}行“{row}”的列“{column}”"
            if column_spec.kind == "integer" and not column.isdigit():
                errors.add(path, f"{cell}应为整数")
            if column_spec.kind == "choice" and column_spec.option(column) is None:
                errors.add(path, f"{cell}不是“{column_spec.name}”的选项")


def _check_working(
    category: Category, specs: dict[str, InputSpec], path: str, errors: _Errors
) -> None:
    templates = [(f"{path}.working", category.working)]
    for code, template in category.working_cases.items():
        templates.append((f"{path}.working_cases.{code}", template))

    for template_path, template in templates:
        for name, wants_value in template_placeholders(template):
            spec = specs.get(name)
            if name == RESULT_PLACEHOLDER and not wants_value:
                continue
            if spec is None:
                errors.add(template_path, f"说明模板引用了未知的输入“{name}”")
            elif wants_value and spec.kind != "choice":
                errors.add(template_path, f"只有选项输入可以写 {{{name}.value}}")

    if category.working_by is None:
        if category.working_cases:
            errors.add(f"{path}.working_cases", "设置 working_cases 时须同时设置 working_by")
        return

    selector = specs.get(category.working_by)
    if selector is None or selector.kind != "choice":
        errors.add(f"{path}.working_by", f"“{category.working_by}”不是本类别的选项输入")
        return
    for code in category.working_cases:
        if selector.option(code) is None:
            errors.add(
                f"{path}.working_cases.{code}", f"“{selector.name}”没有选项“{code}”"
            )
