"""The organisation tree's rules and changes: add, rename, deactivate, reactivate.

The screens and the Excel import call these functions and commit, and
app.admin_catalogue_unit_move moves units with the same rules. Each rule
is a function that returns a Chinese message or None, so that a form can put
the message under its field and the import under its cell.

Rules:

- A unit sits exactly one level below its parent: region > province > city >
  county, and a region has no parent.
- Its kind belongs to its level, and a province-level unit has at most one
  head office (本部).
- A code is "-"-joined segments of 1 to 8 characters from A-Z and 0-9, and a
  new unit's code is its parent's code plus one segment. Codes never change.
- Names are unique among siblings.
- Deactivating a unit deactivates its whole subtree, because a unit under an
  inactive parent cannot be chosen anyway. Reactivating restores the unit
  alone, and only below an active parent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .admin_catalogue_usage import ChangeRejected
from .audit import record_audit
from .catalog_data import (
    CODE_SEGMENT_PATTERN,
    KIND_HEAD_OFFICE,
    UNIT_KIND_LABELS,
    UNIT_KIND_LEVELS,
    UNIT_LEVEL_LABELS,
    UNIT_LEVELS,
)
from .extensions import db
from .models import Account, Unit
from .text import clean_text

log = logging.getLogger(__name__)

MAX_NAME_LENGTH = 120
MAX_CODE_LENGTH = 40

AUDIT_LABELS = {
    "unit.create": "新增单位",
    "unit.rename": "修改单位",
    "unit.move": "调整上级单位",
    "unit.deactivate": "停用单位",
    "unit.reactivate": "启用单位",
    "unit.delete": "删除单位",
}


def parent_level_of(level: str) -> Optional[str]:
    """Return the level directly above `level`, or None for a region."""
    index = UNIT_LEVELS.index(level)
    return UNIT_LEVELS[index - 1] if index > 0 else None


def level_problem(level: str, parent: Optional[Unit]) -> Optional[str]:
    if level not in UNIT_LEVELS:
        return "层级无效，请选择区域、省(直属)单位、地市级单位或县单位(部门)。"
    expected_parent_level = parent_level_of(level)
    if parent is None and expected_parent_level is not None:
        return f"{UNIT_LEVEL_LABELS[level]}必须有上级单位（{UNIT_LEVEL_LABELS[expected_parent_level]}）。"
    if parent is not None and parent.level != expected_parent_level:
        if expected_parent_level is None:
            return "区域是最高层级，不能有上级单位。"
        return (
            f"上级单位应为{UNIT_LEVEL_LABELS[expected_parent_level]}，"
            f"「{parent.name}」是{UNIT_LEVEL_LABELS[parent.level]}。"
        )
    return None


def kind_problem(kind: str, level: str) -> Optional[str]:
    if kind not in UNIT_KIND_LEVELS:
        return "单位类型无效，请从列表中选择。"
    if level in UNIT_LEVELS and UNIT_KIND_LEVELS[kind] != level:
        allowed = "、".join(
            UNIT_KIND_LABELS[code]
            for code, at in UNIT_KIND_LEVELS.items()
            if at == level
        )
        return f"{UNIT_LEVEL_LABELS[level]}的类型只能是{allowed}。"
    return None


def code_problem(code: str, parent_code: Optional[str]) -> Optional[str]:
    """Check the code scheme: the parent's code plus one segment of A-Z and 0-9."""
    if not code:
        return "请填写单位编码。"
    if len(code) > MAX_CODE_LENGTH:
        return f"单位编码不能超过 {MAX_CODE_LENGTH} 个字符。"
    segments = code.split("-")
    if not all(CODE_SEGMENT_PATTERN.fullmatch(segment) for segment in segments):
        return (
            "单位编码只能包含大写字母和数字，各段用“-”连接，"
            "每段 1 至 8 个字符，例如 NE-LN-FS。"
        )
    if parent_code is None:
        if len(segments) != 1:
            return "区域的编码只有一段，例如 NE。"
    elif (
        not code.startswith(parent_code + "-")
        or len(segments) != parent_code.count("-") + 2
    ):
        return f"单位编码应为上级单位编码加一段，例如 {parent_code}-XX。"
    return None


def name_problem(name: str) -> Optional[str]:
    if not name:
        return "请填写单位名称。"
    if len(name) > MAX_NAME_LENGTH:
        return f"单位名称不能超过 {MAX_NAME_LENGTH} 个字符。"
    return None


def sibling_name_exists(
    parent_id: Optional[int], name: str, except_id: Optional[int] = None
) -> bool:
    statement = select(Unit.id).where(Unit.name == name)
    if parent_id is None:
        statement = statement.where(Unit.parent_id.is_(None))
    else:
        statement = statement.where(Unit.parent_id == parent_id)
    if except_id is not None:
        statement = statement.where(Unit.id != except_id)
    return db.session.scalar(statement.limit(1)) is not None


def code_exists(code: str) -> bool:
    found = db.session.scalar(
        select(Unit.id).where(func.upper(Unit.code) == code.upper())
    )
    return found is not None


def has_head_office(parent_id: int) -> bool:
    found = db.session.scalar(
        select(Unit.id).where(
            Unit.parent_id == parent_id, Unit.kind == KIND_HEAD_OFFICE
        )
    )
    return found is not None


