"""Load and validate the organisation tree and the professional title catalogue.

The data lives in ``app/data/units.json`` and ``app/data/titles.json``. This module
uses only the standard library and returns frozen dataclasses, so the database
loader, the rules and the tests can share it without an application context.

Organisation tree
-----------------
Four levels, top to bottom: region (区域), province (省(直属)单位), city (地市级单位)
and county (县单位(部门)). Each node in units.json is an object with ``code``,
``name``, ``level``, ``kind``, ``children`` and an optional ``aliases`` list of
other names the unit is known by.

A code is ASCII segments joined by "-", and a child's code is its parent's code plus
one segment, so "NE-LN-FS-XB" is 新宾 under 抚顺 under 辽宁 under 东北. A segment has
1 to 8 characters from A-Z and 0-9:

- region: the compass point of the regional branch (NC 华北, EC 华东, CC 华中,
  NE 东北, NW 西北, SW 西南);
- provincial company: the province's ISO 3166-2:CN code (BJ, LN, JS ...), plus JB
  for 冀北 and MD for 蒙东, which are parts of provinces;
- city, county and directly affiliated unit: the pinyin initials of the place or of
  the unit's usual short name (FS 抚顺, XB 新宾, DKY 电科院), and NARI for 南瑞;
- head office and department: HQ for 本部, an English abbreviation for a
  department (HR 人力资源部, FIN 财务资产部).

Codes are the stable keys that other records refer to. Rename a unit by changing
its name, never its code.

Modelling choices (``validate_unit_tree`` checks the head-office and naming rules):

- Directly affiliated units (直属单位) are province-level nodes under the region of
  their seat (华北 for Beijing, 华东 for Nanjing), because the profile requires a
  region for every employee.
- Every province-level node has exactly one city-level child of kind
  ``head_office``, named after the province-level unit followed by 本部.
  Head-office staff choose it as their work unit, and its departments are its
  county-level children. A head office has no reviewers of its own, so the review
  chain of its staff starts at the province.
- A city-level unit's name begins with its province-level unit's name. Liaoning's
  names follow the form that the existing platform shows its users
  (国网辽宁电力有限公司抚顺供电公司), and each keeps the official form
  (国网辽宁省电力有限公司抚顺供电公司) in ``aliases``. Other provinces use the
  official form.
- County units and departments keep their own short names (国网新宾县供电公司,
  人力资源部). The profile's county value "无" is not a node: a profile without a
  county unit stores no county code.

Title catalogue
---------------
titles.json contains ``levels`` (code, name, rank), ``methods`` (code, name) and
``series``. A series has ``titles`` (code, name, level code, optional ``legacy``)
and ``specialties`` (code, name, optional ``children``). A legacy title is no
longer awarded, so it is valid as a current title but not as a target. An
applicant chooses a specialty without children.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_UNITS_PATH = DATA_DIR / "units.json"
DEFAULT_TITLES_PATH = DATA_DIR / "titles.json"

FORMAT_VERSION = 1

LEVEL_REGION = "region"
LEVEL_PROVINCE = "province"
LEVEL_CITY = "city"
LEVEL_COUNTY = "county"

UNIT_LEVELS: tuple[str, ...] = (LEVEL_REGION, LEVEL_PROVINCE, LEVEL_CITY, LEVEL_COUNTY)
"""Unit levels from the top of the tree down. A child is one level below its parent."""

UNIT_LEVEL_LABELS: dict[str, str] = {
    LEVEL_REGION: "区域",
    LEVEL_PROVINCE: "省(直属)单位",
    LEVEL_CITY: "地市级单位",
    LEVEL_COUNTY: "县单位(部门)",
}

KIND_REGION = "region"
KIND_PROVINCIAL_COMPANY = "provincial_company"
KIND_AFFILIATED_UNIT = "affiliated_unit"
KIND_SUPPLY_COMPANY = "supply_company"
KIND_PROVINCIAL_UNIT = "provincial_unit"
KIND_HEAD_OFFICE = "head_office"
KIND_COUNTY_COMPANY = "county_company"
KIND_DEPARTMENT = "department"

UNIT_KIND_LEVELS: dict[str, str] = {
    KIND_REGION: LEVEL_REGION,
    KIND_PROVINCIAL_COMPANY: LEVEL_PROVINCE,
    KIND_AFFILIATED_UNIT: LEVEL_PROVINCE,
    KIND_SUPPLY_COMPANY: LEVEL_CITY,
    KIND_PROVINCIAL_UNIT: LEVEL_CITY,
    KIND_HEAD_OFFICE: LEVEL_CITY,
    KIND_COUNTY_COMPANY: LEVEL_COUNTY,
    KIND_DEPARTMENT: LEVEL_COUNTY,
}
"""The level at which each kind of unit sits."""

UNIT_KIND_LABELS: dict[str, str] = {
    KIND_REGION: "区域",
    KIND_PROVINCIAL_COMPANY: "省公司",
    KIND_AFFILIATED_UNIT: "直属单位",
    KIND_SUPPLY_COMPANY: "地市供电公司",
    KIND_PROVINCIAL_UNIT: "省公司所属单位",
    KIND_HEAD_OFFICE: "本部",
    KIND_COUNTY_COMPANY: "县供电公司",
    KIND_DEPARTMENT: "部门",
}

REVIEWING_KINDS: frozenset[str] = frozenset(
    {
        KIND_PROVINCIAL_COMPANY,
        KIND_AFFILIATED_UNIT,
        KIND_SUPPLY_COMPANY,
        KIND_PROVINCIAL_UNIT,
    }
)
"""Kinds of unit that have reviewers: province-level units and city-level units
other than head offices."""

CODE_SEGMENT_PATTERN = re.compile(r"[A-Z0-9]{1,8}")

EXPECTED_REGIONS: dict[str, str] = {
    "NC": "华北区域",
    "EC": "华东区域",
    "CC": "华中区域",
    "NE": "东北区域",
    "NW": "西北区域",
    "SW": "西南区域",
}
"""The six regions, one per State Grid regional branch, by code."""

EXPECTED_PROVINCIAL_COMPANIES: dict[str, tuple[str, ...]] = {
    "NC": ("NC-BJ", "NC-TJ", "NC-HE", "NC-JB", "NC-SX", "NC-SD"),
    "EC": ("EC-SH", "EC-JS", "EC-ZJ", "EC-AH", "EC-FJ"),
    "CC": ("CC-HB", "CC-HN", "CC-HA", "CC-JX"),
    "NE": ("NE-LN", "NE-JL", "NE-HL", "NE-MD"),
    "NW": ("NW-SN", "NW-GS", "NW-QH", "NW-NX", "NW-XJ"),
    "SW": ("SW-SC", "SW-CQ", "SW-XZ"),
}
"""The 27 provincial companies by region code."""

PROVINCIAL_COMPANY_COUNT = 27

LIAONING_CODE = "NE-LN"
LIAONING_SUPPLY_COMPANY_CODES: tuple[str, ...] = tuple(
    f"{LIAONING_CODE}-{segment}"
    for segment in (
        "SY", "DL", "AS", "FS", "BX", "DD", "JZ",
        "YK", "FX", "LY", "TL", "CY", "PJ", "HLD",
    )
)  # fmt: skip
"""Liaoning's 14 city supply companies: 沈阳, 大连, 鞍山, 抚顺, 本溪, 丹东, 锦州,
营口, 阜新, 辽阳, 铁岭, 朝阳, 盘锦, 葫芦岛."""

TITLE_LEVEL_JUNIOR = "junior"
TITLE_LEVEL_INTERMEDIATE = "intermediate"
TITLE_LEVEL_ASSOCIATE_SENIOR = "associate_senior"
TITLE_LEVEL_SENIOR = "senior"

TITLE_LEVEL_LABELS: dict[str, str] = {
    TITLE_LEVEL_JUNIOR: "初级",
    TITLE_LEVEL_INTERMEDIATE: "中级",
    TITLE_LEVEL_ASSOCIATE_SENIOR: "副高级",
    TITLE_LEVEL_SENIOR: "正高级",
}

TITLE_LEVEL_RANKS: dict[str, int] = {
    TITLE_LEVEL_JUNIOR: 1,
    TITLE_LEVEL_INTERMEDIATE: 2,
    TITLE_LEVEL_ASSOCIATE_SENIOR: 3,
    TITLE_LEVEL_SENIOR: 4,
}

METHOD_REVIEW = "review"
METHOD_RECOGNITION = "recognition"

METHOD_LABELS: dict[str, str] = {METHOD_REVIEW: "评审", METHOD_RECOGNITION: "认定"}

EXPECTED_SERIES: dict[str, str] = {
    "engineering": "工程系列",
    "economics": "经济系列",
    "accounting": "会计系列",
    "political_work": "政工系列",
    "audit": "审计系列",
    "statistics": "统计系列",
    "archives": "档案系列",
}


class CatalogFormatError(ValueError):
    """A data file is not valid JSON or lacks the structure the loader reads."""


@dataclass(frozen=True)
class UnitNode:
    """Unit of the organisation tree, flattened with the code of its parent."""

    code: str
    name: str
    level: str
    kind: str
    parent_code: str | None
    depth: int
    aliases: tuple[str, ...] = ()

    @property
    def is_reviewing_unit(self) -> bool:
        """Whether the unit has reviewers who review its staff's applications."""
        return self.kind in REVIEWING_KINDS


