"""Typed reading of nested JSON objects, for building a rule set from a dict."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import NoReturn

from .errors import InvalidRuleSetError, RuleSetError
from .numbers import to_decimal

_MISSING = object()


class FieldReader:
    """Typed access to one JSON object.

    Every accessor raises InvalidRuleSetError naming the field path on a missing key
    or a value of the wrong type.
    """

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, Mapping):
            self._fail(path, "应为 JSON 对象")
        self.data: Mapping[str, object] = data  # type: ignore[assignment]
        self.path = path

    @staticmethod
    def _fail(path: str, message: str) -> NoReturn:
        raise InvalidRuleSetError([RuleSetError(path or "（根）", message)])

    def _path(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def keys(self) -> list[str]:
        return [str(key) for key in self.data]

    def _get(self, key: str, default: object) -> object:
        if key in self.data and self.data[key] is not None:
            return self.data[key]
        if default is _MISSING:
            self._fail(self._path(key), "缺少此项")
        return default

    def text(self, key: str, default: object = _MISSING) -> str:
        value = self._get(key, default)
        if value is not default and not isinstance(value, str):
            self._fail(self._path(key), "应为字符串")
        return value  # type: ignore[return-value]

    def integer(self, key: str, default: object = _MISSING) -> int:
        value = self._get(key, default)
        wrong_type = isinstance(value, bool) or not isinstance(value, int)
        if value is not default and wrong_type:
            self._fail(self._path(key), "应为整数")
        return value  # type: ignore[return-value]

    def boolean(self, key: str, default: object = _MISSING) -> bool:
        value = self._get(key, default)
        if value is not default and not isinstance(value, bool):
            self._fail(self._path(key), "应为 true 或 false")
        return value  # type: ignore[return-value]

    def decimal(self, key: str, default: object = _MISSING) -> Decimal:
        value = self._get(key, default)
        if value is default:
            return value  # type: ignore[return-value]
        try:
            return to_decimal(value)
        except ValueError:
            self._fail(self._path(key), f"应为十进制数，如 \"0.5\"，收到 {value!r}")

    def _list(self, key: str, required: bool) -> list[object]:
        value = self._get(key, _MISSING if required else [])
        if not isinstance(value, list):
            self._fail(self._path(key), "应为列表")
        return value  # type: ignore[return-value]

    def texts(self, key: str) -> tuple[str, ...]:
        values = self._list(key, required=True)
        for index, value in enumerate(values):
            if not isinstance(value, str):
                self._fail(f"{self._path(key)}[{index}]", "应为字符串")
        return tuple(values)  # type: ignore[arg-type]

    def integers(self, key: str) -> tuple[int, ...]:
        values = self._list(key, required=True)
        for index, value in enumerate(values):
            if isinstance(value, bool) or not isinstance(value, int):
                self._fail(f"{self._path(key)}[{index}]", "应为整数")
        return tuple(values)  # type: ignore[arg-type]

    def items(self, key: str, required: bool = True) -> list[FieldReader]:
        """Return the objects of a list, each with a path naming its code or index."""
        result = []
        for index, value in enumerate(self._list(key, required)):
            label = index
            if isinstance(value, Mapping):
                label = value.get("code") or value.get("name") or index
            result.append(FieldReader(value, f"{self._path(key)}[{label}]"))
        return result

    def child(self, key: str, required: bool = True) -> FieldReader:
        value = self._get(key, _MISSING if required else {})
        return FieldReader(value, self._path(key))
