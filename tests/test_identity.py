"""Tests for ID-card numbers, mobile numbers and the password policy."""

from datetime import date

import phonenumbers
import pytest
from stdnum.cn import ric

from app.identity import (
    PASSWORD_RULE_TEXT,
    InvalidValue,
    check_password,
    mask_id_number,
    normalize_id_number,
    normalize_mobile,
)

TODAY = date(2025, 6, 1)
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK_CHARACTERS = "10X98765432"


def check_character(first_17: str) -> str:
    """Compute the GB 11643 check character without the code under test."""
    total = sum(int(digit) * weight for digit, weight in zip(first_17, WEIGHTS))
    return CHECK_CHARACTERS[total % 11]


def valid_id(first_17: str) -> str:
    return first_17 + check_character(first_17)


def first_17_with_check_x() -> str:
    """Find a sequence number that gives the check character X."""
    for sequence in range(1000):
        first_17 = f"11010119900307{sequence:03d}"
        if check_character(first_17) == "X":
            return first_17
    raise AssertionError("no sequence number gives X")


BODY = "11010119900307001"
VALID = valid_id(BODY)
BODY_X = first_17_with_check_x()
VALID_X = valid_id(BODY_X)
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def test_independent_check_matches_known_number():
    # The example number from python-stdnum's documentation.
    assert check_character("36042619910101007") == "1"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (VALID, VALID),
        (f"  {VALID[:6]} {VALID[6:14]} {VALID[14:]} ", VALID),
        (VALID_X, VALID_X),
        (VALID_X.lower(), VALID_X),
        (VALID.translate(FULL_WIDTH), VALID),
        (VALID_X.translate(FULL_WIDTH), VALID_X),
        (VALID_X[:-1] + "ｘ", VALID_X),
        ("\u3000" + VALID + "\u3000", VALID),
        (valid_id("11010120240229001"), valid_id("11010120240229001")),
        (valid_id("11010119000101001"), valid_id("11010119000101001")),
        (valid_id("11010120250601001"), valid_id("11010120250601001")),
        # 通州区 (110112) dates from 1997. python-stdnum's validate() rejects this
        # number for a 1990 birth year, but the area code is the one in force
        # when the number is issued.
        (valid_id("11011219900307001"), valid_id("11011219900307001")),
    ],
)
def test_id_number_valid(raw, expected):
    assert normalize_id_number(raw, today=TODAY) == expected


def test_stdnum_rejects_area_code_by_birth_year():
    assert not ric.is_valid(valid_id("11011219900307001"))


@pytest.mark.parametrize(
    ("legacy", "first_17"),
    [
        ("110101900307001", "11010119900307001"),
        ("210422000101123", "21042219000101123"),
        ("210422961231998", "21042219961231998"),
        ("２１０４２２９６１２３１９９８", "21042219961231998"),
    ],
)
def test_id_number_legacy_conversion(legacy, first_17):
    converted = normalize_id_number(legacy, today=TODAY)
    assert converted[:17] == first_17
    assert converted[17] == check_character(first_17)


@pytest.mark.parametrize(
    "legacy",
    [
        "110101900230001",  # 1990-02-30
        "110101901301001",  # month 13
        "110101000229001",  # 1900-02-29, and 1900 is not a leap year
    ],
)
def test_id_number_legacy_invalid_date(legacy):
    with pytest.raises(InvalidValue) as error:
        normalize_id_number(legacy, today=TODAY)
    assert "15 位" in error.value.message
    assert "请改用 18 位身份证号" in error.value.message


def wrong_check(first_17: str) -> str:
    right = check_character(first_17)
    return first_17 + ("0" if right != "0" else "1")


LENGTH = "长度不正确"
CHARACTERS = "无效字符"
BIRTH_DATE = "不是有效日期"
EARLY = "不能早于 1900 年"
FUTURE = "晚于今天"
CHECK = "校验位不正确"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (VALID[:17], LENGTH),
        (VALID + "1", LENGTH),
        ("1101011990", LENGTH),
        (VALID[:-1] + "A", CHARACTERS),
        ("11010119900307X011", CHARACTERS),
        ("110101-19900307-001" + VALID[-1], CHARACTERS),
        (valid_id("11010119000229001"), BIRTH_DATE),
        (valid_id("11010120010229001"), BIRTH_DATE),
        (valid_id("11010119901301001"), BIRTH_DATE),
        (valid_id("11010119900000001"), BIRTH_DATE),
        (valid_id("11010118991231001"), EARLY),
        (valid_id("11010120250602001"), FUTURE),
        (valid_id("11010121000101001"), FUTURE),
        (wrong_check(BODY), CHECK),
        (wrong_check(BODY_X), CHECK),
    ],
)
def test_id_number_rejected(raw, fragment):
    with pytest.raises(InvalidValue) as error:
        normalize_id_number(raw, today=TODAY)
    assert fragment in error.value.message


def test_id_number_legacy_with_x_rejected():
    with pytest.raises(InvalidValue) as error:
        normalize_id_number("11010190030700X", today=TODAY)
    assert "15 位" in error.value.message


def test_id_number_empty_rejected():
    with pytest.raises(InvalidValue) as error:
        normalize_id_number("   ", today=TODAY)
    assert error.value.message == "请填写身份证号。"


