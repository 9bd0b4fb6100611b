"""The audit log: record who changed what, in the caller's transaction.

Callers add entries with `record_audit` (one change) or `record_audit_many`
(one INSERT for many rows). Neither commits, so an entry lands in the database
together with the change it describes, or not at all. Only `record_export`
commits, because an export changes nothing else. Entries are append-only:
`install_immutability_guard` makes SQLAlchemy raise on any UPDATE or DELETE of
`audit_entry`.

Before storing, keys that name a password, secret or token are dropped from
the details, and ID-card numbers anywhere in the text are masked to their
first 6 and last 4 characters. Mobile numbers are stored as given.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Iterable, Optional

from sqlalchemy import Engine, event, insert
from sqlalchemy.orm import ORMExecuteState, Session

from .extensions import db
from .identity import mask_id_number
from .models import Account, AuditEntry, utc_now

log = logging.getLogger(__name__)

# Column widths of audit_entry, so that a long value is cut instead of failing
# the caller's transaction on PostgreSQL.
ACTION_LENGTH = 40
TARGET_TYPE_LENGTH = 40
TARGET_ID_LENGTH = 40
ACTOR_NAME_LENGTH = 128
SYSTEM_ACTOR_NAME = "系统"

# Chinese labels of the actions that the log screen shows. An action missing
# here is shown by its code, and other modules add theirs with `register_actions`.
ACTION_LABELS: dict[str, str] = {
    "review.pass": "审核合格",
    "review.fail": "审核不合格",
    "review.return": "审核退回",
    "review.submit": "审核提交",
    "application.submit": "提交申报",
    "application.resubmit": "重新提交申报",
    "certificate.upload": "上传认定汇总证明",
    "certificate.approve": "通过认定汇总证明",
    "certificate.reject": "驳回认定汇总证明",
    "export.applications": "导出申报",
    "export.hours_report": "导出学时报表",
    "export.audit_log": "导出操作日志",
}

# Chinese names of the record types entries point at, shown on the log screen.
TARGET_TYPE_LABELS: dict[str, str] = {
    "application": "申报",
    "certificate": "认定汇总证明",
    "export": "导出",
    "account": "账号",
    "role": "角色",
    "unit": "单位",
    "title": "职称目录",
    "ruleset": "折算规则",
    "import": "导入",
}

# An 18-character GB 11643 number (17 digits and a digit or X) or a 15-digit
# legacy number, not inside a longer run of digits.
_ID_NUMBER = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9Xx])")
_SECRET_KEY = re.compile(r"password|passwd|secret|token", re.IGNORECASE)


class AuditEntryImmutable(RuntimeError):
    """An UPDATE or DELETE of an audit entry was attempted."""


def register_actions(
    labels: dict[str, str], target_types: dict[str, str] | None = None
) -> None:
    """Add Chinese labels for another module's action codes and target types."""
    ACTION_LABELS.update(labels)
    TARGET_TYPE_LABELS.update(target_types or {})


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def target_type_label(target_type: str) -> str:
    return TARGET_TYPE_LABELS.get(target_type, target_type)


def record_audit(
    actor: Optional[Account],
    action: str,
    target_type: str,
    target_id: Any,
    summary: str,
    unit_id: int | None = None,
    details: dict | None = None,
) -> None:
    """Add one audit entry to the current session, without committing.

    `actor` is None for the CLI and other system work. `target_id` may be any
    value and is stored as text.
    """
    row = _entry_values(
        actor, action, target_type, target_id, summary, unit_id, details, utc_now()
    )
    db.session.add(AuditEntry(**row))
    log.info(
        "audit %s %s:%s by user=%s",
        row["action"],
        row["target_type"],
        row["target_id"],
        row["actor_id"],
    )


def record_audit_many(actor: Optional[Account], rows: list[dict]) -> None:
    """Insert many audit entries for one actor with one INSERT and one executemany.

    Each row is a dict with the keyword arguments of `record_audit` other than
    `actor`: action, target_type, target_id, summary and optionally unit_id and
    details. The INSERT runs in the session's current transaction at once, so
    it commits or rolls back with the caller's other statements.
    """
    if not rows:
        return

    # One timestamp for all rows, because they record one change.
    created_on = utc_now()
    values = [
        _entry_values(
            actor,
            row["action"],
            row["target_type"],
            row.get("target_id"),
            row["summary"],
            row.get("unit_id"),
            row.get("details"),
            created_on,
        )
        for row in rows
    ]
    db.session.execute(insert(AuditEntry), values)
    actions = sorted({value["action"] for value in values})
    log.info(
        "audit %d entries (%s) by user=%s",
        len(values),
        ", ".join(actions),
        values[0]["actor_id"],
    )


def review_entry(
    action: str, label: str, row: Any, to_status: str, reason: Optional[str]
) -> dict[str, Any]:
    """Build the audit row of one review transition for `record_audit_many`.

    `row` has the application's id, applicant_name, year, unit_id and status
    before the change. The entry is filed under the applicant's unit, so the
    reviewers of every level above it see it.
    """
    return {
        "action": f"review.{action}",
        "target_type": "application",
        "target_id": row.id,
        "summary": f"{label}：{row.applicant_name}的{row.year}年申报",
        "unit_id": row.unit_id,
        "details": {
            "from_status": row.status,
            "to_status": to_status,
            "reason": reason,
        },
    }