@dataclass(frozen=True)
class TitleLevel:
    """Title level (职称等级). A higher rank is a more senior level."""

    code: str
    name: str
    rank: int


@dataclass(frozen=True)
class ApplicationMethod:
    """Application method (申报方式), by review committee or by recognition."""

    code: str
    name: str


@dataclass(frozen=True)
class Title:
    """Professional title inside a series, at one level."""

    code: str
    name: str
    level: str
    legacy: bool = False


@dataclass(frozen=True)
class Specialty:
    """Sub-specialty (分支专业) of a series, flattened with the code of its parent."""

    code: str
    name: str
    parent_code: str | None
    depth: int
    has_children: bool


@dataclass(frozen=True)
class Series:
    """Title series (系列) with its titles and its sub-specialties in file order."""

    code: str
    name: str
    titles: tuple[Title, ...]
    specialties: tuple[Specialty, ...]

    def titles_at(
        self, level_code: str, include_legacy: bool = True
    ) -> tuple[Title, ...]:
        """Return the titles of this series at a level, with or without legacy ones."""
        return tuple(
            title
            for title in self.titles
            if title.level == level_code and (include_legacy or not title.legacy)
        )

    def find_title(self, name: str) -> Title | None:
        """Return the title with this name, or None."""
        return next((title for title in self.titles if title.name == name), None)

    def find_specialty(self, name: str) -> Specialty | None:
        """Return the first specialty with this name in file order, or None."""
        return next((item for item in self.specialties if item.name == name), None)

    def selectable_specialties(self) -> tuple[Specialty, ...]:
        """Return the specialties an applicant may choose: those without children."""
        return tuple(item for item in self.specialties if not item.has_children)