def test_id_number_messages_distinct():
    cases = [
        VALID[:17],
        VALID[:-1] + "A",
        valid_id("11010119000229001"),
        valid_id("11010120250602001"),
        wrong_check(BODY),
    ]
    messages = set()
    for raw in cases:
        with pytest.raises(InvalidValue) as error:
            normalize_id_number(raw, today=TODAY)
        messages.add(error.value.message)
    assert len(messages) == len(cases)


def test_id_number_message_hides_number():
    with pytest.raises(InvalidValue) as error:
        normalize_id_number(wrong_check(BODY), today=TODAY)
    assert BODY not in error.value.message


def test_id_number_today_defaults_to_current_date():
    next_year = date.today().year + 1
    with pytest.raises(InvalidValue) as error:
        normalize_id_number(valid_id(f"110101{next_year}0101001"))
    assert FUTURE in error.value.message


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        (VALID, VALID[:6] + "********" + VALID[-4:]),
        (VALID_X, VALID_X[:6] + "********" + VALID_X[-4:]),
        ("110101900307001", "110101*****7001"),
        ("1234567890", "**********"),
        ("", ""),
    ],
)
def test_mask_id_number(number, masked):
    assert mask_id_number(number) == masked


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "+86 138 0013 8000",
        "+8613800138000",
        "0086 138 0013 8000",
        "0086-138-0013-8000",
        "86 13800138000",
        "8613800138000",
        "(+86) 138-0013-8000",
        "138-0013-8000",
        "(138) 0013 8000",
        "１３８００１３８０００",
        "＋８６ １３８ ００１３ ８０００",
        " 138 0013 8000 ",
    ],
)
def test_mobile_valid(raw):
    assert normalize_mobile(raw) == "13800138000"


@pytest.mark.parametrize(
    "number",
    [f"1{second}012345678" for second in range(3, 10)]
    + ["14112345678", "16112345678", "17412345678", "19412345678"],
)
def test_mobile_accepts_all_1_3_to_9(number):
    assert normalize_mobile(number) == number


def test_phonenumbers_misses_some_mobile_prefixes():
    # This is why normalize_mobile applies 1[3-9] itself. If phonenumbers accepts
    # these one day, its mobile check could replace the regex.
    for number in ["14012345678", "16012345678"]:
        parsed = phonenumbers.parse(number, "CN")
        assert not phonenumbers.is_valid_number(parsed), number


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("138001380001", "11 位"),
        ("1380013800", "11 位"),
        ("12812345678", "13 至 19"),
        ("10012345678", "13 至 19"),
        ("010-12345678", "11 位"),
        ("0411-8888 6666", "11 位"),
        ("+852 6123 4567", "中国大陆"),
        ("+1 202 555 0123", "中国大陆"),
        ("138ABCD8000", "无效字符"),
        ("138.0013.8000", "无效字符"),
        ("13800138000 ext 12", "无效字符"),
        ("", "请填写手机号"),
        ("   ", "请填写手机号"),
    ],
)
def test_mobile_rejected(raw, fragment):
    with pytest.raises(InvalidValue) as error:
        normalize_mobile(raw)
    assert fragment in error.value.message


ID_FOR_PASSWORD = VALID_X


@pytest.mark.parametrize(
    ("password", "keywords", "fragments"),
    [
        ("Abcdef12", {}, []),
        ("abcdef1!", {}, []),
        ("ABCDEF1!", {}, []),
        ("Abcdefg!", {}, []),
        ("电网Abcd1234", {}, []),
        ("Ab1!" * 32, {}, []),
        ("Abc12!", {}, ["太短"]),
        ("", {}, ["太短"]),
        ("Ab1!" * 32 + "x", {}, ["太长"]),
        ("abcdefgh1", {}, ["至少 3 类"]),
        ("ABCDEFGH", {}, ["至少 3 类"]),
        ("12345678", {}, ["至少 3 类"]),
        ("aaaaaaaa", {}, ["至少 3 类", "同一个字符"]),
        ("!!!!!!!!!", {}, ["至少 3 类", "同一个字符"]),
        ("Zhangwei2024!", {"username": "zhangwei"}, ["用户名"]),
        ("Ab1!ZW9x", {"username": "zw"}, []),
        ("Pw!" + ID_FOR_PASSWORD, {"id_number": ID_FOR_PASSWORD}, ["身份证号"]),
        ("pw!" + ID_FOR_PASSWORD.lower(), {"id_number": ID_FOR_PASSWORD}, ["身份证号"]),
        ("Aa!13800138000", {"mobile": "13800138000"}, ["手机号"]),
        ("Aa!13800138000", {"username": "", "id_number": None}, []),
    ],
)
def test_password_policy(password, keywords, fragments):
    problems = check_password(password, **keywords)
    assert len(problems) == len(fragments), problems
    for fragment in fragments:
        assert any(fragment in problem for problem in problems), (fragment, problems)


def test_password_rule_text_one_line():
    assert "\n" not in PASSWORD_RULE_TEXT
    assert "8 至 128" in PASSWORD_RULE_TEXT
    assert "身份证号" in PASSWORD_RULE_TEXT
