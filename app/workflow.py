"""The review workflow of applications, as a table of transitions.

| action  | label  | from             | to                                              | who                          |
| ------- | ------ | ---------------- | ----------------------------------------------- | ---------------------------- |
| pass    | 合格   | pending, reviewed | reviewed (this level's decision = pass)         | reviewer of the current unit |
| fail    | 不合格 | pending, reviewed | reviewed (decision = fail, reason required)     | reviewer of the current unit |
| return  | 退回   | pending, reviewed | city level → returned to the employee;          | reviewer of the current unit |
|         |        |                  | province level → pending at the city unit       |                              |
| submit  | 提交   | reviewed         | city level → pending at the province;           | reviewer of the current unit |
|         |        |                  | province level → completed, final result fixed  |                              |
| resubmit| 提交   | returned         | pending at the first reviewing unit             | the applicant (submission.py) |

A reviewer acts only on applications waiting at their own unit, and only
with the role of that unit's level. Every transition is one conditional
UPDATE per request, guarded by the version each row had when the reviewer
saw it, followed by one INSERT of the review events, in one transaction: a
second request on the same rows (another reviewer, a double click) matches
no row and changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional, Sequence

from sqlalchemy import case, insert, literal, select, tuple_, update
from sqlalchemy.exc import OperationalError

from .audit import record_audit_many, review_entry
from .extensions import db
from .ids import parse_id
from .text import clean_text
from .glossary import ApplicationStatus, Decision, RoleName, UnitLevel
from .models import Account, Application, ReviewEvent, utc_now
from .scope import applications_condition, role_names

log = logging.getLogger(__name__)

PENDING = ApplicationStatus.PENDING.value
REVIEWED = ApplicationStatus.REVIEWED.value
RETURNED = ApplicationStatus.RETURNED.value
COMPLETED = ApplicationStatus.COMPLETED.value

MAX_REASON_LENGTH = 1000
MAX_ROWS_PER_ACTION = 1000


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    needs_reason: bool


TRANSITIONS: dict[str, Transition] = {
    "pass": Transition("pass", "合格", frozenset({PENDING, REVIEWED}), needs_reason=False),
    "fail": Transition("fail", "不合格", frozenset({PENDING, REVIEWED}), needs_reason=True),
    "return": Transition("return", "退回", frozenset({PENDING, REVIEWED}), needs_reason=True),
    "submit": Transition("submit", "提交", frozenset({REVIEWED}), needs_reason=False),
}

# The role a reviewer needs at each level of the chain.
LEVEL_ROLES = {
    UnitLevel.CITY.value: RoleName.CITY_REVIEWER,
    UnitLevel.PROVINCE.value: RoleName.PROVINCE_REVIEWER,
}


class UnknownAction(ValueError):
    """The request named an action that the workflow does not define."""


class NotFound(LookupError):
    """A selected application does not exist or lies outside the user's scope."""


