"""Free text typed by users: reasons, explanations, names."""

from __future__ import annotations

import re
import unicodedata

# Chinese characters (basic and extension A), Latin letters, the middle dot
# of transliterated names (·, also typed as •) and spaces.
NAME_PATTERN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fffA-Za-z·• ]{2,40}")


def clean_text(value: str | None) -> str:
    """Strip a text and drop control and format characters, keeping line breaks.

    Characters such as BEL or the right-to-left override are invisible on
    screen, so a name or reason containing them would look like another.
    """
    if not value:
        return ""
    kept = [
        character
        for character in value.replace("\r\n", "\n")
        if character == "\n" or unicodedata.category(character) not in ("Cc", "Cf")
    ]
    return "".join(kept).strip()


def is_valid_name(value: str) -> bool:
    return NAME_PATTERN.fullmatch(value) is not None
