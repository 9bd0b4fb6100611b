"""Bulk import of units from Excel: check every row, then add all or none.

A row names its parent by code. The parent is an existing unit or another row
of the same file, in any order, so a file can add a city with its counties.
Each row must follow the rules of app.admin_catalogue_units, and the file may
repeat neither a code nor a name under one parent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import Optional

from sqlalchemy import func, select

from . import admin_catalogue_units as units
from .audit import record_audit, record_audit_many
from .catalog_data import (
    KIND_HEAD_OFFICE,
    LEVEL_REGION,
    UNIT_KIND_LABELS,
    UNIT_LEVEL_LABELS,
    UNIT_LEVELS,
)
from .extensions import db
from .imports import ImportColumn, ProblemList, RowProblem, SheetRows
from .models import Account, Unit
from .text import clean_text

log = logging.getLogger(__name__)

MAX_ROWS = 5000

PARENT = "上级单位编码"
CODE = "单位编码"
NAME = "单位名称"
LEVEL = "层级"
KIND = "类型"

COLUMNS = (
    ImportColumn(
        PARENT,
        required=False,
        identifier=True,
        max_length=40,
        width=20,
        note="已有单位或本文件中另一行的单位编码；区域留空。",
    ),
    ImportColumn(
        CODE,
        identifier=True,
        max_length=40,
        width=20,
        note="上级单位编码加一段 1 至 8 位的大写字母或数字，例如 NE-LN-FS-XB；区域只有一段，例如 NE。",
    ),
    ImportColumn(
        NAME,
        max_length=units.MAX_NAME_LENGTH,
        width=40,
        note="同一上级单位下不能重名。",
    ),
    ImportColumn(
        LEVEL,
        choices=tuple(UNIT_LEVEL_LABELS.values()),
        width=16,
        note="区域、省(直属)单位、地市级单位或县单位(部门)，须比上级单位低一级。",
    ),
    ImportColumn(
        KIND,
        choices=tuple(UNIT_KIND_LABELS.values()),
        width=16,
        note="区域；省公司或直属单位；地市供电公司、省公司所属单位或本部；县供电公司或部门。",
    ),
)

NOTES = (
    "第 1 行是表头，请勿修改；数据从第 2 行开始，每行一个单位。",
    "所有列已设置为文本格式。从其他表格粘贴时请选择“只粘贴数值”，以免带入数字格式。",
    "导入前会检查全部数据行：任何一行有误则不导入任何数据，并列出每个问题所在的行。",
    f"每个文件最多 {MAX_ROWS} 行、2MB。",
)

_LEVEL_CODES = {label: code for code, label in UNIT_LEVEL_LABELS.items()}
_KIND_CODES = {label: code for code, label in UNIT_KIND_LABELS.items()}


@dataclass
class UnitDraft:
    """A checked row: a unit to add."""

    row: int
    parent_code: Optional[str]
    code: str
    name: str
    level: str
    kind: str


class _FileIndex:
    """Codes, sibling names and head offices of the file and the database, loaded once."""

    def __init__(self, drafts: list[UnitDraft]) -> None:
        codes = {draft.code for draft in drafts} | {
            draft.parent_code for draft in drafts if draft.parent_code
        }
        self.existing: dict[str, Unit] = {}
        for chunk in _chunks(sorted(codes)):
            for unit in db.session.scalars(
                select(Unit).where(func.upper(Unit.code).in_(chunk))
            ):
                self.existing[unit.code.upper()] = unit
        parent_ids = [unit.id for unit in self.existing.values()]
        self.sibling_names: set[tuple[int, str]] = set()
        self.head_offices: set[int] = set()
        for chunk in _chunks(parent_ids):
            rows = db.session.execute(
                select(Unit.parent_id, Unit.name, Unit.kind).where(
                    Unit.parent_id.in_(chunk)
                )
            )
            for parent_id, name, kind in rows:
                self.sibling_names.add((parent_id, name))
                if kind == KIND_HEAD_OFFICE:
                    self.head_offices.add(parent_id)
        self.first_row: dict[str, UnitDraft] = {}
        for draft in drafts:
            self.first_row.setdefault(draft.code, draft)


def _chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _parse(sheet: SheetRows) -> list[UnitDraft]:
    drafts = []
    for row, cells in sheet.rows:
        level_text, kind_text = cells[LEVEL], cells[KIND]
        drafts.append(
            UnitDraft(
                row=row,
                parent_code=cells[PARENT].upper() or None,
                code=cells[CODE].upper(),
                name=clean_text(cells[NAME]),
                level=_LEVEL_CODES.get(level_text, level_text),
                kind=_KIND_CODES.get(kind_text, kind_text),
            )
        )
    return drafts


def check_rows(sheet: SheetRows) -> tuple[list[UnitDraft], list[RowProblem]]:
    """Check every row against the file and the database; return drafts and problems."""
    drafts = _parse(sheet)
    index = _FileIndex(drafts)
    problems = ProblemList(sheet.problems)
    names_in_file: dict[tuple[str, str], int] = {}
    head_offices_in_file: dict[str, int] = {}

    for draft in drafts:
        report = partial(problems.add, draft.row)
        level_ok = draft.level in UNIT_LEVELS
        report(LEVEL, None if level_ok else "层级无效，请从列表中选择。")
        if level_ok:
            report(KIND, units.kind_problem(draft.kind, draft.level))

        parent_level = _check_parent(draft, index, report)
        if level_ok and parent_level is not False:
            expected = units.parent_level_of(draft.level)
            if draft.level == LEVEL_REGION and draft.parent_code:
                report(PARENT, "区域是最高层级，上级单位编码应留空。")
            elif (
                expected is not None
                and parent_level is not None
                and parent_level != expected
            ):
                report(
                    PARENT,
                    f"上级单位应为{UNIT_LEVEL_LABELS[expected]}，"
                    f"该编码的单位是{UNIT_LEVEL_LABELS.get(parent_level, parent_level)}。",
                )

        first = index.first_row[draft.code]
        if first is not draft:
            report(CODE, f"单位编码与第 {first.row} 行重复。")
        elif draft.code in index.existing:
            report(CODE, f"单位编码 {draft.code} 已存在。")
        else:
            report(CODE, units.code_problem(draft.code, draft.parent_code))

        report(NAME, units.name_problem(draft.name))
        _check_name_and_head_office(
            draft, index, names_in_file, head_offices_in_file, report
        )
    return drafts, problems.sorted()


def _check_parent(draft: UnitDraft, index: _FileIndex, report):
    """Find the row's parent; return its level, None if unknown, False if reported."""
    if not draft.parent_code:
        if draft.level != LEVEL_REGION and draft.level in UNIT_LEVELS:
            report(PARENT, "请填写上级单位编码（只有区域不填）。")
            return False
        return None
    existing = index.existing.get(draft.parent_code)
    if existing is not None:
        if not existing.active:
            report(PARENT, f"上级单位「{existing.name}」已停用，不能在其下新增单位。")
            return False
        return existing.level
    in_file = index.first_row.get(draft.parent_code)
    if in_file is None:
        report(
            PARENT,
            f"上级单位编码 {draft.parent_code} 不存在：系统和本文件中都没有该单位。",
        )
        return False
    if in_file is draft:
        report(PARENT, "上级单位编码不能是本行的单位编码。")
        return False
    return in_file.level