class Refused(Exception):
    """The transition cannot run; `message` contains the reason, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Outcome:
    action: str
    count: int
    message: str


def decision_columns(level: str):
    """Return the decision and reason columns of a level of the chain."""
    if level == UnitLevel.PROVINCE.value:
        return Application.province_decision, Application.province_reason
    return Application.city_decision, Application.city_reason


def acting_level(actor: Account) -> str:
    """Return the chain level the actor reviews at, or raise Refused."""
    unit = actor.unit
    if unit is None or unit.level not in LEVEL_ROLES:
        raise Refused("当前账号未绑定地市级或省公司级审核单位，不能审核")
    if LEVEL_ROLES[unit.level] not in role_names(actor):
        raise Refused(f"当前账号没有{unit.level_label}的审核角色")
    return unit.level


def parse_selection(values: Sequence[str]) -> list[tuple[int, int]]:
    """Parse the selected rows, each "id:version", into pairs; reject junk as Refused."""
    pairs: dict[int, int] = {}
    for value in values:
        identifier, _, version = (value or "").partition(":")
        application_id, seen_version = parse_id(identifier), parse_id(version)
        if application_id is None or seen_version is None:
            raise Refused("所选记录无效，请刷新页面后重新选择")
        pairs[application_id] = seen_version
    if not pairs:
        raise Refused("请先勾选要处理的申报数据")
    if len(pairs) > MAX_ROWS_PER_ACTION:
        raise Refused(f"一次最多处理{MAX_ROWS_PER_ACTION}条申报数据")
    return list(pairs.items())


def _names(rows, limit: int = 5) -> str:
    names = [row.applicant_name for row in rows]
    shown = "、".join(names[:limit])
    return shown + (f"等{len(names)}人" if len(names) > limit else "")


def _values_for(transition: Transition, level: str, reason: Optional[str]) -> dict:
    decision, decision_reason = decision_columns(level)
    version = Application.version + 1
    if transition.action in ("pass", "fail"):
        value = Decision.PASS.value if transition.action == "pass" else Decision.FAIL.value
        return {
            decision: value,
            decision_reason: reason,
            Application.status: REVIEWED,
            Application.version: version,
        }
    at_top = Application.review_unit_id == Application.top_review_unit_id
    has_city_level = Application.first_review_unit_id != Application.top_review_unit_id
    if transition.action == "return":
        back_to_city = at_top & has_city_level
        return {
            Application.status: case((back_to_city, literal(PENDING)), else_=literal(RETURNED)),
            Application.review_unit_id: case(
                (back_to_city, Application.first_review_unit_id), else_=None
            ),
            # Every level reviews a returned application again.
            Application.city_decision: None,
            Application.city_reason: None,
            Application.province_decision: None,
            Application.province_reason: None,
            Application.return_reason: reason,
            Application.version: version,
        }
    return {
        Application.status: case((at_top, literal(COMPLETED)), else_=literal(PENDING)),
        Application.final_result: case((at_top, decision), else_=None),
        Application.review_unit_id: case(
            (at_top, None), else_=Application.top_review_unit_id
        ),
        Application.version: version,
    }


def _target_status(transition: Transition, row) -> str:
    at_top = row.review_unit_id == row.top_review_unit_id
    if transition.action in ("pass", "fail"):
        return REVIEWED
    if transition.action == "return":
        has_city_level = row.first_review_unit_id != row.top_review_unit_id
        return PENDING if at_top and has_city_level else RETURNED
    return COMPLETED if at_top else PENDING


def apply(
    actor: Account, action: str, selection: Sequence[str], reason: Optional[str] = None
) -> Outcome:
    """Run one transition on the selected rows, all or none.

    Raises UnknownAction for an undefined action, NotFound when a row is
    unknown or outside the actor's scope, and Refused with a Chinese
    message when the transition cannot run on every row.
    """
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise UnknownAction(action)
    pairs = parse_selection(selection)
    reason = clean_text(reason) or None
    if transition.needs_reason and reason is None:
        raise Refused(f"{transition.label}需要填写原因")
    if reason is not None and len(reason) > MAX_REASON_LENGTH:
        raise Refused(f"原因不能超过{MAX_REASON_LENGTH}个字")
    ids = [identifier for identifier, _ in pairs]
    rows = db.session.execute(
        select(
            Application.id,
            Application.version,
            Application.status,
            Application.applicant_name,
            Application.applicant_id,
            Application.year,
            Application.unit_id,
            Application.review_unit_id,
            Application.first_review_unit_id,
            Application.top_review_unit_id,
            Application.city_decision,
            Application.province_decision,
        ).where(Application.id.in_(ids), applications_condition(actor))
    ).all()
    # Scope comes first: an id the actor may not see is "not found" whatever
    # else is wrong with the request.
    if len(rows) != len(ids):
        raise NotFound()
    level = acting_level(actor)
    decision, _ = decision_columns(level)

    seen = dict(pairs)
    # A stale version comes first: a concurrent request that moved the row on
    # is "handled by someone else", not "not waiting here".
    stale = [row for row in rows if row.version != seen[row.id]]
    if stale:
        raise Refused(f"{_names(stale)}的申报已被他人处理，请刷新页面后重试")
    own = [row for row in rows if row.applicant_id == actor.id]
    if own:
        raise Refused("不能审核本人的申报")
    elsewhere = [row for row in rows if row.review_unit_id != actor.unit_id]
    if elsewhere:
        raise Refused(f"{_names(elsewhere)}的申报不在本单位待审核，不能{transition.label}")
    if transition.action == "submit":
        undecided = [row for row in rows if getattr(row, decision.key) is None]
        if undecided:
            raise Refused(f"{_names(undecided)}的申报尚未审核（合格或不合格），不能提交")
    wrong_state = [row for row in rows if row.status not in transition.sources]
    if wrong_state:
        raise Refused(f"{_names(wrong_state)}的申报当前状态不能{transition.label}")

    now = utc_now()
    statement = (
        update(Application)
        .where(
            tuple_(Application.id, Application.version).in_(pairs),
            Application.review_unit_id == actor.unit_id,
            Application.status.in_(transition.sources),
        )
        .values(_values_for(transition, level, reason))
        .execution_options(synchronize_session=False)
    )
    try:
        changed = db.session.execute(statement).rowcount
        if changed != len(pairs):
            db.session.rollback()
            raise Refused("所选申报已被他人处理，请刷新页面后重试")
        db.session.execute(
            insert(ReviewEvent),
            [
                {
                    "application_id": row.id,
                    "actor_id": actor.id,
                    "role": LEVEL_ROLES[level],
                    "unit_id": actor.unit_id,
                    "action": transition.action,
                    "from_status": row.status,
                    "to_status": _target_status(transition, row),
                    "reason": reason,
                    "created_on": now,
                }
                for row in rows
            ],
        )
        # One more INSERT, whatever the number of rows, in the same transaction.
        record_audit_many(
            actor,
            [
                review_entry(
                    action, transition.label, row, _target_status(transition, row), reason
                )
                for row in rows
            ],
        )
        db.session.commit()
    except OperationalError:
        # SQLite reports a concurrent writer as "database is locked".
        db.session.rollback()
        log.warning("review %s by user=%s hit a concurrent write", action, actor.id)
        raise Refused("所选申报正在被他人处理，请刷新页面后重试") from None

    log.info(
        "review %s by user=%s unit=%s on applications %s",
        action,
        actor.id,
        actor.unit_id,
        ids,
    )
    return Outcome(action, len(pairs), f"已{transition.label}{len(pairs)}条申报")
