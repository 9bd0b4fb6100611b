"""The title catalogue's changes: levels, series, sub-specialties and titles.

Rules:

- Codes are lowercase ASCII words joined by "_" (e.g. senior_engineer), unique
  within their table, and never change after creation.
- Level names and ranks, series names, title names within a series, and
  sub-specialty names among siblings are unique.
- A title needs a level and a series. A sub-specialty nests at most once, under
  a top-level sub-specialty of its own series, and only a sub-specialty
  without children can be chosen on a profile.
- An entry that a profile, an application or another entry refers to is
  deactivated, never deleted (app.admin_catalogue_usage).
- Deactivating a level or a series deactivates its titles (and a series its
  sub-specialties, a sub-specialty its children), so that nothing stays
  selectable under a hidden parent. Reactivating restores the entry alone, and
  only while the entries it belongs to are active.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Optional, Union

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .admin_catalogue_usage import ChangeRejected
from .audit import record_audit
from .extensions import db
from .models import Account, Profile, Subspecialty, Title, TitleLevel, TitleSeries
from .text import clean_text

log = logging.getLogger(__name__)

CODE_PATTERN = re.compile(r"[a-z][a-z0-9_]*")

Entry = Union[TitleLevel, TitleSeries, Subspecialty, Title]


@dataclass(frozen=True)
class EntryKind:
    """Screen and audit-log names of one catalogue table."""

    key: str
    label: str
    code_length: int
    name_length: int


KINDS: dict[type, EntryKind] = {
    TitleLevel: EntryKind("title_level", "职称等级", 40, 40),
    TitleSeries: EntryKind("title_series", "职称系列", 40, 60),
    Subspecialty: EntryKind("subspecialty", "分支专业", 60, 60),
    Title: EntryKind("title", "职称", 60, 60),
}

AUDIT_LABELS = {
    f"{kind.key}.{verb}": f"{verb_label}{kind.label}"
    for kind in KINDS.values()
    for verb, verb_label in (
        ("create", "新增"),
        ("rename", "修改"),
        ("deactivate", "停用"),
        ("reactivate", "启用"),
        ("delete", "删除"),
    )
}


def kind_of(entry: Entry) -> EntryKind:
    return KINDS[type(entry)]


def code_problem(model: type, code: str) -> Optional[str]:
    kind = KINDS[model]
    if not code:
        return "请填写编码。"
    if len(code) > kind.code_length:
        return f"编码不能超过 {kind.code_length} 个字符。"
    if not CODE_PATTERN.fullmatch(code):
        return (
            "编码只能包含小写字母、数字和下划线，并以字母开头，例如 senior_engineer。"
        )
    existing = db.session.scalar(select(model.id).where(func.lower(model.code) == code))
    if existing is not None:
        return f"编码 {code} 已存在。"
    return None


def name_problem(model: type, name: str) -> Optional[str]:
    kind = KINDS[model]
    if not name:
        return "请填写名称。"
    if len(name) > kind.name_length:
        return f"名称不能超过 {kind.name_length} 个字符。"
    return None


def _exists(statement, except_id: Optional[int], model: type) -> bool:
    if except_id is not None:
        statement = statement.where(model.id != except_id)
    return db.session.scalar(statement.limit(1)) is not None


def level_name_problem(name: str, except_id: Optional[int] = None) -> Optional[str]:
    message = name_problem(TitleLevel, name)
    statement = select(TitleLevel.id).where(TitleLevel.name == name)
    if message is None and _exists(statement, except_id, TitleLevel):
        message = f"职称等级「{name}」已存在。"
    return message


def rank_problem(rank: Optional[int]) -> Optional[str]:
    if rank is None or rank < 1:
        return "排序级别须为正整数，级别越高数字越大。"
    holder = db.session.scalar(select(TitleLevel.name).where(TitleLevel.rank == rank))
    if holder is not None:
        return f"排序级别 {rank} 已被「{holder}」使用。"
    return None


def series_name_problem(name: str, except_id: Optional[int] = None) -> Optional[str]:
    message = name_problem(TitleSeries, name)
    statement = select(TitleSeries.id).where(TitleSeries.name == name)
    if message is None and _exists(statement, except_id, TitleSeries):
        message = f"职称系列「{name}」已存在。"
    return message


def title_name_problem(
    series_id: Optional[int], name: str, except_id: Optional[int] = None
) -> Optional[str]:
    """Check a title's name, which is unique within its series at every level."""
    message = name_problem(Title, name)
    if message is None and series_id is not None:
        statement = select(Title.id).where(
            Title.series_id == series_id, Title.name == name
        )
        if _exists(statement, except_id, Title):
            series = db.session.get(TitleSeries, series_id)
            message = f"{series.name if series else '该系列'}中已有职称「{name}」。"
    return message


