"""Normalise and check ID-card numbers and mobile numbers, and check passwords.

These are plain functions for the forms to call, with no Flask dependency. ID-card
and mobile numbers are personal information under China's Personal Information
Protection Law, so no message here repeats the number that the user typed.
"""

from __future__ import annotations

import re
import string
from datetime import date

import phonenumbers
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent


class InvalidValue(ValueError):
    """A user-supplied value that failed a check, with a Chinese ``message``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# Full-width ASCII forms (U+FF01 to U+FF5E) sit 0xFEE0 above their half-width
# counterparts, and U+3000 is the ideographic space. Only these are mapped, because
# NFKC would also turn characters such as superscript digits into digits.
_FULL_WIDTH_TO_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULL_WIDTH_TO_ASCII[0x3000] = ord(" ")

_WHITESPACE = re.compile(r"\s+")
_ID_CHARACTERS = re.compile(r"[0-9X]*")
_DIGITS = re.compile(r"[0-9]*")

ID_NUMBER_LENGTH = 18
LEGACY_ID_NUMBER_LENGTH = 15
EARLIEST_BIRTH_YEAR = 1900


def _to_half_width(text: str) -> str:
    return text.translate(_FULL_WIDTH_TO_ASCII)


def normalize_id_number(raw: str, today: date | None = None) -> str:
    """Return the 18-character GB 11643 form of an ID-card number or raise InvalidValue.

    Whitespace is removed, full-width characters become half-width and a lowercase x
    becomes X. A 15-digit legacy number (born 19YYMMDD, no check character) becomes
    18 characters by inserting "19" and appending the check character. The birth
    date must be a real date from 1900 up to ``today``, which defaults to the
    current date.

    python-stdnum 2.2 supplies the check character and the date parsing.
    ``ric.validate()`` is not called because it also looks up the area code in its
    table of counties, keyed by birth year. GB 11643 takes the area code from the
    household registration when the number is issued, so that lookup rejects real
    numbers, e.g. 110112 (通州区, listed from 1997) for anyone born before 1997.
    The area code is therefore checked only for being six digits.
    """
    if today is None:
        today = date.today()

    number = _WHITESPACE.sub("", _to_half_width(raw)).upper()
    if not number:
        raise InvalidValue("请填写身份证号。")

    if not _ID_CHARACTERS.fullmatch(number):
        raise InvalidValue("身份证号含有无效字符：只能包含数字，最后一位可以是 X。")

    if len(number) == LEGACY_ID_NUMBER_LENGTH:
        return _convert_legacy_id_number(number)

    if len(number) != ID_NUMBER_LENGTH:
        raise InvalidValue(
            f"身份证号长度不正确：应为 18 位，当前为 {len(number)} 位。"
        )

    if not _DIGITS.fullmatch(number[:-1]):
        raise InvalidValue("身份证号含有无效字符：只能包含数字，最后一位可以是 X。")

    _check_birth_date(number, today)

    if number[-1] != _check_character(number[:-1]):
        raise InvalidValue("身份证号校验位不正确，请核对号码后重新填写。")

    return number


def with_check_character(first_17: str) -> str:
    """Return the 18-character ID number made of 17 digits and their check character."""
    if len(first_17) != 17 or not first_17.isdigit():
        raise ValueError(f"expected 17 digits, got {first_17!r}")
    return first_17 + _check_character(first_17)


def _check_character(first_17: str) -> str:
    """Compute the GB 11643 check character of the first 17 digits.

    The weights are 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 and the weighted sum modulo
    11 selects from "10X98765432". ``ric.calc_check_digit`` computes the same value
    and ignores the last character of its argument, so a placeholder is appended.
    The caller must have checked that all 17 characters are digits, because the
    stdnum function parses them with int(..., 13), which also accepts the letters
    a to c and underscores.
    """
    return ric.calc_check_digit(first_17 + "0")


def _check_birth_date(number: str, today: date) -> None:
    """Raise InvalidValue unless the 18-character number has a plausible birth date."""
    digits = number[6:14]
    try:
        birth_date = ric.get_birth_date(number)
    except InvalidComponent:
        raise InvalidValue(
            f"身份证号中的出生日期 {digits} 不是有效日期，请核对号码。"
        ) from None

    if birth_date.year < EARLIEST_BIRTH_YEAR:
        raise InvalidValue(
            f"身份证号中的出生日期 {digits} 无效：不能早于 {EARLIEST_BIRTH_YEAR} 年。"
        )

    if birth_date > today:
        raise InvalidValue(
            f"身份证号中的出生日期 {digits} 晚于今天，请核对号码。"
        )


def _convert_legacy_id_number(number: str) -> str:
    """Convert a 15-digit number (area, 19YYMMDD, sequence) to 18 characters."""
    if not _DIGITS.fullmatch(number):
        raise InvalidValue("15 位旧身份证号只能包含数字，请改用 18 位身份证号。")

    first_17 = number[:6] + "19" + number[6:]
    try:
        ric.get_birth_date(first_17 + "0")
    except InvalidComponent:
        raise InvalidValue(
            "15 位旧身份证号中的出生日期无效，请改用 18 位身份证号。"
        ) from None

    return first_17 + _check_character(first_17)


def mask_id_number(number: str) -> str:
    """Mask an ID-card number for display, keeping the first 6 and last 4 characters.

    A value of 10 characters or fewer is masked completely, so that a truncated
    number never shows in full.
    """
    number = number.strip()
    if len(number) <= 10:
        return "*" * len(number)

    return number[:6] + "*" * (len(number) - 10) + number[-4:]


_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_MOBILE_INPUT = re.compile(r"[0-9+\-() ]+")
CHINA_COUNTRY_CODE = 86


def normalize_mobile(raw: str) -> str:
    """Return a mainland mobile number as 11 digits or raise InvalidValue.

    Accepts a +86, 0086 or 86 prefix, spaces, dashes, parentheses and full-width
    digits. phonenumbers strips the prefix, but the 1[3-9] rule is applied here,
    because phonenumbers 9.0.43 treats only the blocks allocated so far as mobile
    (14012345678 and 16012345678 are invalid there) and its data changes with
    every release.
    """
    text = _to_half_width(raw).strip()
    if not text:
        raise InvalidValue("请填写手机号。")

    # phonenumbers maps letters to keypad digits ("1-800-FLOWERS"), so anything
    # other than digits and separators is rejected before parsing.
    if not _MOBILE_INPUT.fullmatch(text):
        raise InvalidValue(
            "手机号含有无效字符：只能包含数字，以及空格、短横线、括号和 +86 前缀。"
        )

    try:
        parsed = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise InvalidValue("手机号格式不正确，请填写 11 位手机号。") from None

    if parsed.country_code != CHINA_COUNTRY_CODE:
        raise InvalidValue("仅支持中国大陆手机号（+86），请填写 11 位手机号。")

    national = phonenumbers.national_significant_number(parsed)
    if not _MOBILE.fullmatch(national):
        raise InvalidValue(
            "手机号格式不正确：应为以 13 至 19 开头的 11 位数字。"
        )

    return national


MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
MIN_PASSWORD_CLASSES = 3
# Shorter usernames would match inside too many ordinary passwords.
MIN_USERNAME_LENGTH_TO_CHECK = 3

PASSWORD_RULE_TEXT = (
    f"密码长度为 {MIN_PASSWORD_LENGTH} 至 {MAX_PASSWORD_LENGTH} 个字符，"
    f"须包含大写字母、小写字母、数字、符号中的至少 {MIN_PASSWORD_CLASSES} 类，"
    "不能包含用户名、身份证号或手机号，也不能由同一个字符重复组成。"
)


_LETTERS_AND_DIGITS = frozenset(string.ascii_letters + string.digits)


def _count_character_classes(password: str) -> int:
    """Count the classes present: ASCII upper, ASCII lower, ASCII digit, symbol.

    Any other character, including a space or a Chinese character, is a symbol.
    """
    has_upper = any(char in string.ascii_uppercase for char in password)
    has_lower = any(char in string.ascii_lowercase for char in password)
    has_digit = any(char in string.digits for char in password)
    has_symbol = any(char not in _LETTERS_AND_DIGITS for char in password)
    return sum([has_upper, has_lower, has_digit, has_symbol])


def check_password(
    password: str,
    *,
    username: str | None = None,
    id_number: str | None = None,
    mobile: str | None = None,
) -> list[str]:
    """Check a new password against the policy and return the failures in Chinese.

    An empty list means the password is acceptable. The username, ID number and
    mobile number are compared case-insensitively as substrings. A username
    shorter than 3 characters is not compared.
    """
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"密码太短：至少需要 {MIN_PASSWORD_LENGTH} 个字符。")

    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"密码太长：不能超过 {MAX_PASSWORD_LENGTH} 个字符。")

    if password and _count_character_classes(password) < MIN_PASSWORD_CLASSES:
        problems.append(
            "密码须包含大写字母、小写字母、数字、符号中的至少 "
            f"{MIN_PASSWORD_CLASSES} 类。"
        )

    if len(set(password)) == 1:
        problems.append("密码不能由同一个字符重复组成。")

    lowered = password.lower()
    if username and len(username.strip()) >= MIN_USERNAME_LENGTH_TO_CHECK:
        if username.strip().lower() in lowered:
            problems.append("密码不能包含用户名。")

    if id_number and id_number.strip().lower() in lowered:
        problems.append("密码不能包含身份证号。")

    if mobile and mobile.strip() in password:
        problems.append("密码不能包含手机号。")

    return problems
