"""Submission (提交) of an employee's application, away from HTTP.

`check_submission` decides whether the figures allow a normal submission or
need an exception claim. `record_submission` freezes the figures in an
application and records who submitted it, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Optional

from pypinyin import lazy_pinyin
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from . import rules
from .audit import action_label, record_audit
from .catalog_data import REVIEWING_KINDS
from .extensions import db
from .glossary import ApplicationStatus, RoleName, UnitLevel
from .hours import Budget
from .text import clean_text
from .windows import submission_refusal
from .models import Account, Activity, Application, Profile, ReviewEvent, Unit, utc_now

log = logging.getLogger(__name__)

MIN_REASON_LENGTH = 10


class AlreadySubmitted(Exception):
    """The year's application was submitted by a concurrent request."""

    def __init__(self, year: int) -> None:
        super().__init__(year)
        self.message = f"{year}年的申报已提交，正在审核中"


@dataclass
class SubmissionCheck:
    """The outcome of checking a submission: field errors and whether it is an exception."""

    errors: dict[str, list[str]] = field(default_factory=dict)
    needs_exception: bool = False
    shortfall_text: str = ""

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class ExceptionClaim:
    """An exception (破格): its type, the explanation and the stamped scan."""

    exception_type: str
    reason: str
    scan_path: Optional[str]
    scan_name: Optional[str]
    scan_content_type: Optional[str]


def review_chain(unit: Unit) -> Optional[tuple[Unit, Unit]]:
    """Return the first and the top reviewing unit above an applicant's unit.

    City-level units review first, then their province. A head office (本部)
    has no reviewers of its own, so the chain of its staff is the province
    alone and both ends are the province. Returns None when no province-level
    reviewing unit is above the unit.
    """
    chain = [node for node in unit.ancestors() if node.kind in REVIEWING_KINDS]
    top = next((node for node in chain if node.level == UnitLevel.PROVINCE.value), None)
    if top is None:
        return None
    first = next(
        (node for node in reversed(chain) if node.level == UnitLevel.CITY.value), top
    )
    return first, top


def pinyin_key(name: str) -> str:
    """Return the sort key of a Chinese name in pinyin order (张三 → "zhang san")."""
    return " ".join(lazy_pinyin(name, errors="default"))[:240]


def open_application(user_id: int, year: int) -> Optional[Application]:
    return db.session.scalar(
        select(Application).where(
            Application.applicant_id == user_id, Application.year == year
        )
    )


def profile_is_complete(profile: Optional[Profile]) -> bool:
    if profile is None:
        return False
    needed = (
        profile.current_level_id,
        profile.current_title_id,
        profile.title_obtained_on,
        profile.target_year,
        profile.target_method,
        profile.target_level_id,
        profile.target_series_id,
        profile.target_title_id,
    )
    return all(value is not None for value in needed)


def check_submission(
    user: Account,
    profile: Optional[Profile],
    budget: Budget,
    exception_type: Optional[str],
    reason: Optional[str],
    has_scan: bool,
) -> SubmissionCheck:
    """Check everything a submission needs, collecting messages per field."""
    check = SubmissionCheck()
    refusal = submission_refusal(budget.application_year, user.id)
    if refusal is not None:
        check.add("form", refusal)
        return check
    if not profile_is_complete(profile):
        check.add("form", "请先在首页点击【修改】完善个人信息（现职称与拟申报职称）后再提交")
        return check
    if user.unit is None or review_chain(user.unit) is None:
        check.add("form", "所在单位没有上级审核单位，请在个人信息中重新选择工作单位")
        return check
    existing = open_application(user.id, budget.application_year)
    if existing is not None and existing.status != ApplicationStatus.RETURNED.value:
        check.add("form", f"{budget.application_year}年的申报已提交，正在审核中")
        return check

    assessment = budget.assessment
    if assessment is None:
        check.add("form", "请先在个人信息中选择拟申报方式")
        return check
    if assessment.compliant:
        return check

    check.needs_exception = True
    check.shortfall_text = rules.describe_shortfalls(assessment).rstrip("。")
    exception_codes = {item.code for item in budget.ruleset.exception_types}
    if not exception_type:
        check.add(
            "exception_type",
            f"学时不满足申报要求（{check.shortfall_text}），如有特殊原因请选择破格类型",
        )
    elif exception_type not in exception_codes:
        check.add("exception_type", "所选破格类型无效，请重新选择")
    reason = clean_text(reason)
    if len(reason) < MIN_REASON_LENGTH:
        check.add("exception_reason", f"请填写情况说明，不少于{MIN_REASON_LENGTH}个字")
    if not has_scan:
        check.add("exception_scan", "请上传单位盖章版佐证材料（PDF、JPG或PNG）")
    return check


