"""Rule sets stored in the database, one row per version and policy year.

A policy year has at most one draft and any number of published versions.
Publishing turns the draft into the next version number, labelled
"<year>.<number>" (2024.2), and a published version never changes again, so
parsed rule sets are cached per label for the life of the app. Which version
is the newest is read from the database on every call, because another
process may publish at any time.

The JSON files under `app/rules/data/` are the seed: `seed_default_rulesets`
inserts each as published version 1 of its year, and `current_ruleset` reads
the files only while the table is empty.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
from collections.abc import Mapping
from typing import Any, Optional

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from . import rules
from .extensions import db
from .models import Account, RuleSetVersion, utc_now

log = logging.getLogger(__name__)

DRAFT = "draft"
PUBLISHED = "published"
STATUS_LABELS = {DRAFT: "草稿", PUBLISHED: "已发布"}

# The draft of a year is stored with version number 0, so the unique
# (policy_year, number) constraint allows only one draft per year.
DRAFT_NUMBER = 0

MIN_POLICY_YEAR = 2000
MAX_POLICY_YEAR = 2100

_CACHE_KEY = "published_rulesets"

AUDIT_ACTIONS = {
    "ruleset.import": "导入内置规则集",
    "ruleset.save_draft": "保存规则集草稿",
    "ruleset.publish": "发布规则集",
    "ruleset.discard_draft": "删除规则集草稿",
}


class DraftChanged(Exception):
    """The draft was saved, published or deleted by someone else meanwhile."""

    message = "本年度的规则集草稿已被其他管理员修改、发布或删除，请重新打开后再操作"


class PublishConflict(Exception):
    """Another request published a version of the same year at the same time."""

    message = "同一年度的另一个版本刚刚发布，请刷新列表后重试"


def draft_label(policy_year: int) -> str:
    return f"{policy_year}.draft"


def published_label(policy_year: int, number: int) -> str:
    return f"{policy_year}.{number}"


def data_digest(data: Mapping[str, Any] | None) -> str:
    """Return a SHA-256 of the rule-set data, to detect a change since a page loaded.

    The digest of no data is the empty string, for "no draft exists".
    """
    if data is None:
        return ""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _published_cache() -> dict[str, rules.RuleSet]:
    """Return this app's cache of parsed published rule sets, keyed by label.

    The cache is per app, because tests run several apps on different
    databases in one process, and a label names one version only within a
    database.
    """
    return current_app.extensions.setdefault(_CACHE_KEY, {})


def is_published_instance(ruleset: rules.RuleSet) -> bool:
    """Tell whether `ruleset` is this app's cached object of a published version."""
    return _published_cache().get(ruleset.version) is ruleset


def parse_version(row: RuleSetVersion) -> rules.RuleSet:
    """Build the rule set of a stored version, and cache it once it is published.

    Raises InvalidRuleSetError when the stored data cannot be read or fails
    validation, which for a published version means the row was edited
    outside the platform.
    """
    cache = _published_cache()
    if row.status == PUBLISHED and row.label in cache:
        return cache[row.label]

    ruleset = rules.RuleSet.from_dict(row.data)
    if row.status == PUBLISHED:
        errors = ruleset.validate()
        if errors:
            raise rules.InvalidRuleSetError(errors)
        cache[row.label] = ruleset
    return ruleset


def _table_is_empty() -> bool:
    return db.session.scalar(select(RuleSetVersion.id).limit(1)) is None


def current_ruleset(policy_year: Optional[int] = None) -> rules.RuleSet:
    """Return the newest published version of the newest policy year ≤ `policy_year`.

    With None, the newest published version of any year is returned. Only
    while the table is empty are the JSON files read instead. Raises
    LookupError when no published version fits.
    """
    query = select(RuleSetVersion.label).where(RuleSetVersion.status == PUBLISHED)
    if policy_year is not None:
        query = query.where(RuleSetVersion.policy_year <= policy_year)
    query = query.order_by(
        RuleSetVersion.policy_year.desc(), RuleSetVersion.number.desc()
    ).limit(1)
    label = db.session.scalar(query)

    if label is None:
        if _table_is_empty():
            return rules.load_ruleset(policy_year)
        raise LookupError(f"没有 {policy_year or ''} 年或更早的已发布规则集")
    return ruleset_by_label(label)


