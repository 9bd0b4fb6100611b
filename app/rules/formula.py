"""A small expression language for conversion formulas, evaluated over Decimal.

A formula is one Python expression, parsed with `ast` and walked node by node.
Nothing is passed to `eval`. The language contains:

- numbers (`8`, `0.5`) and the names of numeric inputs (`days`);
- `+ - * /`, unary minus and parentheses;
- `min(a, b, ...)` and `max(a, b, ...)`;
- `value(choice)`: the Decimal value of the option chosen for a choice input;
- `table("name", row, column)`: the hours in the category's 2-D table for the
  chosen row (a choice code) and column (a choice code or an integer, such as a rank);
- `a if choice == "code" else b`, where the test compares a choice input with one
  of its option codes (`!=` also works). Only the chosen branch is evaluated.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from .errors import FormulaError

MAX_FORMULA_LENGTH = 500

_BINARY_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div)
_AGGREGATES = ("min", "max")


@dataclass(frozen=True)
class TableCall:
    """One `table(...)` call: the table name and the inputs for its row and column."""

    table: str
    row_input: str
    column_input: str


@dataclass(frozen=True)
class FormulaReferences:
    """The inputs and tables a formula reads, found without evaluating it."""

    numeric_inputs: frozenset[str] = frozenset()
    value_inputs: frozenset[str] = frozenset()
    choice_tests: frozenset[tuple[str, str]] = frozenset()
    table_calls: tuple[TableCall, ...] = ()

    @property
    def all_inputs(self) -> frozenset[str]:
        names = set(self.numeric_inputs) | set(self.value_inputs)
        names |= {name for name, _ in self.choice_tests}
        for call in self.table_calls:
            names |= {call.row_input, call.column_input}
        return frozenset(names)


@dataclass(frozen=True)
class FormulaContext:
    """The values, option values and tables that a formula is evaluated against.

    `values` maps input names to typed values (Decimal or int for numbers, the option
    code for choices). `option_values` maps each choice input to its option values.
    `tables` maps table names to rows, and each row maps column keys to hours.
    """

    values: Mapping[str, object]
    option_values: Mapping[str, Mapping[str, Decimal | None]] = field(
        default_factory=dict
    )
    tables: Mapping[str, Mapping[str, Mapping[str, Decimal]]] = field(
        default_factory=dict
    )


@dataclass(frozen=True)
class _ParsedFormula:
    source: str
    body: ast.expr


@lru_cache(maxsize=512)
def _parse(source: str) -> _ParsedFormula:
    if not source.strip():
        raise FormulaError("公式为空。")
    if len(source) > MAX_FORMULA_LENGTH:
        raise FormulaError(f"公式长度超过 {MAX_FORMULA_LENGTH} 个字符。")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as error:
        raise FormulaError("公式语法错误，请检查括号、运算符和引号。") from error
    return _ParsedFormula(source.strip(), tree.body)


@lru_cache(maxsize=512)
def analyse_formula(source: str) -> FormulaReferences:
    """Check that a formula uses only the allowed language and list what it reads.

    Raises FormulaError naming the first construct that is not allowed.
    """
    parsed = _parse(source)
    collector = _ReferenceCollector(parsed.source)
    collector.visit(parsed.body)
    return FormulaReferences(
        numeric_inputs=frozenset(collector.numeric_inputs),
        value_inputs=frozenset(collector.value_inputs),
        choice_tests=frozenset(collector.choice_tests),
        table_calls=tuple(dict.fromkeys(collector.table_calls)),
    )


def evaluate_formula(source: str, context: FormulaContext) -> Decimal:
    """Evaluate a formula to a Decimal; raise FormulaError when it cannot be."""
    analyse_formula(source)
    parsed = _parse(source)
    try:
        return _Evaluator(parsed.source, context).evaluate(parsed.body)
    except ArithmeticError as error:
        raise FormulaError("公式计算失败（数值溢出或运算无效），请检查输入的数值。") from error


def _literal_number(source: str, node: ast.Constant) -> Decimal:
    """Read a numeric literal from its source text, so 0.1 stays exactly 0.1."""
    text = ast.get_source_segment(source, node)
    if text is None:
        raise FormulaError("无法读取公式中的数字。")
    try:
        return Decimal(text.replace("_", ""))
    except InvalidOperation as error:
        raise FormulaError(f"公式中的数字“{text}”应写成十进制数。") from error


def _is_number_literal(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    )


def _is_string_literal(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _call_name(node: ast.Call) -> str:
    if not isinstance(node.func, ast.Name) or node.keywords:
        raise FormulaError("公式只能调用 min、max、value、table，且不能使用关键字参数。")
    return node.func.id


def _choice_test(node: ast.expr) -> tuple[str, str, bool]:
    """Return (input name, option code, equal?) for `choice == "code"`."""
    if (
        not isinstance(node, ast.Compare)
        or len(node.ops) != 1
        or not isinstance(node.ops[0], ast.Eq | ast.NotEq)
        or not isinstance(node.left, ast.Name)
        or not _is_string_literal(node.comparators[0])
    ):
        raise FormulaError('条件只能写成 选项输入 == "选项代码" 或 !=。')
    code = node.comparators[0].value  # type: ignore[attr-defined]
    return node.left.id, code, isinstance(node.ops[0], ast.Eq)


def _table_arguments(node: ast.Call) -> TableCall:
    args = node.args
    if (
        len(args) != 3
        or not _is_string_literal(args[0])
        or not isinstance(args[1], ast.Name)
        or not isinstance(args[2], ast.Name)
    ):
        raise FormulaError('table 的写法应为 table("表名", 行输入, 列输入)。')
    table_name = args[0].value  # type: ignore[attr-defined]
    return TableCall(table_name, args[1].id, args[2].id)  # type: ignore[attr-defined]


def _value_argument(node: ast.Call) -> str:
    if len(node.args) != 1 or not isinstance(node.args[0], ast.Name):
        raise FormulaError("value 的写法应为 value(选项输入)。")
    return node.args[0].id


class _ReferenceCollector:
    """Walk a formula, reject anything outside the language, record what it reads."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.numeric_inputs: set[str] = set()
        self.value_inputs: set[str] = set()
        self.choice_tests: set[tuple[str, str]] = set()
        self.table_calls: list[TableCall] = []

    def visit(self, node: ast.expr) -> None:
        if _is_number_literal(node):
            _literal_number(self.source, node)  # type: ignore[arg-type]
            return
        if isinstance(node, ast.Name):
            self.numeric_inputs.add(node.id)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, _BINARY_OPERATORS):
            self.visit(node.left)
            self.visit(node.right)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            self.visit(node.operand)
        elif isinstance(node, ast.IfExp):
            name, code, _ = _choice_test(node.test)
            self.choice_tests.add((name, code))
            self.visit(node.body)
            self.visit(node.orelse)
        elif isinstance(node, ast.Call):
            self._visit_call(node)
        else:
            segment = ast.get_source_segment(self.source, node) or type(node).__name__
            raise FormulaError(f"公式中不允许使用“{segment}”。")

    def _visit_call(self, node: ast.Call) -> None:
        name = _call_name(node)
        if name in _AGGREGATES:
            if not node.args:
                raise FormulaError(f"{name} 至少需要一个参数。")
            for argument in node.args:
                self.visit(argument)
        elif name == "value":
            self.value_inputs.add(_value_argument(node))
        elif name == "table":
            self.table_calls.append(_table_arguments(node))
        else:
            raise FormulaError(f"公式中不允许调用“{name}”。")