def subspecialty_name_problem(
    series_id: Optional[int],
    parent_id: Optional[int],
    name: str,
    except_id: Optional[int] = None,
) -> Optional[str]:
    message = name_problem(Subspecialty, name)
    if message is None and series_id is not None:
        statement = select(Subspecialty.id).where(
            Subspecialty.series_id == series_id, Subspecialty.name == name
        )
        if parent_id is None:
            statement = statement.where(Subspecialty.parent_id.is_(None))
        else:
            statement = statement.where(Subspecialty.parent_id == parent_id)
        if _exists(statement, except_id, Subspecialty):
            message = f"同一上级下已有分支专业「{name}」。"
    return message


def check_new_title(
    series_id: Optional[int], level_id: Optional[int], code: str, name: str
) -> dict[str, str]:
    problems: dict[str, str] = {}
    series = db.session.get(TitleSeries, series_id) if series_id else None
    level = db.session.get(TitleLevel, level_id) if level_id else None
    if series is None:
        problems["series_id"] = "请选择职称系列。"
    elif not series.active:
        problems["series_id"] = f"职称系列「{series.name}」已停用。"
    if level is None:
        problems["level_id"] = "请选择职称等级。"
    elif not level.active:
        problems["level_id"] = f"职称等级「{level.name}」已停用。"
    message = code_problem(Title, code)
    if message:
        problems["code"] = message
    message = title_name_problem(series.id if series else None, name)
    if message:
        problems["name"] = message
    return problems


def check_new_subspecialty(
    series_id: Optional[int], parent_id: Optional[int], code: str, name: str
) -> dict[str, str]:
    problems: dict[str, str] = {}
    series = db.session.get(TitleSeries, series_id) if series_id else None
    if series is None:
        problems["series_id"] = "请选择职称系列。"
    elif not series.active:
        problems["series_id"] = f"职称系列「{series.name}」已停用。"
    parent = db.session.get(Subspecialty, parent_id) if parent_id else None
    if parent_id and parent is None:
        problems["parent_id"] = "所选上级分支专业不存在。"
    elif parent is not None:
        message = _parent_problem(parent, series)
        if message:
            problems["parent_id"] = message
    message = code_problem(Subspecialty, code)
    if message:
        problems["code"] = message
    message = subspecialty_name_problem(series.id if series else None, parent_id, name)
    if message:
        problems["name"] = message
    return problems


def _parent_problem(
    parent: Subspecialty, series: Optional[TitleSeries]
) -> Optional[str]:
    if series is not None and parent.series_id != series.id:
        return f"「{parent.name}」不属于{series.name}。"
    if parent.parent_id is not None:
        return "分支专业最多两级：请选择一个一级分支专业作为上级。"
    if not parent.active:
        return f"「{parent.name}」已停用。"
    # A sub-specialty with children cannot be chosen, so one that profiles
    # have chosen must stay without children.
    chosen = db.session.scalar(
        select(func.count()).where(Profile.target_subspecialty_id == parent.id)
    )
    if chosen:
        return (
            f"「{parent.name}」已被 {chosen} 份个人信息选用，不能再添加下级分支专业。"
        )
    return None


def finish_new_entry(actor: Optional[Account], entry: Entry) -> None:
    """Clean, flush and audit an entry added from a form; the caller commits."""
    kind = kind_of(entry)
    entry.name = clean_text(entry.name)
    entry.code = (entry.code or "").strip().lower()
    if isinstance(entry, Subspecialty):
        # Only a sub-specialty without children is selectable.
        entry.selectable = True
        if entry.parent_id is not None:
            db.session.get(Subspecialty, entry.parent_id).selectable = False
    db.session.add(entry)
    try:
        db.session.flush()
    except IntegrityError:
        # Another request took the code or the name after the form's checks.
        db.session.rollback()
        raise ChangeRejected(
            f"编码或名称刚被占用，未新增{kind.label}，请重新填写。"
        ) from None
    record_audit(
        actor,
        f"{kind.key}.create",
        "title",
        entry.id,
        f"新增{kind.label}：{entry.name}（{entry.code}）",
    )
    log.info("%s id=%s added by user=%s", kind.key, entry.id, _id(actor))


