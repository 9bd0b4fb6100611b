"""Tests of the organisation tree and title catalogue files and their validators."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from app.catalog_data import (
    EXPECTED_PROVINCIAL_COMPANIES,
    KIND_AFFILIATED_UNIT,
    KIND_COUNTY_COMPANY,
    KIND_DEPARTMENT,
    KIND_HEAD_OFFICE,
    KIND_PROVINCIAL_COMPANY,
    KIND_PROVINCIAL_UNIT,
    KIND_SUPPLY_COMPANY,
    LEVEL_CITY,
    LEVEL_COUNTY,
    LEVEL_PROVINCE,
    LEVEL_REGION,
    UNIT_LEVEL_LABELS,
    UNIT_LEVELS,
    CatalogFormatError,
    UnitNode,
    load_titles,
    load_units,
    parse_titles,
    parse_units,
    validate_titles,
    validate_unit_tree,
    validate_units,
)

DATA_DIR = Path(__file__).resolve().parent.parent / "app" / "data"


def unit(code: str, name: str, level: str, kind: str, *children: dict) -> dict:
    """Build one node of a units document for a hand-made tree."""
    return {
        "code": code,
        "name": name,
        "level": level,
        "kind": kind,
        "children": list(children),
    }


def units_document(*roots: dict) -> dict[str, Any]:
    return {"version": 1, "units": list(roots)}


def minimal_tree() -> dict[str, Any]:
    """Return a small valid tree: region, province, head office, city and county."""
    return units_document(
        unit(
            "NE",
            "东北区域",
            LEVEL_REGION,
            "region",
            unit(
                "NE-LN",
                "国网辽宁电力有限公司",
                LEVEL_PROVINCE,
                KIND_PROVINCIAL_COMPANY,
                unit(
                    "NE-LN-HQ", "国网辽宁电力有限公司本部", LEVEL_CITY, KIND_HEAD_OFFICE
                ),
                unit(
                    "NE-LN-FS",
                    "国网辽宁电力有限公司抚顺供电公司",
                    LEVEL_CITY,
                    KIND_SUPPLY_COMPANY,
                    unit(
                        "NE-LN-FS-XB",
                        "国网新宾县供电公司",
                        LEVEL_COUNTY,
                        KIND_COUNTY_COMPANY,
                    ),
                ),
            ),
        )
    )


@pytest.fixture(scope="module")
def nodes() -> list[UnitNode]:
    return load_units()


@pytest.fixture(scope="module")
def by_code(nodes: list[UnitNode]) -> dict[str, UnitNode]:
    return {node.code: node for node in nodes}


def children_of(
    nodes: list[UnitNode], code: str, kind: str | None = None
) -> list[UnitNode]:
    return [
        n for n in nodes if n.parent_code == code and (kind is None or n.kind == kind)
    ]


# The real units file


def test_units_file_is_valid(nodes):
    assert validate_units(nodes) == []


def test_units_default_path_is_data_file(nodes):
    assert load_units(DATA_DIR / "units.json") == nodes


def test_units_codes_unique(nodes):
    codes = [node.code for node in nodes]
    assert len(codes) == len(set(codes))


def test_units_parent_first_order(nodes):
    position = {node.code: index for index, node in enumerate(nodes)}
    for node in nodes:
        if node.parent_code is not None:
            assert position[node.parent_code] < position[node.code], node.code


def test_units_depth_matches_level(nodes):
    for node in nodes:
        assert UNIT_LEVELS[node.depth] == node.level, node.code


def test_level_labels():
    assert UNIT_LEVEL_LABELS == {
        "region": "区域",
        "province": "省(直属)单位",
        "city": "地市级单位",
        "county": "县单位(部门)",
    }


def test_six_regions(nodes):
    regions = [node.name for node in nodes if node.level == LEVEL_REGION]
    assert regions == [
        "华北区域",
        "华东区域",
        "华中区域",
        "东北区域",
        "西北区域",
        "西南区域",
    ]


def test_27_provincial_companies(nodes):
    companies = [node for node in nodes if node.kind == KIND_PROVINCIAL_COMPANY]
    assert len(companies) == 27


@pytest.mark.parametrize(
    ("region_code", "count"),
    [("NC", 6), ("EC", 5), ("CC", 4), ("NE", 4), ("NW", 5), ("SW", 3)],
)
def test_provincial_companies_per_region(nodes, region_code, count):
    companies = children_of(nodes, region_code, KIND_PROVINCIAL_COMPANY)
    assert len(companies) == count
    assert [c.code for c in companies] == list(
        EXPECTED_PROVINCIAL_COMPANIES[region_code]
    )


def test_affiliated_units_at_province_level(nodes, by_code):
    affiliated = [node for node in nodes if node.kind == KIND_AFFILIATED_UNIT]
    names = {node.name for node in affiliated}
    assert "中国电力科学研究院有限公司" in names
    assert "国网能源研究院有限公司" in names
    assert "国网经济技术研究院有限公司" in names
    for node in affiliated:
        assert node.level == LEVEL_PROVINCE
        assert by_code[node.parent_code].level == LEVEL_REGION


def test_beijing_affiliates_under_north_china(by_code):
    assert by_code["NC-DKY"].name == "中国电力科学研究院有限公司"
    assert by_code["NC-DKY"].parent_code == "NC"


def test_liaoning_names_follow_manual(by_code):
    liaoning = by_code["NE-LN"]
    assert liaoning.name == "国网辽宁电力有限公司"
    assert "国网辽宁省电力有限公司" in liaoning.aliases
    assert liaoning.parent_code == "NE"


def test_liaoning_14_supply_companies(nodes):
    cities = children_of(nodes, "NE-LN", KIND_SUPPLY_COMPANY)
    expected = [
        "沈阳", "大连", "鞍山", "抚顺", "本溪", "丹东", "锦州",
        "营口", "阜新", "辽阳", "铁岭", "朝阳", "盘锦", "葫芦岛",
    ]  # fmt: skip
    assert len(cities) == 14
    assert [c.name for c in cities] == [
        f"国网辽宁电力有限公司{n}供电公司" for n in expected
    ]


def test_liaoning_city_keeps_official_alias(by_code):
    fushun = by_code["NE-LN-FS"]
    assert fushun.name == "国网辽宁电力有限公司抚顺供电公司"
    assert fushun.aliases == ("国网辽宁省电力有限公司抚顺供电公司",)


def test_liaoning_provincial_units_at_city_level(nodes):
    units = children_of(nodes, "NE-LN", KIND_PROVINCIAL_UNIT)
    assert [u.name for u in units] == [
        "国网辽宁电力有限公司经济技术研究院",
        "国网辽宁电力有限公司电力科学研究院",
        "国网辽宁电力有限公司信息通信分公司",
    ]
    for node in units:
        assert node.level == LEVEL_CITY
        assert node.is_reviewing_unit


def test_jilin_9_supply_companies(nodes):
    cities = children_of(nodes, "NE-JL", KIND_SUPPLY_COMPANY)
    expected = ["长春", "吉林", "四平", "辽源", "通化", "白山", "松原", "白城", "延边"]
    assert len(cities) == 9
    assert [c.name for c in cities] == [
        f"国网吉林省电力有限公司{n}供电公司" for n in expected
    ]


def test_jiangsu_13_supply_companies(nodes):
    cities = children_of(nodes, "EC-JS", KIND_SUPPLY_COMPANY)
    names = {c.name for c in cities}
    assert len(cities) == 13
    assert "国网江苏省电力有限公司南京供电分公司" in names
    assert "国网江苏省电力有限公司连云港供电分公司" in names


def test_fushun_counties_and_departments(nodes):
    counties = [c.name for c in children_of(nodes, "NE-LN-FS", KIND_COUNTY_COMPANY)]
    departments = [c.name for c in children_of(nodes, "NE-LN-FS", KIND_DEPARTMENT)]
    assert counties == [
        "国网新宾县供电公司",
        "国网清原县供电公司",
        "国网抚顺县供电公司",
    ]
    assert "人力资源部" in departments
    assert "财务资产部" in departments


def test_shenyang_and_dalian_have_counties(nodes):
    assert children_of(nodes, "NE-LN-SY", KIND_COUNTY_COMPANY)
    assert children_of(nodes, "NE-LN-DL", KIND_COUNTY_COMPANY)


def test_every_province_level_unit_has_head_office(nodes):
    for node in nodes:
        if node.level == LEVEL_PROVINCE:
            offices = children_of(nodes, node.code, KIND_HEAD_OFFICE)
            assert len(offices) == 1, node.code
            assert offices[0].name == f"{node.name}本部"


def test_head_office_departments_and_review(nodes, by_code):
    office = by_code["NE-LN-HQ"]
    departments = [c.name for c in children_of(nodes, "NE-LN-HQ")]
    assert office.level == LEVEL_CITY
    assert not office.is_reviewing_unit
    assert by_code["NE-LN"].is_reviewing_unit
    assert "人力资源部" in departments


def test_county_units_do_not_review(nodes):
    for node in nodes:
        if node.level in (LEVEL_REGION, LEVEL_COUNTY):
            assert not node.is_reviewing_unit, node.code


# Validators on hand-made trees


def test_minimal_tree_is_valid():
    assert validate_unit_tree(parse_units(minimal_tree())) == []


def test_validator_catches_duplicate_code():
    document = minimal_tree()
    fushun = document["units"][0]["children"][0]["children"][1]
    fushun["children"].append(
        unit("NE-LN-FS-XB", "国网清原县供电公司", LEVEL_COUNTY, KIND_COUNTY_COMPANY)
    )
    errors = validate_unit_tree(parse_units(document))
    assert "duplicate unit code 'NE-LN-FS-XB'" in errors


def test_validator_catches_city_under_region():
    document = minimal_tree()
    region = document["units"][0]
    region["children"].append(
        unit(
            "NE-DL", "国网辽宁电力有限公司大连供电公司", LEVEL_CITY, KIND_SUPPLY_COMPANY
        )
    )
    errors = validate_unit_tree(parse_units(document))
    assert any(
        e.startswith("unit 'NE-DL': level 'city' cannot be a child of level 'region'")
        for e in errors
    ), errors


def test_validator_catches_county_above_city():
    document = units_document(
        unit(
            "NE",
            "东北区域",
            LEVEL_REGION,
            "region",
            unit(
                "NE-LN",
                "国网辽宁电力有限公司",
                LEVEL_PROVINCE,
                KIND_PROVINCIAL_COMPANY,
                unit(
                    "NE-LN-HQ", "国网辽宁电力有限公司本部", LEVEL_CITY, KIND_HEAD_OFFICE
                ),
                unit(
                    "NE-LN-XB",
                    "国网新宾县供电公司",
                    LEVEL_COUNTY,
                    KIND_COUNTY_COMPANY,
                    unit(
                        "NE-LN-XB-FS",
                        "国网辽宁电力有限公司抚顺供电公司",
                        LEVEL_CITY,
                        KIND_SUPPLY_COMPANY,
                    ),
                ),
            ),
        )
    )
    errors = validate_unit_tree(parse_units(document))
    assert any(e.startswith("unit 'NE-LN-XB': level 'county'") for e in errors), errors
    assert any(e.startswith("unit 'NE-LN-XB-FS': level 'city'") for e in errors), errors


def test_validator_catches_province_at_top():
    document = units_document(
        unit(
            "LN",
            "国网辽宁电力有限公司",
            LEVEL_PROVINCE,
            KIND_PROVINCIAL_COMPANY,
            unit("LN-HQ", "国网辽宁电力有限公司本部", LEVEL_CITY, KIND_HEAD_OFFICE),
        )
    )
    errors = validate_unit_tree(parse_units(document))
    assert "unit 'LN': a top-level unit must be a region, not 'province'" in errors


def test_validator_catches_sibling_names():
    document = minimal_tree()
    province = document["units"][0]["children"][0]
    province["children"].append(
        unit(
            "NE-LN-FS2",
            "国网辽宁电力有限公司抚顺供电公司",
            LEVEL_CITY,
            KIND_SUPPLY_COMPANY,
        )
    )
    errors = validate_unit_tree(parse_units(document))
    assert (
        "duplicate unit name '国网辽宁电力有限公司抚顺供电公司' under 'NE-LN'" in errors
    )


def test_same_name_under_different_parents_allowed():
    document = minimal_tree()
    province = document["units"][0]["children"][0]
    province["children"][0]["children"].append(
        unit("NE-LN-HQ-HR", "人力资源部", LEVEL_COUNTY, KIND_DEPARTMENT)
    )
    province["children"][1]["children"].append(
        unit("NE-LN-FS-HR", "人力资源部", LEVEL_COUNTY, KIND_DEPARTMENT)
    )
    assert validate_unit_tree(parse_units(document)) == []


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("NE-LN-fs", "invalid code"),
        ("NE-LN-TOOLONGSEG", "invalid code"),
        ("NE-JL-FS", "code must be the parent code 'NE-LN' plus one segment"),
        ("NE-LN-FS-X", "code must be the parent code 'NE-LN' plus one segment"),
    ],
)
def test_validator_catches_bad_code(code, message):
    document = minimal_tree()
    document["units"][0]["children"][0]["children"][1]["code"] = code
    document["units"][0]["children"][0]["children"][1]["children"] = []
    errors = validate_unit_tree(parse_units(document))
    assert any(e.startswith(f"unit {code!r}") and message in e for e in errors), errors


def test_validator_catches_kind_at_wrong_level():
    document = minimal_tree()
    document["units"][0]["children"][0]["children"][1]["kind"] = KIND_DEPARTMENT
    errors = validate_unit_tree(parse_units(document))
    assert "unit 'NE-LN-FS': kind 'department' is not valid at level 'city'" in errors


def test_validator_catches_unknown_level():
    document = minimal_tree()
    document["units"][0]["children"][0]["children"][1]["level"] = "district"
    errors = validate_unit_tree(parse_units(document))
    assert "unit 'NE-LN-FS': unknown level 'district'" in errors


def test_validator_catches_city_name_prefix():
    document = minimal_tree()
    document["units"][0]["children"][0]["children"][1]["name"] = "抚顺供电公司"
    errors = validate_unit_tree(parse_units(document))
    assert any(e.startswith("unit 'NE-LN-FS': name '抚顺供电公司'") for e in errors)


def test_validator_catches_missing_head_office():
    document = minimal_tree()
    del document["units"][0]["children"][0]["children"][0]
    errors = validate_unit_tree(parse_units(document))
    assert "unit 'NE-LN': expected one head office (本部), found 0" in errors


def test_validator_catches_missing_parent():
    node = UnitNode("NE-LN", "国网辽宁电力有限公司", LEVEL_PROVINCE,
                    KIND_PROVINCIAL_COMPANY, parent_code="NE", depth=1)  # fmt: skip
    errors = validate_unit_tree([node])
    assert "unit 'NE-LN': parent 'NE' not found before it" in errors


def test_minimal_tree_fails_content_checks():
    errors = validate_units(parse_units(minimal_tree()))
    assert any(e.startswith("regions must be") for e in errors)
    assert "expected 27 provincial companies, found 1" in errors
    assert "provincial company 'NC-BJ' is missing" in errors


def test_content_check_catches_missing_liaoning_city():
    document = json.loads((DATA_DIR / "units.json").read_text(encoding="utf-8"))
    northeast = next(r for r in document["units"] if r["code"] == "NE")
    liaoning = next(p for p in northeast["children"] if p["code"] == "NE-LN")
    liaoning["children"] = [c for c in liaoning["children"] if c["code"] != "NE-LN-HLD"]

    errors = validate_units(parse_units(document))
    assert errors == [
        "Liaoning must have its 14 city supply companies; "
        "missing ['NE-LN-HLD'], unexpected []"
    ]


def test_content_check_catches_company_in_wrong_region():
    document = json.loads((DATA_DIR / "units.json").read_text(encoding="utf-8"))
    regions = {r["code"]: r for r in document["units"]}
    tibet = next(p for p in regions["SW"]["children"] if p["code"] == "SW-XZ")
    regions["SW"]["children"].remove(tibet)
    regions["NW"]["children"].append(tibet)

    errors = validate_units(parse_units(document))
    assert "provincial company 'SW-XZ' must be under region 'SW', not 'NW'" in errors


# Parsing errors


def test_parse_units_reports_missing_key():
    document = minimal_tree()
    del document["units"][0]["children"][0]["name"]
    with pytest.raises(
        CatalogFormatError, match=r"units\[0\]\.children\[0\]: missing key 'name'"
    ):
        parse_units(document)


def test_parse_units_rejects_wrong_version():
    document = minimal_tree()
    document["version"] = 2
    with pytest.raises(CatalogFormatError, match="unsupported format version 2"):
        parse_units(document)


def test_load_units_reports_invalid_json(tmp_path):
    path = tmp_path / "units.json"
    path.write_text('{"version": 1, "units": [', encoding="utf-8")
    with pytest.raises(CatalogFormatError, match="invalid JSON at line 1"):
        load_units(path)


def test_load_units_names_file_on_bad_node(tmp_path):
    document = minimal_tree()
    document["units"][0]["children"] = "none"
    path = tmp_path / "units.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(
        CatalogFormatError, match=r"units\.json: units\[0\]: 'children'"
    ):
        load_units(path)


# The real titles file


@pytest.fixture(scope="module")
def catalog():
    return load_titles()


def test_titles_file_is_valid(catalog):
    assert validate_titles(catalog) == []


def test_title_levels_ordered(catalog):
    levels = [(level.code, level.name, level.rank) for level in catalog.levels]
    assert levels == [
        ("junior", "初级", 1),
        ("intermediate", "中级", 2),
        ("associate_senior", "副高级", 3),
        ("senior", "正高级", 4),
    ]


def test_next_level(catalog):
    assert catalog.next_level("intermediate").name == "副高级"
    assert catalog.next_level("senior") is None


def test_application_methods(catalog):
    methods = {method.code: method.name for method in catalog.methods}
    assert methods == {"review": "评审", "recognition": "认定"}


def test_seven_series(catalog):
    names = [series.name for series in catalog.series]
    assert names == [
        "工程系列",
        "经济系列",
        "会计系列",
        "政工系列",
        "审计系列",
        "统计系列",
        "档案系列",
    ]


@pytest.mark.parametrize(
    "level_code", ["junior", "intermediate", "associate_senior", "senior"]
)
def test_every_series_has_title_at_level(catalog, level_code):
    for series in catalog.series:
        assert series.titles_at(level_code, include_legacy=False), series.name


def test_political_worker_is_intermediate(catalog):
    title = catalog.get_series("political_work").find_title("政工师")
    assert title is not None
    assert catalog.get_level(title.level).name == "中级"


def test_political_work_titles_by_level(catalog):
    series = catalog.get_series("political_work")
    by_level = {
        level.name: [t.name for t in series.titles_at(level.code)]
        for level in catalog.levels
    }
    assert by_level == {
        "初级": ["助理政工师"],
        "中级": ["政工师"],
        "副高级": ["高级政工师"],
        "正高级": ["正高级政工师"],
    }


def test_engineering_titles(catalog):
    series = catalog.get_series("engineering")
    junior = [t.name for t in series.titles_at("junior")]
    assert junior == ["技术员", "助理工程师"]
    assert series.find_title("正高级工程师").level == "senior"


def test_archives_titles(catalog):
    series = catalog.get_series("archives")
    assert series.find_title("副研究馆员").level == "associate_senior"
    assert series.find_title("研究馆员").level == "senior"
    assert series.find_title("馆员").level == "intermediate"


def test_legacy_titles_excluded_on_request(catalog):
    series = catalog.get_series("accounting")
    assert [t.name for t in series.titles_at("junior")] == ["会计员", "助理会计师"]
    assert [t.name for t in series.titles_at("junior", include_legacy=False)] == [
        "助理会计师"
    ]


def test_security_specialty_in_political_work(catalog):
    owners = [
        series.name for series in catalog.series if series.find_specialty("保卫工作")
    ]
    assert owners == ["政工系列"]


def test_political_work_specialties(catalog):
    series = catalog.get_series("political_work")
    names = [item.name for item in series.selectable_specialties()]
    assert names == ["思想政治工作", "企业文化", "纪检监察", "保卫工作", "工会工作"]


def test_power_engineering_children(catalog):
    series = catalog.get_series("engineering")
    power = series.find_specialty("电力工程")
    children = [
        item.name for item in series.specialties if item.parent_code == power.code
    ]
    assert power.has_children
    assert children == ["输电", "变电", "配电", "调度", "继电保护", "电力通信", "信息"]
    assert power not in series.selectable_specialties()
    assert series.find_specialty("输电").depth == 1
    assert series.find_specialty("工业工程") in series.selectable_specialties()


def test_every_series_has_selectable_specialty(catalog):
    for series in catalog.series:
        assert series.selectable_specialties(), series.name


# Title validator on altered catalogues


@pytest.fixture
def titles_document() -> dict[str, Any]:
    return json.loads((DATA_DIR / "titles.json").read_text(encoding="utf-8"))


def series_entry(document: dict[str, Any], code: str) -> dict[str, Any]:
    return next(s for s in document["series"] if s["code"] == code)


def test_title_validator_catches_missing_level(titles_document):
    audit = series_entry(titles_document, "audit")
    audit["titles"] = [t for t in audit["titles"] if t["level"] != "senior"]
    errors = validate_titles(parse_titles(titles_document))
    assert errors == ["series 'audit': no title still awarded at level 'senior'"]


def test_title_validator_ignores_legacy_title(titles_document):
    accounting = series_entry(titles_document, "accounting")
    accounting["titles"] = [
        t for t in accounting["titles"] if t["code"] != "assistant_accountant"
    ]
    errors = validate_titles(parse_titles(titles_document))
    assert errors == ["series 'accounting': no title still awarded at level 'junior'"]


def test_title_validator_catches_duplicate_code(titles_document):
    audit = series_entry(titles_document, "audit")
    audit["titles"][0]["code"] = "engineer"
    errors = validate_titles(parse_titles(titles_document))
    assert "duplicate title code 'engineer'" in errors


def test_title_validator_catches_unknown_level(titles_document):
    archives = series_entry(titles_document, "archives")
    archives["titles"][0]["level"] = "expert"
    errors = validate_titles(parse_titles(titles_document))
    assert (
        "series 'archives': title 'archives_clerk' has unknown level 'expert'" in errors
    )


def test_title_validator_catches_level_order(titles_document):
    levels = titles_document["levels"]
    levels[0], levels[1] = levels[1], levels[0]
    errors = validate_titles(parse_titles(titles_document))
    assert "title level ranks must increase in file order, found [2, 1, 3, 4]" in errors


def test_title_validator_catches_duplicate_specialty(titles_document):
    political = series_entry(titles_document, "political_work")
    political["specialties"].append(copy.deepcopy(political["specialties"][3]))
    errors = validate_titles(parse_titles(titles_document))
    assert "duplicate specialty code 'security'" in errors
    assert (
        "series 'political_work': duplicate specialty name '保卫工作' at the top level"
        in errors
    )


def test_title_validator_catches_missing_series(titles_document):
    titles_document["series"] = [
        s for s in titles_document["series"] if s["code"] != "statistics"
    ]
    errors = validate_titles(parse_titles(titles_document))
    assert errors == ["series 'statistics' (统计系列) is missing"]


def test_parse_titles_rejects_boolean_rank(titles_document):
    titles_document["levels"][0]["rank"] = True
    with pytest.raises(
        CatalogFormatError, match=r"levels\[0\]: 'rank' must be of type int"
    ):
        parse_titles(titles_document)