@dataclass(frozen=True)
class TitleCatalog:
    """Title levels, application methods and series, in file order."""

    levels: tuple[TitleLevel, ...]
    methods: tuple[ApplicationMethod, ...]
    series: tuple[Series, ...]

    def get_level(self, code: str) -> TitleLevel:
        """Return the level with this code, or raise KeyError if there is none."""
        for level in self.levels:
            if level.code == code:
                return level
        raise KeyError(f"unknown title level code {code!r}")

    def get_series(self, code: str) -> Series:
        """Return the series with this code, or raise KeyError if there is none."""
        for series in self.series:
            if series.code == code:
                return series
        raise KeyError(f"unknown title series code {code!r}")

    def next_level(self, code: str) -> TitleLevel | None:
        """Return the level one rank above ``code``, or None above the top level.

        An application aims one level above the applicant's current title.
        """
        rank = self.get_level(code).rank
        return next((level for level in self.levels if level.rank == rank + 1), None)


# Reading JSON


def _read_json(path: Path) -> Mapping[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise CatalogFormatError(
            f"{path}: invalid JSON at line {error.lineno}, column {error.colno}: "
            f"{error.msg}"
        ) from error

    if not isinstance(data, dict):
        raise CatalogFormatError(f"{path}: expected a JSON object at the top level")
    return data


def _require(item: Any, key: str, kind: type, where: str) -> Any:
    """Return ``item[key]``, raising CatalogFormatError if it is missing or mistyped."""
    if not isinstance(item, dict):
        raise CatalogFormatError(f"{where}: expected an object, got {item!r}")
    if key not in item:
        raise CatalogFormatError(f"{where}: missing key {key!r}")

    value = item[key]
    # bool is a subclass of int, so a rank of true must be rejected explicitly.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise CatalogFormatError(
            f"{where}: {key!r} must be of type {kind.__name__}, got {value!r}"
        )
    return value


