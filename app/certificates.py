"""Summary certificates (认定汇总证明): upload, scope, approval and rejection.

After review, a reviewing unit exports its hour report (学时报表), stamps it
offline and uploads the scan. The superior unit then decides the unit's
current certificate. The superior of a city-level unit is its province-level
unit, and the superior of a province-level unit is the talent centre.

| action  | label | from                   | to       | who                           |
| ------- | ----- | ---------------------- | -------- | ----------------------------- |
| upload  | 上传  | any status, or missing | waiting  | a reviewer of the unit itself |
| approve | 通过  | waiting, current only  | approved | a reviewer of the superior    |
|         |       |                        |          | unit, or the talent centre    |
|         |       |                        |          | for a province-level unit     |
| reject  | 驳回  | waiting, current only  | rejected | the same, with a reason       |

Each upload of a unit and year is kept. The newest one is current, and only
the current one can be decided. A decision is one conditional UPDATE guarded
by the version the reviewer saw, followed by one INSERT of the event, in one
transaction, so a double click or a second reviewer changes nothing.

This module reads no request and no Flask configuration. The views pass in
the storage root and the size limit.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Optional

from sqlalchemy import ColumnElement, false, insert, select, true, update
from sqlalchemy.exc import OperationalError

from .audit import record_audit
from .catalog_data import REVIEWING_KINDS
from .extensions import db
from .ids import parse_id
from .glossary import CertificateStatus, RoleName, UnitLevel
from .models import Account, CertificateEvent, SummaryCertificate, Unit, utc_now
from .scope import role_names, sees_everything, subtree_condition
from .storage import (
    KIND_LABELS,
    StoredFile,
    UploadRejected,
    delete_stored,
    store_upload,
)
from .workflow import LEVEL_ROLES

log = logging.getLogger(__name__)

MISSING = CertificateStatus.MISSING.value
WAITING = CertificateStatus.WAITING.value
APPROVED = CertificateStatus.APPROVED.value
REJECTED = CertificateStatus.REJECTED.value

STATUS_LABELS = {status.value: status.label for status in CertificateStatus}
ACTION_LABELS = {"upload": "上传", "approve": "通过", "reject": "驳回"}

# A stamped scan is a PDF or a photo of the page.
CERTIFICATE_KINDS = set(KIND_LABELS)

# The lower bound is the one the hour report export accepts. The upper bound
# is next year (see max_year).
MIN_YEAR = 2000
MAX_REASON_LENGTH = 1000


class NotFound(LookupError):
    """The certificate does not exist or lies outside the user's scope."""