def check_new_unit(
    parent_id: Optional[int], code: str, name: str, level: str, kind: str
) -> dict[str, str]:
    """Check a unit about to be added and return {field name: message}."""
    problems: dict[str, str] = {}
    parent = db.session.get(Unit, parent_id) if parent_id is not None else None
    if parent_id is not None and parent is None:
        problems["parent_id"] = "所选上级单位不存在。"
        return problems
    if parent is not None and not parent.active:
        problems["parent_id"] = f"上级单位「{parent.name}」已停用，不能在其下新增单位。"

    message = level_problem(level, parent)
    if message:
        problems["level"] = message
    message = kind_problem(kind, level)
    if message:
        problems["kind"] = message
    elif kind == KIND_HEAD_OFFICE and parent is not None and has_head_office(parent.id):
        problems["kind"] = (
            f"「{parent.name}」已有本部，每个省(直属)单位只能有一个本部。"
        )

    message = code_problem(code, parent.code if parent else None)
    if message is None and code_exists(code):
        message = f"单位编码 {code} 已存在。"
    if message:
        problems["code"] = message

    message = name_problem(name)
    if message is None and sibling_name_exists(parent_id, name):
        message = f"同一上级单位下已有名为「{name}」的单位。"
    if message:
        problems["name"] = message
    return problems


def check_rename(unit: Unit, name: str) -> Optional[str]:
    message = name_problem(name)
    if message is None and sibling_name_exists(unit.parent_id, name, except_id=unit.id):
        message = f"同一上级单位下已有名为「{name}」的单位。"
    return message


def assign_path(unit: Unit, parent: Optional[Unit]) -> None:
    """Give a flushed unit its materialised path, "/<ancestor ids>/<own id>/"."""
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"


def unit_label(unit: Unit) -> str:
    return f"{unit.name}（{unit.code}）"


def finish_new_unit(actor: Optional[Account], unit: Unit) -> None:
    """Clean, flush and give a path to a unit added from a form, then audit it.

    The path needs the new id, so the unit is flushed here. The caller's
    commit writes the unit and its audit entry together.
    """
    unit.name = clean_text(unit.name)
    unit.code = (unit.code or "").strip().upper()
    parent = db.session.get(Unit, unit.parent_id) if unit.parent_id else None
    unit.path = ""
    db.session.add(unit)
    try:
        db.session.flush()
    except IntegrityError:
        # Another request took the code or the name after the form's checks.
        db.session.rollback()
        raise ChangeRejected(
            "单位编码或名称刚被占用，未新增单位，请重新填写。"
        ) from None
    assign_path(unit, parent)
    # Unit administration is filed under no unit, so that the log never keeps
    # an unused unit from being deleted by its foreign key.
    record_audit(actor, "unit.create", "unit", unit.id, f"新增单位：{unit_label(unit)}")
    log.info("unit id=%s code=%s added by user=%s", unit.id, unit.code, _id(actor))


def record_rename(actor: Optional[Account], unit: Unit, old_name: str) -> None:
    record_audit(
        actor,
        "unit.rename",
        "unit",
        unit.id,
        f"修改单位：{old_name} → {unit.name}（{unit.code}）",
        details={"old_name": old_name, "new_name": unit.name},
    )
    log.info("unit id=%s renamed by user=%s", unit.id, _id(actor))


def record_delete(actor: Optional[Account], unit: Unit) -> None:
    record_audit(actor, "unit.delete", "unit", unit.id, f"删除单位：{unit_label(unit)}")
    log.info("unit id=%s code=%s deleted by user=%s", unit.id, unit.code, _id(actor))


@dataclass(frozen=True)
class ActivationOutcome:
    changed: list[Unit]
    rejected: list[str]


def deactivate_units(actor: Optional[Account], units: list[Unit]) -> ActivationOutcome:
    """Deactivate each unit with its subtree, audit it and commit."""
    changed: list[Unit] = []
    for unit in sorted(units, key=lambda item: item.path.count("/")):
        # A unit inside a subtree deactivated earlier in this loop is done.
        if not unit.active or any(unit.path.startswith(done.path) for done in changed):
            continue
        count = db.session.execute(
            update(Unit)
            .where(
                Unit.path.startswith(unit.path, autoescape=True), Unit.active.is_(True)
            )
            .values(active=False)
            .execution_options(synchronize_session=False)
        ).rowcount
        record_audit(
            actor,
            "unit.deactivate",
            "unit",
            unit.id,
            f"停用单位：{unit_label(unit)}（含下级共 {count} 个）",
            details={"units": count},
        )
        changed.append(unit)
    db.session.commit()
    db.session.expire_all()
    log.info(
        "units %s deactivated by user=%s", [unit.id for unit in changed], _id(actor)
    )
    return ActivationOutcome(changed, [])


def reactivate_units(actor: Optional[Account], units: list[Unit]) -> ActivationOutcome:
    """Reactivate each unit whose parent is active (or will be), audit it and commit.

    Parents are handled before their children, so a parent and a child
    selected together are both reactivated.
    """
    changed, rejected = [], []
    for unit in sorted(units, key=lambda item: item.path.count("/")):
        if unit.active:
            continue
        parent = unit.parent
        if parent is not None and not parent.active:
            rejected.append(
                f"「{unit.name}」的上级单位「{parent.name}」已停用，请先启用上级单位。"
            )
            continue
        unit.active = True
        record_audit(
            actor, "unit.reactivate", "unit", unit.id, f"启用单位：{unit_label(unit)}"
        )
        changed.append(unit)
    db.session.commit()
    log.info(
        "units %s reactivated by user=%s, %d rejected below an inactive parent",
        [unit.id for unit in changed],
        _id(actor),
        len(rejected),
    )
    return ActivationOutcome(changed, rejected)


def _id(actor: Optional[Account]) -> Optional[int]:
    return actor.id if actor is not None else None