def record_export(
    actor: Optional[Account], action: str, summary: str, filters: dict, row_count: int
) -> None:
    """Record a finished export with its filters and row count, and commit.

    Exports change nothing else, so the entry needs a transaction of its own.
    """
    record_audit(
        actor,
        action,
        "export",
        None,
        f"{summary}（{row_count}行）",
        unit_id=actor.unit_id if actor is not None else None,
        details={"filters": dict(filters), "rows": row_count},
    )
    db.session.commit()


class CountingIterator:
    """An iterator that passes items through and counts them in `count`."""

    def __init__(self, items: Iterable[Any]) -> None:
        self._items = iter(items)
        self.count = 0

    def __iter__(self) -> "CountingIterator":
        return self

    def __next__(self) -> Any:
        item = next(self._items)
        self.count += 1
        return item


def actor_display_name(actor: Optional[Account]) -> str:
    """Name an actor as "full name (username)", with an ID-card username masked."""
    if actor is None:
        return SYSTEM_ACTOR_NAME

    username = mask_text(actor.username or "")
    full_name = (actor.full_name or "").strip()
    name = f"{full_name}（{username}）" if full_name else username
    return name[:ACTOR_NAME_LENGTH]


def mask_text(text: str) -> str:
    """Mask every ID-card number inside `text`."""
    return _ID_NUMBER.sub(lambda match: mask_id_number(match.group(0)), text)


def scrub_details(value: Any) -> Any:
    """Return a JSON-safe copy of `value` without secrets and with ID numbers masked.

    Dict keys that name a password, secret or token are dropped together with
    their values. Values that JSON cannot store (dates, decimals) become text.
    """
    if isinstance(value, dict):
        return {
            str(key): scrub_details(item)
            for key, item in value.items()
            if not _SECRET_KEY.search(str(key))
        }

    if isinstance(value, (list, tuple, set, frozenset)):
        return [scrub_details(item) for item in value]

    if isinstance(value, str):
        return mask_text(value)

    if value is None or isinstance(value, (bool, int, float)):
        return value

    return mask_text(str(value))


def _entry_values(
    actor: Optional[Account],
    action: str,
    target_type: str,
    target_id: Any,
    summary: str,
    unit_id: Optional[int],
    details: Optional[dict],
    created_on,
) -> dict[str, Any]:
    return {
        "created_on": created_on,
        "actor_id": actor.id if actor is not None else None,
        "actor_name": actor_display_name(actor),
        "unit_id": unit_id,
        "action": action[:ACTION_LENGTH],
        "target_type": target_type[:TARGET_TYPE_LENGTH],
        "target_id": _target_id_text(target_id),
        "summary": mask_text(summary),
        "details": scrub_details(details) if details else None,
    }


def _target_id_text(target_id: Any) -> Optional[str]:
    if target_id is None:
        return None

    return mask_text(str(target_id))[:TARGET_ID_LENGTH]


# Immutability ---------------------------------------------------------------


def _reject_change(mapper, connection, target) -> None:
    raise AuditEntryImmutable(
        f"audit entry {target.id} cannot be changed or deleted: the log is append-only"
    )


def _reject_bulk_change(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return

    table = getattr(state.statement, "table", None)
    if table is not None and getattr(table, "name", None) == AuditEntry.__tablename__:
        raise AuditEntryImmutable(
            "UPDATE and DELETE of audit_entry are not allowed: the log is append-only"
        )


# The start of an UPDATE or DELETE of audit_entry as SQLAlchemy's compilers
# and hand-written SQL spell it, with or without quotes around the name.
_CHANGING_SQL = re.compile(
    r"\s*(?:UPDATE|DELETE\s+FROM)\s+[\"`]?audit_entry[\"`]?(?![\w])", re.IGNORECASE
)


def _reject_changing_sql(conn, cursor, statement, parameters, context, executemany):
    if _CHANGING_SQL.match(statement):
        raise AuditEntryImmutable(
            "UPDATE and DELETE of audit_entry are not allowed: the log is append-only"
        )


_GUARDS: Iterable[tuple[Any, str, Any]] = (
    (AuditEntry, "before_update", _reject_change),
    (AuditEntry, "before_delete", _reject_change),
    (Session, "do_orm_execute", _reject_bulk_change),
    (Engine, "before_cursor_execute", _reject_changing_sql),
)


def install_immutability_guard() -> None:
    """Make SQLAlchemy raise AuditEntryImmutable on any UPDATE or DELETE of audit_entry.

    The mapper and session events reject changed or deleted AuditEntry objects
    and ORM UPDATE/DELETE statements before any SQL is sent. The engine event
    catches the rest that passes through SQLAlchemy, such as
    Session.bulk_update_mappings and text() statements. Idempotent.
    """
    # NOTE: SQL sent on a raw DBAPI connection, or by another client such as
    # psql, bypasses these events, and only a database trigger stops that. An
    # Alembic migration run by `flask db upgrade` goes through the app's engine,
    # so it cannot UPDATE or DELETE entries either.
    for target, name, listener in _GUARDS:
        if not event.contains(target, name, listener):
            event.listen(target, name, listener)