class Refused(Exception):
    """The step cannot run, and `message` gives the reason in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownAction(ValueError):
    """The request named a decision other than approve or reject."""


@dataclass(frozen=True)
class Decision:
    """One decision of the superior unit: its label, target status and reason rule."""

    action: str
    label: str
    target: str
    needs_reason: bool


DECISIONS: dict[str, Decision] = {
    "approve": Decision("approve", "通过", APPROVED, needs_reason=False),
    "reject": Decision("reject", "驳回", REJECTED, needs_reason=True),
}


@dataclass(frozen=True)
class UnitStatus:
    """One row of the status overview: a unit and its current certificate, if any."""

    unit: Unit
    certificate: Optional[SummaryCertificate]

    @property
    def status(self) -> str:
        return self.certificate.status if self.certificate else MISSING

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def max_year(today: Optional[dt.date] = None) -> int:
    """Return the latest year a certificate may cover.

    That is next year, because an application may target next year at the latest.
    """
    return (today or dt.date.today()).year + 1


def parse_year(raw: Optional[str], today: Optional[dt.date] = None) -> int:
    """Parse the year of a certificate, or raise Refused with the allowed range."""
    value = (raw or "").strip()
    latest = max_year(today)
    if not value:
        raise Refused("请填写证明所属年度")
    if not value.isdecimal() or not MIN_YEAR <= int(value) <= latest:
        raise Refused(f"年度“{value[:10]}”无效，应为{MIN_YEAR}至{latest}年之间的四位年份")
    return int(value)


def year_or_default(raw: Optional[str], today: Optional[dt.date] = None) -> int:
    """Return the year a list page shows: the requested one if valid, else this year."""
    try:
        return parse_year(raw, today)
    except Refused:
        return (today or dt.date.today()).year


def uploader_role(actor: Account) -> str:
    """Return the role under which the actor uploads for their unit, or raise Refused.

    Only reviewers of a reviewing unit upload, and only with the role of that
    unit's level, because the certificate covers the applications they reviewed.
    """
    unit = actor.unit
    reviewing = unit is not None and unit.kind in REVIEWING_KINDS
    if not reviewing or unit.level not in LEVEL_ROLES:
        raise Refused("当前账号未绑定地市级或省公司级审核单位，不能上传认定汇总证明")
    role = LEVEL_ROLES[unit.level]
    if role not in role_names(actor):
        raise Refused(f"当前账号没有{unit.level_label}的审核角色，不能上传认定汇总证明")
    return role


def upload(
    actor: Account,
    raw_year: Optional[str],
    root: Path,
    stream: Optional[BinaryIO],
    filename: str,
    max_bytes: int,
) -> SummaryCertificate:
    """Store a stamped scan and make it the current certificate of the actor's unit.

    Every check runs before the file is written, and the file is deleted again
    when the database step fails, so a rejected upload leaves nothing behind.
    Raises Refused with a Chinese message.
    """
    role = uploader_role(actor)
    year = parse_year(raw_year)
    if stream is None or not filename:
        raise Refused("请选择要上传的认定汇总证明文件")

    try:
        stored = store_upload(
            root, stream, filename, allowed=CERTIFICATE_KINDS, max_bytes=max_bytes
        )
    except UploadRejected as error:
        raise Refused(error.message) from None

    try:
        certificate = _record_upload(actor, role, year, stored)
    except OperationalError:
        db.session.rollback()
        delete_stored(root, stored.relative_path)
        log.warning(
            "certificate upload by user=%s unit=%s year=%s hit a concurrent write",
            actor.id,
            actor.unit_id,
            year,
        )
        raise Refused("本单位的认定汇总证明正在被他人上传，请刷新页面后重试") from None
    except Exception:
        db.session.rollback()
        delete_stored(root, stored.relative_path)
        raise

    log.info(
        "certificate uploaded id=%s unit=%s year=%s by user=%s",
        certificate.id,
        certificate.unit_id,
        year,
        actor.id,
    )
    return certificate


def _record_upload(
    actor: Account, role: str, year: int, stored: StoredFile
) -> SummaryCertificate:
    """Replace the unit's current certificate with a new one and record the event."""
    unit_id = actor.unit_id

    # Locking the unit row serialises uploads of one unit on PostgreSQL, so
    # two concurrent uploads cannot both stay current. SQLite ignores FOR
    # UPDATE but allows only one writer at a time.
    db.session.execute(select(Unit.id).where(Unit.id == unit_id).with_for_update())
    previous = db.session.scalar(
        select(SummaryCertificate.status).where(
            SummaryCertificate.unit_id == unit_id,
            SummaryCertificate.year == year,
            SummaryCertificate.is_current.is_(True),
        )
    )
    db.session.execute(
        update(SummaryCertificate)
        .where(
            SummaryCertificate.unit_id == unit_id,
            SummaryCertificate.year == year,
            SummaryCertificate.is_current.is_(True),
        )
        .values(is_current=False, version=SummaryCertificate.version + 1)
        .execution_options(synchronize_session=False)
    )

    now = utc_now()
    certificate = SummaryCertificate(
        unit_id=unit_id,
        year=year,
        is_current=True,
        status=WAITING,
        stored_path=stored.relative_path,
        original_name=stored.original_name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by_id=actor.id,
        uploaded_on=now,
        version=1,
    )
    db.session.add(certificate)
    db.session.flush()
    db.session.add(
        CertificateEvent(
            certificate_id=certificate.id,
            actor_id=actor.id,
            role=role,
            unit_id=unit_id,
            action="upload",
            from_status=previous or MISSING,
            to_status=WAITING,
            created_on=now,
        )
    )
    summary = f"上传{year}年认定汇总证明：{stored.original_name}"
    details = {"year": year, "from_status": previous or MISSING, "sha256": stored.sha256}
    record_audit(
        actor, "certificate.upload", "certificate", certificate.id, summary, unit_id, details
    )
    db.session.commit()
    return certificate