def _optional_strings(item: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    values = item.get(key, [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise CatalogFormatError(f"{where}: {key!r} must be a list of strings")
    return tuple(values)


def _check_version(data: Mapping[str, Any], where: str) -> None:
    version = data.get("version")
    if version != FORMAT_VERSION:
        raise CatalogFormatError(
            f"{where}: unsupported format version {version!r}; "
            f"expected {FORMAT_VERSION}"
        )


def _walk_tree(
    items: list[Any],
    where: str,
    children_required: bool,
    parent_code: str | None = None,
    depth: int = 0,
) -> Iterator[tuple[dict[str, Any], str | None, int, str]]:
    """Yield each nested node with its parent's code, depth and path, parents first.

    Every node must have a string ``code``. ``children`` must be a list, and it may be
    left out only when ``children_required`` is false.
    """
    for index, item in enumerate(items):
        item_where = f"{where}[{index}]"
        code = _require(item, "code", str, item_where)
        if children_required:
            children = _require(item, "children", list, item_where)
        else:
            children = item.get("children", [])
            if not isinstance(children, list):
                raise CatalogFormatError(f"{item_where}: 'children' must be a list")

        yield item, parent_code, depth, item_where
        yield from _walk_tree(
            children, f"{item_where}.children", children_required, code, depth + 1
        )


# Organisation tree


def parse_units(data: Mapping[str, Any]) -> list[UnitNode]:
    """Flatten a decoded units document into nodes, each parent before its children.

    Raises CatalogFormatError when a node lacks a key or has a value of the wrong
    type. Rules about values, such as level order, are left to ``validate_units``.
    """
    _check_version(data, "units")
    roots = _require(data, "units", list, "units")
    nodes: list[UnitNode] = []

    for item, parent_code, depth, where in _walk_tree(roots, "units", True):
        nodes.append(
            UnitNode(
                code=item["code"],
                name=_require(item, "name", str, where),
                level=_require(item, "level", str, where),
                kind=_require(item, "kind", str, where),
                parent_code=parent_code,
                depth=depth,
                aliases=_optional_strings(item, "aliases", where),
            )
        )
    return nodes


def load_units(path: str | Path | None = None) -> list[UnitNode]:
    """Read units.json (the packaged file by default) into parent-first nodes."""
    source = Path(path) if path is not None else DEFAULT_UNITS_PATH
    data = _read_json(source)
    try:
        return parse_units(data)
    except CatalogFormatError as error:
        raise CatalogFormatError(f"{source}: {error}") from error


def _duplicates(values: Iterable[str]) -> list[str]:
    return sorted(value for value, count in Counter(values).items() if count > 1)


def _check_unit_codes(nodes: Sequence[UnitNode]) -> list[str]:
    errors = [
        f"duplicate unit code {code!r}" for code in _duplicates(n.code for n in nodes)
    ]

    for node in nodes:
        segments = node.code.split("-")
        if not all(CODE_SEGMENT_PATTERN.fullmatch(segment) for segment in segments):
            errors.append(
                f"unit {node.code!r}: invalid code; use segments of 1 to 8 characters "
                "from A-Z and 0-9 joined by '-'"
            )
        expected_prefix = f"{node.parent_code}-" if node.parent_code else ""
        if len(segments) != node.depth + 1 or not node.code.startswith(expected_prefix):
            errors.append(
                f"unit {node.code!r}: code must be the parent code "
                f"{node.parent_code!r} plus one segment"
            )
    return errors


_LEVEL_ORDER_TEXT = " > ".join(UNIT_LEVELS)


def _check_unit_levels(nodes: Sequence[UnitNode]) -> list[str]:
    errors: list[str] = []
    seen: dict[str, UnitNode] = {}

    for node in nodes:
        if node.level not in UNIT_LEVELS:
            errors.append(f"unit {node.code!r}: unknown level {node.level!r}")
        elif UNIT_KIND_LEVELS.get(node.kind) != node.level:
            errors.append(
                f"unit {node.code!r}: kind {node.kind!r} is not valid at level "
                f"{node.level!r}"
            )

        if node.parent_code is None:
            if node.level != LEVEL_REGION:
                errors.append(
                    f"unit {node.code!r}: a top-level unit must be a region, "
                    f"not {node.level!r}"
                )
        elif node.parent_code not in seen:
            errors.append(
                f"unit {node.code!r}: parent {node.parent_code!r} not found before it"
            )
        else:
            parent = seen[node.parent_code]
            if parent.level in UNIT_LEVELS and node.level in UNIT_LEVELS:
                expected = UNIT_LEVELS.index(parent.level) + 1
                if UNIT_LEVELS.index(node.level) != expected:
                    errors.append(
                        f"unit {node.code!r}: level {node.level!r} cannot be a child "
                        f"of level {parent.level!r}; levels run {_LEVEL_ORDER_TEXT}"
                    )
        seen.setdefault(node.code, node)
    return errors


def _children_by_parent(nodes: Sequence[UnitNode]) -> dict[str | None, list[UnitNode]]:
    children: dict[str | None, list[UnitNode]] = {}
    for node in nodes:
        children.setdefault(node.parent_code, []).append(node)
    return children


def _check_unit_names(nodes: Sequence[UnitNode]) -> list[str]:
    errors: list[str] = []
    by_code = {node.code: node for node in nodes}

    for parent_code, siblings in _children_by_parent(nodes).items():
        place = f"under {parent_code!r}" if parent_code else "at the top level"
        for name in _duplicates(node.name for node in siblings):
            errors.append(f"duplicate unit name {name!r} {place}")

    for node in nodes:
        parent = by_code.get(node.parent_code or "")
        if node.level != LEVEL_CITY or parent is None:
            continue
        if not node.name.startswith(parent.name):
            errors.append(
                f"unit {node.code!r}: name {node.name!r} must begin with the name of "
                f"its province-level unit {parent.name!r}"
            )
    return errors


def _check_head_offices(nodes: Sequence[UnitNode]) -> list[str]:
    errors: list[str] = []
    children = _children_by_parent(nodes)
    by_code = {node.code: node for node in nodes}

    for node in nodes:
        if node.kind == KIND_HEAD_OFFICE:
            parent = by_code.get(node.parent_code or "")
            if parent is not None and node.name != f"{parent.name}本部":
                errors.append(
                    f"unit {node.code!r}: head office must be named {parent.name}本部"
                )
        if node.level != LEVEL_PROVINCE:
            continue
        offices = [c for c in children.get(node.code, []) if c.kind == KIND_HEAD_OFFICE]
        if len(offices) != 1:
            errors.append(
                f"unit {node.code!r}: expected one head office (本部), "
                f"found {len(offices)}"
            )
    return errors


def validate_unit_tree(nodes: Sequence[UnitNode]) -> list[str]:
    """Check the structure and naming rules of a flattened tree and return the errors.

    Checks unique codes in the hierarchical code scheme, levels strictly in the
    order region > province > city > county, kinds valid for their level, unique
    names among siblings, city names that begin with their province-level unit's
    name, and one head office per province-level unit. An empty list means valid.
    """
    return (
        _check_unit_codes(nodes)
        + _check_unit_levels(nodes)
        + _check_unit_names(nodes)
        + _check_head_offices(nodes)
    )


def _check_unit_content(nodes: Sequence[UnitNode]) -> list[str]:
    errors: list[str] = []
    by_code = {node.code: node for node in nodes}

    regions = {n.code: n.name for n in nodes if n.level == LEVEL_REGION}
    if regions != EXPECTED_REGIONS:
        errors.append(f"regions must be {EXPECTED_REGIONS}, found {regions}")

    companies = [n for n in nodes if n.kind == KIND_PROVINCIAL_COMPANY]
    if len(companies) != PROVINCIAL_COMPANY_COUNT:
        errors.append(
            f"expected {PROVINCIAL_COMPANY_COUNT} provincial companies, "
            f"found {len(companies)}"
        )
    for region_code, company_codes in EXPECTED_PROVINCIAL_COMPANIES.items():
        for code in company_codes:
            node = by_code.get(code)
            if node is None or node.kind != KIND_PROVINCIAL_COMPANY:
                errors.append(f"provincial company {code!r} is missing")
            elif node.parent_code != region_code:
                errors.append(
                    f"provincial company {code!r} must be under region "
                    f"{region_code!r}, not {node.parent_code!r}"
                )

    liaoning_cities = {
        n.code
        for n in nodes
        if n.parent_code == LIAONING_CODE and n.kind == KIND_SUPPLY_COMPANY
    }
    expected_cities = set(LIAONING_SUPPLY_COMPANY_CODES)
    if liaoning_cities != expected_cities:
        missing = sorted(expected_cities - liaoning_cities)
        extra = sorted(liaoning_cities - expected_cities)
        errors.append(
            f"Liaoning must have its 14 city supply companies; missing {missing}, "
            f"unexpected {extra}"
        )
    return errors


def validate_units(nodes: Sequence[UnitNode]) -> list[str]:
    """Check a flattened tree against ``validate_unit_tree`` and the required content.

    The content is the six regions, the 27 provincial companies under their
    regions, and Liaoning's 14 city supply companies. An empty list means valid.
    """
    return validate_unit_tree(nodes) + _check_unit_content(nodes)


# Title catalogue


def _parse_specialties(items: list[Any], where: str) -> tuple[Specialty, ...]:
    return tuple(
        Specialty(
            code=item["code"],
            name=_require(item, "name", str, item_where),
            parent_code=parent_code,
            depth=depth,
            has_children=bool(item.get("children")),
        )
        for item, parent_code, depth, item_where in _walk_tree(items, where, False)
    )


def _parse_series(item: Any, where: str) -> Series:
    titles = []
    for index, title in enumerate(_require(item, "titles", list, where)):
        title_where = f"{where}.titles[{index}]"
        code = _require(title, "code", str, title_where)
        legacy = title.get("legacy", False)
        if not isinstance(legacy, bool):
            raise CatalogFormatError(f"{title_where}: 'legacy' must be true or false")
        titles.append(
            Title(
                code=code,
                name=_require(title, "name", str, title_where),
                level=_require(title, "level", str, title_where),
                legacy=legacy,
            )
        )

    return Series(
        code=_require(item, "code", str, where),
        name=_require(item, "name", str, where),
        titles=tuple(titles),
        specialties=_parse_specialties(
            _require(item, "specialties", list, where), f"{where}.specialties"
        ),
    )


def parse_titles(data: Mapping[str, Any]) -> TitleCatalog:
    """Build a TitleCatalog from a decoded titles document.

    Raises CatalogFormatError when an entry lacks a key or has a value of the wrong
    type. Rules about values are left to ``validate_titles``.
    """
    _check_version(data, "titles")
    levels = tuple(
        TitleLevel(
            code=_require(item, "code", str, f"levels[{index}]"),
            name=_require(item, "name", str, f"levels[{index}]"),
            rank=_require(item, "rank", int, f"levels[{index}]"),
        )
        for index, item in enumerate(_require(data, "levels", list, "titles"))
    )
    methods = tuple(
        ApplicationMethod(
            code=_require(item, "code", str, f"methods[{index}]"),
            name=_require(item, "name", str, f"methods[{index}]"),
        )
        for index, item in enumerate(_require(data, "methods", list, "titles"))
    )
    series = tuple(
        _parse_series(item, f"series[{index}]")
        for index, item in enumerate(_require(data, "series", list, "titles"))
    )
    return TitleCatalog(levels=levels, methods=methods, series=series)


def load_titles(path: str | Path | None = None) -> TitleCatalog:
    """Read titles.json (the packaged file by default) into a TitleCatalog."""
    source = Path(path) if path is not None else DEFAULT_TITLES_PATH
    data = _read_json(source)
    try:
        return parse_titles(data)
    except CatalogFormatError as error:
        raise CatalogFormatError(f"{source}: {error}") from error


def _check_levels_and_methods(catalog: TitleCatalog) -> list[str]:
    errors: list[str] = []

    levels = {level.code: (level.name, level.rank) for level in catalog.levels}
    expected_levels = {
        code: (TITLE_LEVEL_LABELS[code], rank)
        for code, rank in TITLE_LEVEL_RANKS.items()
    }
    if levels != expected_levels or len(catalog.levels) != len(expected_levels):
        errors.append(f"title levels must be {expected_levels}, found {levels}")

    ranks = [level.rank for level in catalog.levels]
    if ranks != sorted(set(ranks)):
        errors.append(f"title level ranks must increase in file order, found {ranks}")

    methods = {method.code: method.name for method in catalog.methods}
    if methods != METHOD_LABELS or len(catalog.methods) != len(METHOD_LABELS):
        errors.append(f"application methods must be {METHOD_LABELS}, found {methods}")
    return errors


def _check_series(catalog: TitleCatalog) -> list[str]:
    errors: list[str] = []
    level_codes = [level.code for level in catalog.levels]

    for code in _duplicates(series.code for series in catalog.series):
        errors.append(f"duplicate series code {code!r}")
    for name in _duplicates(series.name for series in catalog.series):
        errors.append(f"duplicate series name {name!r}")
    series_names = {series.code: series.name for series in catalog.series}
    for code, name in EXPECTED_SERIES.items():
        if series_names.get(code) != name:
            errors.append(f"series {code!r} ({name}) is missing")

    all_titles = [title for series in catalog.series for title in series.titles]
    for code in _duplicates(title.code for title in all_titles):
        errors.append(f"duplicate title code {code!r}")
    all_specialties = [item for series in catalog.series for item in series.specialties]
    for code in _duplicates(item.code for item in all_specialties):
        errors.append(f"duplicate specialty code {code!r}")

    for series in catalog.series:
        errors += _check_series_entries(series, level_codes)
    return errors


def _check_series_entries(series: Series, level_codes: Sequence[str]) -> list[str]:
    errors: list[str] = []

    for name in _duplicates(title.name for title in series.titles):
        errors.append(f"series {series.code!r}: duplicate title name {name!r}")
    for title in series.titles:
        if title.level not in level_codes:
            errors.append(
                f"series {series.code!r}: title {title.code!r} has unknown level "
                f"{title.level!r}"
            )
    # A level without a title that is still awarded could not be the target of any
    # application.
    for level_code in level_codes:
        if not series.titles_at(level_code, include_legacy=False):
            errors.append(
                f"series {series.code!r}: no title still awarded at level "
                f"{level_code!r}"
            )

    siblings: dict[str | None, list[str]] = {}
    for item in series.specialties:
        siblings.setdefault(item.parent_code, []).append(item.name)
    for parent_code, names in siblings.items():
        place = f"under {parent_code!r}" if parent_code else "at the top level"
        for name in _duplicates(names):
            errors.append(
                f"series {series.code!r}: duplicate specialty name {name!r} {place}"
            )
    if not series.selectable_specialties():
        errors.append(f"series {series.code!r}: no selectable specialty")
    return errors


def validate_titles(catalog: TitleCatalog) -> list[str]:
    """Check a title catalogue and return the errors. An empty list means valid.

    The catalogue needs the four levels with ranks 1 to 4, the two application
    methods and the seven series. Codes are unique across the catalogue, and names
    are unique within a series or among sibling specialties. Every title has a known
    level. Each series has a title still awarded at every level and at least one
    selectable specialty.
    """
    return _check_levels_and_methods(catalog) + _check_series(catalog)