def record_rename(actor: Optional[Account], entry: Entry, old_name: str) -> None:
    kind = kind_of(entry)
    record_audit(
        actor,
        f"{kind.key}.rename",
        "title",
        entry.id,
        f"修改{kind.label}：{old_name} → {entry.name}（{entry.code}）",
        details={"old_name": old_name, "new_name": entry.name},
    )
    log.info("%s id=%s renamed by user=%s", kind.key, entry.id, _id(actor))


def record_delete(actor: Optional[Account], entry: Entry) -> None:
    """Audit a deletion and make a parent without other children selectable again."""
    kind = kind_of(entry)
    if isinstance(entry, Subspecialty) and entry.parent_id is not None:
        others = db.session.scalar(
            select(func.count()).where(
                Subspecialty.parent_id == entry.parent_id, Subspecialty.id != entry.id
            )
        )
        if not others:
            db.session.get(Subspecialty, entry.parent_id).selectable = True
    record_audit(
        actor,
        f"{kind.key}.delete",
        "title",
        entry.id,
        f"删除{kind.label}：{entry.name}（{entry.code}）",
    )
    log.info("%s id=%s deleted by user=%s", kind.key, entry.id, _id(actor))


def _deactivate_members(entry: Entry) -> int:
    """Deactivate what belongs to `entry`; return how many rows changed."""
    members: list[tuple[type, object]] = []
    if isinstance(entry, TitleLevel):
        members.append((Title, Title.level_id == entry.id))
    elif isinstance(entry, TitleSeries):
        members.append((Title, Title.series_id == entry.id))
        members.append((Subspecialty, Subspecialty.series_id == entry.id))
    elif isinstance(entry, Subspecialty):
        members.append((Subspecialty, Subspecialty.parent_id == entry.id))
    changed = 0
    for model, condition in members:
        changed += db.session.execute(
            update(model)
            .where(condition, model.active.is_(True))
            .values(active=False)
            .execution_options(synchronize_session=False)
        ).rowcount
    return changed


def _container_problem(entry: Entry) -> Optional[str]:
    """Name an inactive entry that `entry` belongs to, if there is one."""
    if isinstance(entry, Title):
        for container in (entry.series, entry.level):
            if not container.active:
                return f"「{entry.name}」所属的「{container.name}」已停用，请先启用它。"
    if isinstance(entry, Subspecialty):
        for container in (entry.series, entry.parent):
            if container is not None and not container.active:
                return f"「{entry.name}」所属的「{container.name}」已停用，请先启用它。"
    return None


@dataclass(frozen=True)
class ActivationOutcome:
    changed: list[Entry]
    members: int
    rejected: list[str]


def deactivate_entries(
    actor: Optional[Account], entries: list[Entry]
) -> ActivationOutcome:
    """Deactivate entries with what belongs to them, audit each, and commit."""
    changed, members = [], 0
    for entry in entries:
        if not entry.active:
            continue
        kind = kind_of(entry)
        entry.active = False
        count = _deactivate_members(entry)
        members += count
        summary = f"停用{kind.label}：{entry.name}（{entry.code}）"
        if count:
            summary += f"，及其下 {count} 项"
        record_audit(
            actor,
            f"{kind.key}.deactivate",
            "title",
            entry.id,
            summary,
            details={"members": count},
        )
        changed.append(entry)
    db.session.commit()
    db.session.expire_all()
    log.info(
        "catalogue entries %s deactivated by user=%s",
        [(kind_of(entry).key, entry.id) for entry in changed],
        _id(actor),
    )
    return ActivationOutcome(changed, members, [])


def reactivate_entries(
    actor: Optional[Account], entries: list[Entry]
) -> ActivationOutcome:
    """Reactivate entries whose containers are active, audit each, and commit.

    Sub-specialties are handled parents first, so that a parent and a child
    selected together are both reactivated.
    """
    changed, rejected = [], []
    ordered = sorted(
        entries, key=lambda item: getattr(item, "parent_id", None) is not None
    )
    for entry in ordered:
        if entry.active:
            continue
        message = _container_problem(entry)
        if message:
            rejected.append(message)
            continue
        kind = kind_of(entry)
        entry.active = True
        record_audit(
            actor,
            f"{kind.key}.reactivate",
            "title",
            entry.id,
            f"启用{kind.label}：{entry.name}（{entry.code}）",
        )
        changed.append(entry)
    db.session.commit()
    log.info(
        "catalogue entries %s reactivated by user=%s, %d rejected below an inactive entry",
        [(kind_of(entry).key, entry.id) for entry in changed],
        _id(actor),
        len(rejected),
    )
    return ActivationOutcome(changed, 0, rejected)


def _id(actor: Optional[Account]) -> Optional[int]:
    return actor.id if actor is not None else None