def ruleset_by_label(label: str) -> rules.RuleSet:
    """Return the published version with this label (2024.1), as applications record it.

    While the table is empty, a JSON file whose version is the label is used.
    Raises LookupError for an unknown label.
    """
    cached = _published_cache().get(label)
    if cached is not None:
        return cached

    row = db.session.scalar(
        select(RuleSetVersion).where(
            RuleSetVersion.label == label, RuleSetVersion.status == PUBLISHED
        )
    )
    if row is not None:
        return parse_version(row)

    if _table_is_empty():
        for year in rules.available_policy_years():
            ruleset = rules.load_ruleset(year)
            if ruleset.version == label:
                return ruleset
    raise LookupError(f"没有版本号为 {label} 的已发布规则集")


def versions_by_year() -> dict[int, list[RuleSetVersion]]:
    """Return every stored version grouped by policy year, newest year first.

    Within a year the draft comes first, then published versions newest first.
    """
    rows = db.session.scalars(
        select(RuleSetVersion).order_by(
            RuleSetVersion.policy_year.desc(),
            (RuleSetVersion.status == DRAFT).desc(),
            RuleSetVersion.number.desc(),
        )
    ).all()
    grouped: dict[int, list[RuleSetVersion]] = {}
    for row in rows:
        grouped.setdefault(row.policy_year, []).append(row)
    return grouped


def draft_of(policy_year: int, lock: bool = False) -> Optional[RuleSetVersion]:
    """Return the year's draft. With `lock`, hold its row until the transaction ends.

    The lock is SELECT ... FOR UPDATE, which PostgreSQL honours.
    NOTE: SQLite ignores it, so there two saves in the same instant can both
    pass the digest check and the later one wins.
    """
    query = select(RuleSetVersion).where(
        RuleSetVersion.policy_year == policy_year, RuleSetVersion.status == DRAFT
    )
    if lock:
        query = query.with_for_update()
    return db.session.scalar(query)


def _record(
    actor: Optional[Account],
    action: str,
    row: RuleSetVersion,
    summary: str,
    details: Optional[dict] = None,
) -> None:
    from .audit import record_audit

    record_audit(actor, action, "ruleset", row.label, summary, None, details)


def save_draft(
    actor: Account,
    policy_year: int,
    ruleset: rules.RuleSet,
    note: str,
    expected_digest: str,
    based_on: str,
) -> RuleSetVersion:
    """Store `ruleset` as the draft of its year, replacing the previous draft.

    `expected_digest` is the `data_digest` of the draft the editor started
    from, or "" when none existed. When the current draft differs, this
    raises DraftChanged, so one administrator cannot overwrite another's
    edits unseen. The draft may fail validation, because publishing checks it.
    """
    row = draft_of(policy_year, lock=True)
    if data_digest(row.data if row else None) != expected_digest:
        raise DraftChanged()

    label = draft_label(policy_year)
    data = ruleset.to_dict()
    data["policy_year"] = policy_year
    data["version"] = label
    if row is None:
        row = RuleSetVersion(
            policy_year=policy_year, number=DRAFT_NUMBER, label=label, status=DRAFT
        )
        db.session.add(row)
    # A draft's content is replaced as a whole, so its author and time are
    # those of the latest save.
    row.data = data
    row.note = (note or "").strip()[:500] or None
    row.created_by_id = actor.id
    row.created_on = utc_now()
    try:
        db.session.flush()
    except IntegrityError:
        # A concurrent request created the year's draft first.
        db.session.rollback()
        raise DraftChanged() from None

    problems = len(ruleset.validate())
    _record(
        actor,
        "ruleset.save_draft",
        row,
        f"保存{policy_year}年度规则集草稿（基于 {based_on}，{problems} 处待修正）",
        {"based_on": based_on, "note": row.note, "data": data},
    )
    db.session.commit()
    log.info(
        "ruleset draft saved year=%s id=%s by user=%s problems=%s",
        policy_year,
        row.id,
        actor.id,
        problems,
    )
    return row