class _Evaluator:
    """Evaluate a formula that `_ReferenceCollector` has accepted."""

    def __init__(self, source: str, context: FormulaContext) -> None:
        self.source = source
        self.context = context

    def evaluate(self, node: ast.expr) -> Decimal:
        if _is_number_literal(node):
            return _literal_number(self.source, node)  # type: ignore[arg-type]
        if isinstance(node, ast.Name):
            return self._number(node.id)
        if isinstance(node, ast.BinOp):
            return self._binary(node)
        if isinstance(node, ast.UnaryOp):
            operand = self.evaluate(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.IfExp):
            name, code, equal = _choice_test(node.test)
            matches = (self.context.values.get(name) == code) == equal
            return self.evaluate(node.body if matches else node.orelse)
        if isinstance(node, ast.Call):
            return self._call(node)
        raise FormulaError(f"公式中不允许使用 {type(node).__name__}。")

    def _number(self, name: str) -> Decimal:
        value = self.context.values.get(name)
        if value is None:
            raise FormulaError(f"公式用到的输入 {name} 未填写。")
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise FormulaError(f"公式用到的输入 {name} 不是数值。")
        return Decimal(value)

    def _binary(self, node: ast.BinOp) -> Decimal:
        left = self.evaluate(node.left)
        right = self.evaluate(node.right)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if right == 0:
            raise FormulaError("公式中出现除以零。")
        return left / right

    def _call(self, node: ast.Call) -> Decimal:
        name = _call_name(node)
        if name == "min":
            return min(self.evaluate(argument) for argument in node.args)
        if name == "max":
            return max(self.evaluate(argument) for argument in node.args)
        if name == "value":
            return self._option_value(_value_argument(node))
        return self._table_value(_table_arguments(node))

    def _option_value(self, name: str) -> Decimal:
        code = self.context.values.get(name)
        option_value = self.context.option_values.get(name, {}).get(str(code))
        if option_value is None:
            raise FormulaError(f"输入 {name} 的选项“{code}”没有折算值。")
        return option_value

    def _table_value(self, call: TableCall) -> Decimal:
        row_key = table_key(self.context.values.get(call.row_input))
        column_key = table_key(self.context.values.get(call.column_input))
        row = self.context.tables.get(call.table, {}).get(row_key, {})
        hours = row.get(column_key)
        if hours is None:
            raise FormulaError(
                f"折算表 {call.table} 中没有 {row_key} / {column_key} 对应的学时。"
            )
        return hours


def table_key(value: object) -> str:
    """Turn an input value into a table key: an option code or an integer's digits."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return str(int(value))
    return str(value)
