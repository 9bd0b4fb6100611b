"""The national organisation tree: units.json plus every province's city-level units.

The tree keeps the shape of `app/data/units.json`: six regions at the top,
the 27 provincial companies and the directly affiliated units under them,
each with its head office (本部), and the city-level units below. The talent
centre (人才中心) is no unit of the tree: its administrators see every unit
through their role and have no unit of their own, as in the demo data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import text

from . import catalog_data
from .catalog_data import (
    KIND_AFFILIATED_UNIT,
    KIND_HEAD_OFFICE,
    KIND_PROVINCIAL_UNIT,
    KIND_SUPPLY_COMPANY,
    LEVEL_CITY,
    LEVEL_COUNTY,
    LEVEL_PROVINCE,
    REVIEWING_KINDS,
    UnitNode,
)
from .national_bulk import BulkWriter
from .national_regions import (
    AFFILIATED_AREA_PREFIXES,
    PROVINCIAL_UNITS,
    capital_area_prefix,
    provincial_company_codes,
    supply_companies,
)

UNIT_COLUMNS = (
    "id",
    "code",
    "name",
    "level",
    "kind",
    "parent_id",
    "path",
    "sort_order",
    "active",
)


class InvalidTree(ValueError):
    """The merged national tree breaks a rule of `catalog_data.validate_units`."""


@dataclass(frozen=True)
class StaffUnit:
    """A unit employees work in, with its review chain and the area of its staff."""

    id: int
    code: str
    name: str
    kind: str
    first_review_unit_id: int
    top_review_unit_id: int
    area_prefix: str
    weight: float


@dataclass(frozen=True)
class UnitRow:
    id: int
    code: str
    name: str
    level: str
    kind: str
    parent_id: int | None


def national_nodes() -> list[UnitNode]:
    """Return units.json's nodes and then the city-level units it lacks, validated."""
    nodes = catalog_data.load_units()
    by_code = {node.code: node for node in nodes}
    added: list[UnitNode] = []
    for province_code in provincial_company_codes():
        province = by_code[province_code]
        wanted = [
            (
                f"{province_code}-{seat.segment}",
                f"{province.name}{seat.place}供电公司",
                KIND_SUPPLY_COMPANY,
            )
            for seat in supply_companies(province_code)
        ]
        wanted += [
            (
                f"{province_code}-{segment}",
                f"{province.name}{suffix}",
                KIND_PROVINCIAL_UNIT,
            )
            for segment, suffix in PROVINCIAL_UNITS.items()
        ]
        for code, name, kind in wanted:
            if code in by_code:
                continue
            node = UnitNode(
                code, name, LEVEL_CITY, kind, province_code, province.depth + 1
            )
            by_code[code] = node
            added.append(node)
    merged = nodes + added
    problems = catalog_data.validate_units(merged)
    if problems:
        raise InvalidTree("; ".join(problems))
    return merged


def insert_missing_units(writer: BulkWriter) -> int:
    """Insert the national nodes that the database lacks and return how many were added.

    Ids are assigned here so that each path ("/3/17/205/") is known before
    the insert. Units already stored (by code) are left as they are.
    """
    connection = writer.connection
    stored = {
        code: (unit_id, path)
        for unit_id, code, path in connection.execute(
            text("SELECT id, code, path FROM unit")
        )
    }
    next_id = writer.next_id("unit")
    rows = []
    for order, node in enumerate(national_nodes()):
        if node.code in stored:
            continue
        parent_id, parent_path = (
            stored[node.parent_code] if node.parent_code else (None, "/")
        )
        path = f"{parent_path}{next_id}/"
        rows.append(
            (
                next_id,
                node.code,
                node.name,
                node.level,
                node.kind,
                parent_id,
                path,
                order,
                True,
            )
        )
        stored[node.code] = (next_id, path)
        next_id += 1
    writer.insert("unit", UNIT_COLUMNS, rows)
    connection.commit()
    return len(rows)


def load_unit_rows(writer: BulkWriter) -> dict[int, UnitRow]:
    result = writer.connection.execute(
        text(
            "SELECT id, code, name, level, kind, parent_id FROM unit "
            "WHERE active ORDER BY id"
        )
    )
    return {row[0]: UnitRow(*row) for row in result}


def _area_prefix(unit: UnitRow, units: dict[int, UnitRow]) -> str:
    if unit.level == LEVEL_COUNTY and unit.parent_id in units:
        return _area_prefix(units[unit.parent_id], units)
    segments = unit.code.split("-")
    province_code = "-".join(segments[:2])
    if province_code in AFFILIATED_AREA_PREFIXES:
        return AFFILIATED_AREA_PREFIXES[province_code]
    if province_code not in provincial_company_codes():
        return "1101"
    if unit.kind == KIND_SUPPLY_COMPANY and len(segments) == 3:
        for seat in supply_companies(province_code):
            if seat.segment == segments[2]:
                return seat.area_prefix
    return capital_area_prefix(province_code)


def _chain(unit: UnitRow, units: dict[int, UnitRow]) -> tuple[int, int] | None:
    """Return (first, top) reviewing unit ids as `submission.review_chain` does."""
    ancestors = []
    node: UnitRow | None = unit
    while node is not None:
        ancestors.append(node)
        node = units.get(node.parent_id) if node.parent_id else None
    ancestors.reverse()
    reviewing = [node for node in ancestors if node.kind in REVIEWING_KINDS]
    top = next((node for node in reviewing if node.level == LEVEL_PROVINCE), None)
    if top is None:
        return None
    first = next(
        (node for node in reversed(reviewing) if node.level == LEVEL_CITY), top
    )
    return first.id, top.id


def staff_units(rng: random.Random, units: dict[int, UnitRow]) -> list[StaffUnit]:
    """Return the units employees are spread over, each with a relative head count.

    Supply companies carry most staff, and the first one listed for each
    province (its capital, or the central district of a municipality) twice
    as many. Head offices, province-level units and county units have fewer.
    """
    result = []
    capitals = {
        f"{province}-{supply_companies(province)[0].segment}"
        for province in provincial_company_codes()
    }
    for unit in units.values():
        if unit.level not in (LEVEL_CITY, LEVEL_COUNTY):
            continue
        chain = _chain(unit, units)
        if chain is None:
            continue
        prefix = _area_prefix(unit, units)
        if unit.kind == KIND_SUPPLY_COMPANY:
            weight = rng.uniform(0.6, 1.6) * (2 if unit.code in capitals else 1)
        elif unit.kind == KIND_HEAD_OFFICE:
            parent = units.get(unit.parent_id)
            weight = (
                0.4
                if parent is not None and parent.kind == KIND_AFFILIATED_UNIT
                else 0.8
            )
        elif unit.kind == KIND_PROVINCIAL_UNIT:
            weight = 0.3
        else:
            weight = 0.25
        result.append(
            StaffUnit(
                unit.id,
                unit.code,
                unit.name,
                unit.kind,
                chain[0],
                chain[1],
                prefix,
                weight,
            )
        )
    return result


def reviewing_units(units: dict[int, UnitRow]) -> list[UnitRow]:
    """Return the units that review applications: city-level and province-level ones."""
    return [
        unit
        for unit in units.values()
        if unit.kind in REVIEWING_KINDS and unit.level in (LEVEL_CITY, LEVEL_PROVINCE)
    ]
