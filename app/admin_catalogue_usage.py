"""Reference-data rules shared by the unit and title screens: in use, refusals.

A unit or catalogue entry that any other row refers to keeps its history, so it
can only be deactivated. The check reads the foreign keys from the metadata
instead of a hand-kept list, so a table added later is counted too. That
matters on SQLite, which does not enforce foreign keys in this project.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_appbuilder import Model
from sqlalchemy import func, or_, select

from .extensions import db

# Screen names of the rows of each referring table, with the measure word
# that goes after a count ("账号3个", "申报2份").
REFERENCE_LABELS: dict[str, tuple[str, str]] = {
    "ab_user": ("账号", "个"),
    "application": ("申报", "份"),
    "profile": ("个人信息", "份"),
    "unit": ("下级单位", "个"),
    "review_event": ("审核记录", "条"),
    "summary_certificate": ("认定汇总证明", "份"),
    "certificate_event": ("认定汇总证明审核记录", "条"),
    "audit_entry": ("操作日志", "条"),
    "title": ("职称", "个"),
    "subspecialty": ("下级分支专业", "个"),
}


class ChangeRejected(ValueError):
    """A change to the organisation tree or the catalogue that breaks a rule.

    `message` is Chinese and is what FAB flashes, because FAB shows
    `str(error)` for an exception raised in `pre_add`, `pre_update` or
    `pre_delete`.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Reference:
    """Rows of one table that refer to a record."""

    table: str
    count: int

    @property
    def text(self) -> str:
        label, measure = REFERENCE_LABELS.get(self.table, (self.table, "条"))
        return f"{label}{self.count}{measure}"


def count_references(record: Model) -> list[Reference]:
    """Count, per table, the rows whose foreign keys point at `record`."""
    table = type(record).__table__
    references = []
    for other in Model.metadata.sorted_tables:
        columns = [fk.parent for fk in other.foreign_keys if fk.column.table is table]
        if not columns:
            continue
        condition = or_(*(column == record.id for column in columns))
        count = db.session.scalar(
            select(func.count()).select_from(other).where(condition)
        )
        if count:
            references.append(Reference(other.name, count))
    return references


def ensure_unused(record: Model, name: str) -> None:
    """Raise ChangeRejected naming what refers to `record`, if anything does."""
    with db.session.no_autoflush:
        references = count_references(record)
    if references:
        listed = "、".join(reference.text for reference in references)
        raise ChangeRejected(f"「{name}」已有{listed}，不能删除；如不再使用，请停用。")