def _check_name_and_head_office(
    draft, index, names_in_file, head_offices_in_file, report
):
    parent = index.existing.get(draft.parent_code or "")
    key = (draft.parent_code or "", draft.name)
    if draft.name:
        if key in names_in_file:
            report(NAME, f"与第 {names_in_file[key]} 行在同一上级单位下重名。")
        elif parent is not None and (parent.id, draft.name) in index.sibling_names:
            report(NAME, f"「{parent.name}」下已有名为「{draft.name}」的单位。")
        names_in_file.setdefault(key, draft.row)
    if draft.kind == KIND_HEAD_OFFICE and draft.parent_code:
        if draft.parent_code in head_offices_in_file:
            report(
                KIND,
                f"与第 {head_offices_in_file[draft.parent_code]} 行重复：每个省(直属)单位只能有一个本部。",
            )
        elif parent is not None and parent.id in index.head_offices:
            report(KIND, f"「{parent.name}」已有本部，每个省(直属)单位只能有一个本部。")
        head_offices_in_file.setdefault(draft.parent_code, draft.row)


def import_units(actor: Optional[Account], drafts: list[UnitDraft]) -> int:
    """Add the checked units, parents before children, in one transaction; commit.

    Units of one level are flushed together, because a path needs the ids of
    the unit and its ancestors. New units sort after the existing ones, in
    the order of the file.
    """
    by_code: dict[str, Unit] = {
        unit.code.upper(): unit
        for unit in db.session.scalars(
            select(Unit).where(
                func.upper(Unit.code).in_(
                    {d.parent_code for d in drafts if d.parent_code}
                )
            )
        )
    }
    first_order = (db.session.scalar(select(func.max(Unit.sort_order))) or 0) + 1
    created: list[Unit] = []
    for level in UNIT_LEVELS:
        batch = []
        for draft in (d for d in drafts if d.level == level):
            parent = by_code.get(draft.parent_code) if draft.parent_code else None
            unit = Unit(
                code=draft.code,
                name=draft.name,
                level=draft.level,
                kind=draft.kind,
                parent=parent,
                sort_order=first_order + draft.row,
                active=True,
                path="",
            )
            db.session.add(unit)
            by_code[draft.code] = unit
            batch.append((unit, parent))
        db.session.flush()
        for unit, parent in batch:
            units.assign_path(unit, parent)
        created.extend(unit for unit, _ in batch)
    db.session.flush()

    record_audit_many(
        actor,
        [
            {
                "action": "unit.create",
                "target_type": "unit",
                "target_id": unit.id,
                "summary": f"新增单位（批量导入）：{units.unit_label(unit)}",
            }
            for unit in created
        ],
    )
    record_audit(
        actor,
        "import.units",
        "import",
        None,
        f"批量导入单位 {len(created)} 个",
        details={"count": len(created), "codes": [unit.code for unit in created[:200]]},
    )
    db.session.commit()
    log.info("imported %d units by user=%s", len(created), actor.id if actor else None)
    return len(created)
