"""Moving a unit with its subtree under another parent (调整上级单位).

The organisation tree stores materialised paths, and reviewers' scope is a
prefix match on them, so a move rewrites the path of every unit below the
moved one in the same transaction as the new parent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import func, literal, select, update

from .admin_catalogue_units import (
    has_head_office,
    level_problem,
    parent_level_of,
    sibling_name_exists,
    unit_label,
)
from .admin_catalogue_usage import ChangeRejected
from .audit import record_audit
from .catalog_data import KIND_HEAD_OFFICE
from .extensions import db
from .glossary import ApplicationStatus
from .models import Account, Application, Unit
from .submission import review_chain

log = logging.getLogger(__name__)


def move_candidates(unit: Unit) -> list[Unit]:
    """Return the active units one level above `unit` that it could move under."""
    level = parent_level_of(unit.level)
    if level is None:
        return []
    statement = select(Unit).where(
        Unit.level == level, Unit.active.is_(True), Unit.id != unit.parent_id
    )
    return list(db.session.scalars(statement.order_by(Unit.path)))


def check_move(unit: Unit, new_parent: Optional[Unit]) -> Optional[str]:
    if new_parent is None:
        return "请选择新的上级单位。"
    if new_parent.path.startswith(unit.path):
        return "不能把单位移到它自己或它的下级单位之下。"
    if new_parent.id == unit.parent_id:
        return f"「{unit.name}」已在「{new_parent.name}」之下。"
    if not new_parent.active:
        return f"「{new_parent.name}」已停用，不能作为上级单位。"
    message = level_problem(unit.level, new_parent)
    if message:
        return message
    if unit.kind == KIND_HEAD_OFFICE and has_head_office(new_parent.id):
        return f"「{new_parent.name}」已有本部，每个省(直属)单位只能有一个本部。"
    if sibling_name_exists(new_parent.id, unit.name):
        return f"「{new_parent.name}」下已有名为「{unit.name}」的单位。"
    return None


@dataclass(frozen=True)
class MoveOutcome:
    units: int
    rerouted_applications: int


def move_unit(
    actor: Optional[Account], unit_id: int, new_parent_id: Optional[int]
) -> MoveOutcome:
    """Move a unit and its subtree under a new parent in one transaction, and commit.

    Every path in the subtree is rewritten, so reviewers' scope, which is a
    prefix match on the path, follows at once. Applications still in review
    are sent to the review chain of their unit's new place, because the
    reviewers of the old chain no longer see them.
    Raises ChangeRejected, after a rollback, when a rule forbids the move.
    """
    # Locking the two rows serialises concurrent moves on PostgreSQL. SQLite
    # locks the whole database on the first write instead.
    unit = db.session.scalar(select(Unit).where(Unit.id == unit_id).with_for_update())
    new_parent = None
    if new_parent_id is not None:
        new_parent = db.session.scalar(
            select(Unit).where(Unit.id == new_parent_id).with_for_update()
        )
    if unit is None:
        raise ChangeRejected("单位不存在。")
    message = check_move(unit, new_parent)
    if message:
        db.session.rollback()
        raise ChangeRejected(message)

    old_parent = unit.parent
    old_path = unit.path
    new_path = f"{new_parent.path}{unit.id}/"
    moved = db.session.execute(
        update(Unit)
        .where(Unit.path.startswith(old_path, autoescape=True))
        .values(path=literal(new_path) + func.substr(Unit.path, len(old_path) + 1))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(
        update(Unit)
        .where(Unit.id == unit.id)
        .values(parent_id=new_parent.id)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()

    rerouted = _reroute_open_applications(new_path)
    unit = db.session.get(Unit, unit_id)
    record_audit(
        actor,
        "unit.move",
        "unit",
        unit.id,
        f"调整上级单位：{unit_label(unit)}，{old_parent.name if old_parent else '无'} → {unit.parent.name}",
        details={
            "old_parent_id": old_parent.id if old_parent else None,
            "new_parent_id": new_parent_id,
            "units": moved,
            "rerouted_applications": rerouted,
        },
    )
    db.session.commit()
    log.info(
        "unit id=%s moved to parent=%s by user=%s: %d units, %d applications rerouted",
        unit_id,
        new_parent_id,
        actor.id if actor is not None else None,
        moved,
        rerouted,
    )
    return MoveOutcome(moved, rerouted)


def _reroute_open_applications(subtree_path: str) -> int:
    """Point the applications in review below `subtree_path` at their new chain.

    An application waiting at its first reviewing unit waits at the new first
    one, and one waiting at the top waits at the new top, each for a new
    decision (`_restart_review`). Returned and completed applications keep
    their chain, because a resubmission computes it again and a completed one
    is history. The ORM raises the version, so a reviewer holding the old
    version cannot act on the changed row.
    """
    subtree = select(Unit.id).where(Unit.path.startswith(subtree_path, autoescape=True))
    open_statuses = (ApplicationStatus.PENDING.value, ApplicationStatus.REVIEWED.value)
    applications = db.session.scalars(
        select(Application).where(
            Application.unit_id.in_(subtree),
            Application.status.in_(open_statuses),
            Application.review_unit_id.is_not(None),
        )
    ).all()
    count = 0
    for application in applications:
        chain = review_chain(application.unit)
        if chain is None:
            continue
        first, top = chain
        old_first, old_top = (
            application.first_review_unit_id,
            application.top_review_unit_id,
        )
        if (first.id, top.id) == (old_first, old_top):
            continue
        waiting_at = application.review_unit_id
        if waiting_at == old_first:
            application.review_unit_id = first.id
        elif waiting_at == old_top:
            application.review_unit_id = top.id
        if application.review_unit_id != waiting_at:
            _restart_review(application, at_top=application.review_unit_id == top.id)
        application.first_review_unit_id = first.id
        application.top_review_unit_id = top.id
        count += 1
    db.session.flush()
    return count


def _restart_review(application: Application, at_top: bool) -> None:
    """Clear the decisions of the level the application now waits at and above.

    The reviewers of the new unit have not decided yet, so an application
    that had this level's decision (reviewed) waits for it again (pending).
    Decisions of the levels below stay as the record of what they decided.
    """
    application.province_decision = None
    application.province_reason = None
    if not at_top:
        application.city_decision = None
        application.city_reason = None
    if application.status == ApplicationStatus.REVIEWED.value:
        application.status = ApplicationStatus.PENDING.value
