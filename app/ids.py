"""Record ids taken from URLs, query strings and forms.

Every id column is a 32-bit-safe integer; a number beyond that range cannot
name a record, and SQLite raises OverflowError for integers above 2**63 - 1,
so such input is treated as "no such record" before it reaches a query.
"""

from __future__ import annotations

from typing import Any, Optional

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1


def parse_id(value: Any) -> Optional[int]:
    """Return a positive id within range, or None for anything else."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


class IdConverter(IntegerConverter):
    """The `<int:...>` URL converter, limited to ids that can exist (else 404)."""

    def __init__(self, url_map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)