def visible_condition(user: Optional[Account]) -> ColumnElement:
    """Return a SQL condition selecting the certificates the user may see.

    Reviewers see their own unit's subtree, the talent centre and the
    superadmin see every unit, and everyone else sees nothing.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    if sees_everything(user):
        return true()
    if role_names(user) & set(RoleName.REVIEWERS):
        return subtree_condition(user, SummaryCertificate.unit_id)
    return false()


def get_visible(user: Account, certificate_id: int) -> SummaryCertificate:
    """Load a certificate the user may see, or raise NotFound."""
    certificate = db.session.scalar(
        select(SummaryCertificate).where(
            SummaryCertificate.id == certificate_id, visible_condition(user)
        )
    )
    if certificate is None:
        raise NotFound(certificate_id)
    return certificate


def list_visible(
    user: Account, year: int
) -> tuple[list[SummaryCertificate], list[SummaryCertificate]]:
    """Return the current certificates and the replaced ones of a year in scope."""
    statement = (
        select(SummaryCertificate)
        .join(Unit, Unit.id == SummaryCertificate.unit_id)
        .where(SummaryCertificate.year == year, visible_condition(user))
        .order_by(Unit.path, SummaryCertificate.id.desc())
    )
    certificates = list(db.session.scalars(statement))
    current = [item for item in certificates if item.is_current]
    replaced = [item for item in certificates if not item.is_current]
    return current, replaced


def unit_history(unit_id: int, year: int) -> list[SummaryCertificate]:
    """Return every certificate of a unit and year, newest first."""
    return list(
        db.session.scalars(
            select(SummaryCertificate)
            .where(
                SummaryCertificate.unit_id == unit_id,
                SummaryCertificate.year == year,
            )
            .order_by(SummaryCertificate.id.desc())
        )
    )


def events_of(certificate_ids: list[int]) -> dict[int, list[CertificateEvent]]:
    """Return the events of the given certificates, oldest first, by certificate id."""
    grouped: dict[int, list[CertificateEvent]] = {key: [] for key in certificate_ids}
    if not certificate_ids:
        return grouped
    events = db.session.scalars(
        select(CertificateEvent)
        .where(CertificateEvent.certificate_id.in_(certificate_ids))
        .order_by(CertificateEvent.id)
    )
    for event in events:
        grouped[event.certificate_id].append(event)
    return grouped


def superior_unit(unit: Unit) -> Optional[Unit]:
    """Return the nearest reviewing unit above `unit`, or None for the talent centre."""
    node = unit.parent
    while node is not None:
        if node.kind in REVIEWING_KINDS:
            return node
        node = node.parent
    return None


def decider_role(actor: Account, unit: Unit) -> Optional[str]:
    """Return the role under which the actor decides `unit`'s certificate, else None.

    The superadmin is not a decider, because the decision belongs to the
    business roles and the superadmin only administers the platform.
    """
    superior = superior_unit(unit)
    roles = role_names(actor)
    if superior is None:
        return RoleName.TALENT_CENTRE if RoleName.TALENT_CENTRE in roles else None
    needed = LEVEL_ROLES.get(superior.level)
    if actor.unit_id == superior.id and needed in roles:
        return needed
    return None


def subordinate_units(user: Account) -> list[Unit]:
    """Return the units whose certificates the user's unit decides, in tree order.

    For a reviewer these are the reviewing units directly below their unit,
    so a head office (本部) and county units are left out. For the talent
    centre and the superadmin they are the province-level reviewing units.
    """
    statement = select(Unit).where(
        Unit.active.is_(True), Unit.kind.in_(REVIEWING_KINDS)
    )
    if user.unit is not None:
        statement = statement.where(Unit.parent_id == user.unit_id)
    elif sees_everything(user):
        statement = statement.where(Unit.level == UnitLevel.PROVINCE.value)
    else:
        return []
    return list(db.session.scalars(statement.order_by(Unit.path)))


def status_overview(units: list[Unit], year: int) -> list[UnitStatus]:
    """Return each unit with its current certificate of the year, or none (未上传)."""
    if not units:
        return []
    current = db.session.scalars(
        select(SummaryCertificate).where(
            SummaryCertificate.unit_id.in_([unit.id for unit in units]),
            SummaryCertificate.year == year,
            SummaryCertificate.is_current.is_(True),
        )
    )
    by_unit = {certificate.unit_id: certificate for certificate in current}
    return [UnitStatus(unit, by_unit.get(unit.id)) for unit in units]


def _parse_version(raw: Optional[str]) -> int:
    value = parse_id(raw)
    if value is None:
        raise Refused("所选证明无效，请刷新页面后重试")
    return value


def decide(
    actor: Account,
    certificate_id: int,
    action: str,
    seen_version: Optional[str],
    reason: Optional[str] = None,
) -> Decision:
    """Approve or reject a current, waiting certificate that the actor's unit decides.

    Raises UnknownAction for any other action, NotFound for a certificate
    outside the actor's scope, and Refused with a Chinese message when the
    decision cannot run. Nothing is written unless the decision succeeds.
    """
    decision = DECISIONS.get(action)
    if decision is None:
        raise UnknownAction(action)
    certificate = get_visible(actor, certificate_id)
    role = decider_role(actor, certificate.unit)
    if role is None:
        superior = superior_unit(certificate.unit)
        superior_name = superior.name if superior else "国网人才中心"
        raise Refused(f"{certificate.unit.name}的认定汇总证明由{superior_name}审核")

    reason = (reason or "").strip() or None
    if decision.needs_reason and reason is None:
        raise Refused(f"{decision.label}需要填写原因")
    if reason is not None and len(reason) > MAX_REASON_LENGTH:
        raise Refused(f"原因不能超过{MAX_REASON_LENGTH}个字")
    seen = _parse_version(seen_version)

    now = utc_now()
    statement = (
        update(SummaryCertificate)
        .where(
            SummaryCertificate.id == certificate.id,
            SummaryCertificate.version == seen,
            SummaryCertificate.is_current.is_(True),
            SummaryCertificate.status == WAITING,
        )
        .values(
            status=decision.target,
            decided_by_id=actor.id,
            decided_on=now,
            decision_reason=reason,
            version=SummaryCertificate.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    try:
        changed = db.session.execute(statement).rowcount
        if changed != 1:
            db.session.rollback()
            raise Refused(_why_unchanged(certificate.id, seen))
        db.session.execute(
            insert(CertificateEvent).values(
                certificate_id=certificate.id,
                actor_id=actor.id,
                role=role,
                unit_id=actor.unit_id,
                action=decision.action,
                from_status=WAITING,
                to_status=decision.target,
                reason=reason,
                created_on=now,
            )
        )
        summary = f"{decision.label}{certificate.unit.name}{certificate.year}年认定汇总证明"
        details = {"year": certificate.year, "reason": reason}
        action_code = f"certificate.{decision.action}"
        record_audit(
            actor,
            action_code,
            "certificate",
            certificate.id,
            summary,
            certificate.unit_id,
            details,
        )
        db.session.commit()
    except OperationalError:
        # SQLite reports a concurrent writer as "database is locked".
        db.session.rollback()
        log.warning(
            "certificate %s by user=%s on id=%s hit a concurrent write",
            action,
            actor.id,
            certificate_id,
        )
        raise Refused("该证明正在被他人审核，请刷新页面后重试") from None

    log.info(
        "certificate %s id=%s unit=%s year=%s by user=%s",
        action,
        certificate.id,
        certificate.unit_id,
        certificate.year,
        actor.id,
    )
    return decision


def _why_unchanged(certificate_id: int, seen: int) -> str:
    """Explain, from the row as it is now, why the guarded UPDATE matched nothing."""
    row = db.session.execute(
        select(
            SummaryCertificate.is_current,
            SummaryCertificate.status,
            SummaryCertificate.version,
        ).where(SummaryCertificate.id == certificate_id)
    ).one()
    if not row.is_current:
        return "该证明已被本单位重新上传的证明替代，请审核最新的证明"
    if row.status != WAITING:
        return f"该证明已被审核（{STATUS_LABELS[row.status]}），不能重复审核"
    if row.version != seen:
        return "该证明已被他人处理，请刷新页面后重试"
    return "该证明当前不能审核，请刷新页面后重试"
