"""Names, ID-card numbers and mobile numbers of the national dataset's staff.

Everything here is drawn from a `random.Random` that the caller seeds, so the
same seed gives the same people.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from bisect import bisect
from functools import cache
from importlib import resources
from itertools import accumulate

from .identity import with_check_character
from .national_regions import FALLBACK_PROVINCES
from .submission import pinyin_key

# Common surnames, most frequent first, with rough weights per thousand people.
# fmt: off
_SURNAMES = (
    "王72 李71 张68 刘54 陈45 杨31 黄22 赵21 吴20 周19 徐17 孙15 马15 朱14 胡13 "
    "郭12 何12 林11 高11 罗11 郑10 梁10 谢8 宋8 唐8 许7 韩7 冯7 邓7 曹6 彭6 曾6 "
    "肖6 田6 董5 袁5 潘5 于5 蒋5 蔡5 余5 杜5 叶5 程5 苏4 魏4 吕4 丁4 任4 沈4 "
    "姚4 卢4 姜4 崔3 钟3 谭3 陆3 汪3 范3 金3 石3 廖3 贾3 夏3 韦3 付3 方3 白3 "
    "邹3 孟3 熊3 秦3 邱3 江3 尹3 薛2 闫2 段2 雷2 侯2 龙2 史2 陶2 黎2 贺2 顾2 "
    "毛2 郝2 龚2 邵2 万2 钱2 严2 覃1 武2 戴2 莫1 孔1 向1 汤1 欧阳1 上官1 司马1"
)
_GIVEN_CHARACTERS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬斌宇浩凯健"
    "俊帆帅旭宁龙林欣佳琪晨阳鹏飞辉波鑫琳雪婷慧颖倩瑶蕾思雨晓文博志远海峰建国"
    "东亮成坤振宏春梅兰凤德胜新荣庆祥瑞泽睿铭轩昊然子涵梓萱一诺欢嘉怡家豪天翔"
)
# fmt: on


def _weighted(spec: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    names, weights = [], []
    for item in spec.split():
        name, weight = re.fullmatch(r"(\D+)(\d+)", item).groups()
        names.append(name)
        weights.append(int(weight))
    return tuple(names), tuple(accumulate(weights))


SURNAMES, _SURNAME_CUMULATIVE = _weighted(_SURNAMES)

# Mobile network prefixes in use on the mainland: 1[3-9] followed by one digit.
# fmt: off
MOBILE_PREFIXES = (
    "130 131 132 133 134 135 136 137 138 139 147 150 151 152 153 155 156 157 158 "
    "159 166 173 175 176 177 178 180 181 182 183 184 185 186 187 188 189 191 198 199"
).split()
# fmt: on
_MOBILE_SPACE = 10**8
# Odd and not a multiple of 5, so coprime to 10**8: multiplying by it permutes
# the eight-digit subscriber numbers and keeps them unique.
_MOBILE_MULTIPLIER = 48_271_997

EARLIEST_BIRTH_YEAR = 1960
LATEST_BIRTH_YEAR = 2000


def random_name(rng: random.Random) -> str:
    """Return a Chinese full name: a weighted surname and one or two given names."""
    point = rng.randrange(_SURNAME_CUMULATIVE[-1])
    surname = SURNAMES[bisect(_SURNAME_CUMULATIVE, point)]
    length = 1 if rng.random() < 0.3 else 2
    given = "".join(rng.choice(_GIVEN_CHARACTERS) for _ in range(length))
    return surname + given


@cache
def name_pinyin(name: str) -> str:
    """Return the app's pinyin sort key of a name, computed once per distinct name."""
    return pinyin_key(name)


def mobile_number(index: int, offset: int) -> str:
    """Return the mobile number of the `index`-th person, unique per index.

    The index picks a network prefix round-robin, and the remaining quotient
    maps one-to-one onto eight-digit subscriber numbers.
    """
    prefix = MOBILE_PREFIXES[index % len(MOBILE_PREFIXES)]
    serial = index // len(MOBILE_PREFIXES)
    if serial >= _MOBILE_SPACE:
        raise ValueError(f"too many mobile numbers requested: index {index}")
    subscriber = (serial * _MOBILE_MULTIPLIER + offset) % _MOBILE_SPACE
    return f"{prefix}{subscriber:08d}"


@cache
def _area_codes() -> dict[str, tuple[tuple[str, int | None, int | None], ...]]:
    """Read python-stdnum's county table into code → validity periods.

    Each period is (name, first year, last year), with None for an open end,
    in the notation "[1983-2013]东陵区" of the table. Codes ending in 00 are
    provinces and prefectures, not counties, and are left out.
    """
    text = resources.files("stdnum.cn").joinpath("loc.dat").read_text("utf-8")
    periods: dict[str, tuple[tuple[str, int | None, int | None], ...]] = {}
    province = ""
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            province = line.split()[0]
            continue
        suffix, _, rest = line.strip().partition(" ")
        if suffix.endswith("00"):
            continue
        names = re.search(r'county="([^"]*)"', rest).group(1)
        entries = []
        for entry in names.split(","):
            match = re.fullmatch(r"\[(\d*)-(\d*)\](.*)", entry)
            if match is None:
                entries.append((entry, None, None))
                continue
            first, last, name = match.groups()
            entries.append(
                (name, int(first) if first else None, int(last) if last else None)
            )
        periods[province + suffix] = tuple(entries)
    return periods


@cache
def _codes_under(start: str) -> tuple[tuple[str, frozenset[int]], ...]:
    """Return the county codes under a prefix with the birth years each was valid in."""
    years = range(EARLIEST_BIRTH_YEAR, LATEST_BIRTH_YEAR + 1)
    return tuple(
        (code, frozenset(year for year in years if _valid_in(periods, year)))
        for code, periods in _area_codes().items()
        if code.startswith(start)
    )


def _valid_in(periods, year: int) -> bool:
    return any(
        (first is None or year >= first) and (last is None or year <= last)
        for _, first, last in periods
    )


@cache
def area_codes_for(prefix: str, birth_year: int) -> tuple[str, ...]:
    """Return the county codes under an area prefix that existed in a birth year.

    python-stdnum's `ric.validate` accepts a number only when its county
    code existed in the birth year. A four-digit prefecture prefix that has
    no such county falls back to its province, then to the province that
    held the area before a boundary change.
    """
    candidates = [prefix, prefix[:2], *FALLBACK_PROVINCES.get(prefix[:2], ())]
    for start in candidates:
        codes = tuple(
            code for code, years in _codes_under(start) if birth_year in years
        )
        if codes:
            return codes
    raise LookupError(f"no county code under {prefix} existed in {birth_year}")


def random_birth_date(rng: random.Random) -> dt.date:
    """Return a birth date between 1960 and 2000, most staff born in 1975–1995."""
    year = round(rng.triangular(EARLIEST_BIRTH_YEAR, LATEST_BIRTH_YEAR, 1987))
    start = dt.date(year, 1, 1)
    days = (dt.date(year + 1, 1, 1) - start).days
    return start + dt.timedelta(days=rng.randrange(days))


def random_id_number(rng: random.Random, area_prefix: str, taken: set[str]) -> str:
    """Return an unused GB 11643 ID-card number of someone registered under the prefix.

    The number is added to `taken`. Its sequence digits are random, so a
    clash with an earlier number is retried with a new birth date.
    """
    while True:
        birth = random_birth_date(rng)
        area = rng.choice(area_codes_for(area_prefix, birth.year))
        body = f"{area}{birth:%Y%m%d}{rng.randrange(1000):03d}"
        number = with_check_character(body)
        if number not in taken:
            taken.add(number)
            return number