def publish_draft(
    actor: Account, row: RuleSetVersion, expected_digest: str
) -> RuleSetVersion:
    """Publish a draft as the next version number of its year.

    Raises DraftChanged when the draft differs from what the publisher saw,
    InvalidRuleSetError when it fails `RuleSet.validate`, and PublishConflict
    when another version of the year was published at the same moment.
    """
    db.session.refresh(row, with_for_update=True)
    if row.status != DRAFT or data_digest(row.data) != expected_digest:
        raise DraftChanged()
    ruleset = rules.RuleSet.from_dict(row.data)
    errors = ruleset.validate()
    if errors:
        raise rules.InvalidRuleSetError(errors)

    latest = db.session.scalar(
        select(func.max(RuleSetVersion.number)).where(
            RuleSetVersion.policy_year == row.policy_year,
            RuleSetVersion.status == PUBLISHED,
        )
    )
    number = (latest or 0) + 1
    label = published_label(row.policy_year, number)
    data = copy.deepcopy(row.data)
    data["version"] = label
    row.number = number
    row.label = label
    row.status = PUBLISHED
    row.data = data
    row.published_on = utc_now()
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise PublishConflict() from None

    _record(
        actor,
        "ruleset.publish",
        row,
        f"发布{row.policy_year}年度规则集 {label}",
        {"note": row.note, "published_number": number},
    )
    db.session.commit()
    log.info("ruleset published label=%s id=%s by user=%s", label, row.id, actor.id)
    return row


def discard_draft(actor: Account, row: RuleSetVersion, expected_digest: str) -> None:
    """Delete a draft. Nothing in the platform deletes a published version."""
    db.session.refresh(row, with_for_update=True)
    if row.status != DRAFT or data_digest(row.data) != expected_digest:
        raise DraftChanged()
    _record(
        actor,
        "ruleset.discard_draft",
        row,
        f"删除{row.policy_year}年度规则集草稿",
        {"data": row.data},
    )
    db.session.delete(row)
    db.session.commit()
    log.info("ruleset draft discarded year=%s by user=%s", row.policy_year, actor.id)


def new_year_draft(actor: Account, policy_year: int) -> RuleSetVersion:
    """Start the draft of a policy year that has no version yet, from the newest rules.

    The base is the version that applies to that year today, or the newest
    published version when the year comes before every stored one. Raises
    LookupError while no version is published, because a table holding only
    a draft would leave every year without rules.
    """
    published = select(RuleSetVersion.id).where(RuleSetVersion.status == PUBLISHED)
    if db.session.scalar(published.limit(1)) is None:
        raise LookupError("没有已发布的规则集")
    try:
        base = current_ruleset(policy_year)
    except LookupError:
        base = current_ruleset()
    name = base.name.replace(f"{base.policy_year}年度", f"{policy_year}年度")
    data = base.to_dict()
    data.update(policy_year=policy_year, name=name)
    ruleset = rules.RuleSet.from_dict(data)
    return save_draft(
        actor, policy_year, ruleset, f"由 {base.version} 复制", "", base.version
    )


def seed_default_rulesets(actor: Optional[Account] = None) -> list[str]:
    """Insert each JSON rule set as published version 1 of a year that has no version.

    Idempotent: a year with any stored version is left alone. Returns the
    labels inserted.
    """
    inserted = []
    for year in rules.available_policy_years():
        exists = db.session.scalar(
            select(RuleSetVersion.id).where(RuleSetVersion.policy_year == year).limit(1)
        )
        if exists is not None:
            continue

        ruleset = rules.load_ruleset(year)
        if ruleset.policy_year != year:
            raise rules.InvalidRuleSetError(
                [
                    rules.RuleSetError(
                        "policy_year", f"文件 ruleset-{year}.json 的政策年度不是 {year}"
                    )
                ]
            )
        label = published_label(year, 1)
        data = ruleset.to_dict()
        data["version"] = label
        row = RuleSetVersion(
            policy_year=year,
            number=1,
            label=label,
            status=PUBLISHED,
            data=data,
            note=f"内置规则集 ruleset-{year}.json",
            created_by_id=actor.id if actor is not None else None,
            published_on=utc_now(),
        )
        db.session.add(row)
        db.session.flush()
        _record(actor, "ruleset.import", row, f"导入内置规则集 {label}")
        inserted.append(label)

    db.session.commit()
    if inserted:
        log.info("seeded rule sets %s", ", ".join(inserted))
    return inserted