def activity_snapshot(
    ruleset: rules.RuleSet, owner_id: int, years: list[int]
) -> list[dict]:
    activities = db.session.scalars(
        select(Activity)
        .where(Activity.owner_id == owner_id, Activity.year.in_(years))
        .order_by(Activity.year, Activity.category, Activity.start_date, Activity.id)
    )
    return [
        {
            "id": activity.id,
            "category": activity.category,
            "category_label": _category_label(ruleset, activity.category),
            "year": activity.year,
            "name": activity.name,
            "start_date": activity.start_date.isoformat(),
            "end_date": activity.end_date.isoformat() if activity.end_date else None,
            "inputs": dict(activity.inputs or {}),
            "evidence": [
                {"id": e.id, "name": e.original_name, "scan_type": e.scan_type}
                for e in activity.evidence
            ],
        }
        for activity in activities
    ]


def _category_label(ruleset: rules.RuleSet, code: str) -> str:
    try:
        return ruleset.category(code).label
    except KeyError:
        return code


def record_submission(
    user: Account,
    profile: Profile,
    budget: Budget,
    claim: Optional[ExceptionClaim],
    now: Optional[dt.datetime] = None,
) -> Application:
    """Freeze the figures in an application and record the submit event.

    A returned application is resubmitted in place: its figures are replaced,
    its history of events stays.
    """
    now = now or utc_now()
    # Everything that may load from the database comes before the new row is
    # added, so that autoflush cannot insert it half-filled.
    first, top = review_chain(user.unit)
    assessment = budget.assessment
    snapshot = budget.to_snapshot()
    snapshot["activities"] = activity_snapshot(
        budget.ruleset, user.id, budget.display_years
    )
    total = sum(
        (summary.total("total") for summary in budget.summaries.values()),
        start=Decimal(0),
    )

    application = open_application(user.id, budget.application_year)
    from_status = application.status if application is not None else None
    if application is None:
        application = Application(applicant_id=user.id, year=budget.application_year)
        db.session.add(application)

    application.unit_id = user.unit_id
    application.first_review_unit_id = first.id
    application.top_review_unit_id = top.id
    application.review_unit_id = first.id
    # A resubmission is reviewed again by every level.
    application.city_decision = application.city_reason = None
    application.province_decision = application.province_reason = None
    application.final_result = None
    application.applicant_name = user.full_name
    application.applicant_name_pinyin = pinyin_key(user.full_name)
    application.applicant_id_number = user.id_number
    application.target_level_id = profile.target_level_id
    application.target_series_id = profile.target_series_id
    application.target_title_id = profile.target_title_id
    application.year_hours = {
        str(year): rules.format_decimal(summary.total("total"))
        for year, summary in budget.summaries.items()
    }
    application.method = budget.method
    application.status = ApplicationStatus.PENDING.value
    application.compliant = assessment.compliant
    application.is_exception = claim is not None
    application.exception_type = claim.exception_type if claim else None
    application.exception_reason = clean_text(claim.reason) if claim else None
    application.exception_scan_path = claim.scan_path if claim else None
    application.exception_scan_name = claim.scan_name if claim else None
    application.exception_scan_type = claim.scan_content_type if claim else None
    application.ruleset_version = budget.ruleset.version
    application.total_hours = total
    application.snapshot = snapshot
    application.title_level_name = profile.current_level.name if profile.current_level else None
    application.submitted_on = now

    try:
        db.session.flush()
    except (IntegrityError, StaleDataError):
        # Another request (a double click) submitted the same year first.
        db.session.rollback()
        raise AlreadySubmitted(budget.application_year) from None
    db.session.add(
        ReviewEvent(
            application_id=application.id,
            actor_id=user.id,
            role=RoleName.EMPLOYEE,
            unit_id=user.unit_id,
            action="submit_application",
            from_status=from_status,
            to_status=ApplicationStatus.PENDING.value,
            reason=clean_text(claim.reason) if claim else None,
            created_on=now,
        )
    )
    resubmitted = from_status == ApplicationStatus.RETURNED.value
    action = "application.resubmit" if resubmitted else "application.submit"
    review_type = "破格" if claim else "正常"
    summary = f"{action_label(action)}：{application.year}年（{review_type}）"
    details = {"from_status": from_status, "total_hours": str(total)}
    record_audit(
        user, action, "application", application.id, summary, user.unit_id, details
    )
    db.session.commit()
    log.info(
        "application submitted id=%s applicant=%s review_unit=%s exception=%s",
        application.id,
        user.id,
        application.review_unit_id,
        claim is not None,
    )
    return application
