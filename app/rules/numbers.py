"""Decimal parsing, rounding and display for credit hours."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Hours are rounded half-up to one decimal place, once per activity, after the
# formula and before any cap. Half days (4 hours) and half hours (0.5) stay exact,
# and a finer figure such as 1.25 hours counts as 1.3.
HOURS_QUANTUM = Decimal("0.1")

# Form input longer than this is rejected, so that no entry can push a Decimal
# operation past the default 28-digit context.
MAX_NUMBER_LENGTH = 20

_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def round_hours(value: Decimal) -> Decimal:
    """Round credit hours half-up to HOURS_QUANTUM."""
    return value.quantize(HOURS_QUANTUM, rounding=ROUND_HALF_UP)


def format_decimal(value: Decimal | int) -> str:
    """Format a number without exponent or trailing zeros: 24, 24.5, 0.5."""
    number = Decimal(value)
    if number == 0:
        return "0"
    return format(number.normalize(), "f")


def normalize_text(raw: str) -> str:
    """Map full-width characters to their ASCII forms (NFKC) and strip spaces."""
    return unicodedata.normalize("NFKC", raw).strip()


def parse_plain_decimal(raw: str) -> Decimal | None:
    """Parse a plain decimal such as "3", "3.5" or "３．５"; return None otherwise.

    Exponents, "NaN", "Infinity", thousands separators and text longer than
    MAX_NUMBER_LENGTH are rejected, because none of them is a sensible form entry.
    """
    text = normalize_text(raw)
    if len(text) > MAX_NUMBER_LENGTH or not _PLAIN_NUMBER.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def to_decimal(value: object) -> Decimal:
    """Convert a rule-set number (int, Decimal or numeric string) to Decimal.

    Raises ValueError for floats, booleans and anything that is not a plain number,
    because a float read from JSON has already lost its exact decimal value.
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(value)
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, str):
        parsed = parse_plain_decimal(value)
        if parsed is None:
            raise ValueError(value)
        number = parsed
    else:
        raise ValueError(value)
    if not number.is_finite():
        raise ValueError(value)
    return number
