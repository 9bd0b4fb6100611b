"""Error values and exceptions of the rules engine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RuleSetError:
    """One problem in a rule set: the dotted path of the field and a Chinese message."""

    field_path: str
    message_zh: str

    def to_dict(self) -> dict[str, str]:
        return {"field_path": self.field_path, "message_zh": self.message_zh}


class InvalidRuleSetError(ValueError):
    """Raised when a rule set cannot be read or fails validation."""

    def __init__(self, errors: Sequence[RuleSetError]) -> None:
        self.errors = list(errors)
        lines = [f"{error.field_path}: {error.message_zh}" for error in self.errors]
        super().__init__("规则集无效：" + "；".join(lines))


class FormulaError(ValueError):
    """Raised when a formula is not in the allowed language or cannot be evaluated."""

    def __init__(self, message_zh: str) -> None:
        self.message_zh = message_zh
        super().__init__(message_zh)


class InvalidInputError(ValueError):
    """Raised when an activity's values fail input validation during computation.

    `errors` maps each input name to its Chinese message, as `validate_inputs` returns.
    `ref` is the caller's reference to the activity record, or None.
    """

    def __init__(
        self, category_code: str, errors: Mapping[str, str], ref: object = None
    ) -> None:
        self.category_code = category_code
        self.errors = dict(errors)
        self.ref = ref
        details = "；".join(self.errors.values())
        super().__init__(f"业绩类别 {category_code} 的输入无效：{details}")
