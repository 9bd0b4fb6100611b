"""Database models: the organisation tree, the title catalogue, accounts and
their profiles, activities with evidence, and submitted applications.

All models derive from FAB's declarative `Model`, so that one metadata object
holds FAB's security tables and ours and one Alembic history manages both.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sa_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .glossary import ApplicationStatus, UnitLevel
from .identity import mask_id_number


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Unit(Model):
    """A node of the organisation tree: region, province, city unit or county unit."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    # What the unit is within its level: a supply company, a head office
    # (本部, whose staff are reviewed by the province), a department, ...
    kind: Mapped[str] = mapped_column(String(30), nullable=False, default="")
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"))
    # Materialised path of ids, "/3/17/205/", so that a subtree is one
    # indexed prefix match instead of a recursive query.
    path: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    parent: Mapped[Optional["Unit"]] = relationship(remote_side=[id], lazy="joined")

    __table_args__ = (
        UniqueConstraint("parent_id", "name", name="uq_unit_parent_name"),
        Index("ix_unit_parent", "parent_id"),
    )

    @property
    def level_label(self) -> str:
        return UnitLevel(self.level).label

    def ancestors(self) -> list["Unit"]:
        """Return the chain from the root down to this unit, this unit included."""
        chain: list[Unit] = []
        node: Optional[Unit] = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    def __repr__(self) -> str:
        return self.name


class TitleLevel(Model):
    """A title level (职称等级): 初级, 中级, 副高级, 正高级, ordered by rank."""

    __tablename__ = "title_level"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    rank: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    def __repr__(self) -> str:
        return self.name


class TitleSeries(Model):
    """A title series (专业, 系列) such as 工程系列."""

    __tablename__ = "title_series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    def __repr__(self) -> str:
        return self.name


class Subspecialty(Model):
    """A sub-specialty (分支专业) inside a series, possibly nested once."""

    __tablename__ = "subspecialty"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    series_id: Mapped[int] = mapped_column(ForeignKey("title_series.id"), nullable=False)
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("subspecialty.id"))
    # Only a sub-specialty without children can be chosen on the profile.
    selectable: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    series: Mapped[TitleSeries] = relationship()
    parent: Mapped[Optional["Subspecialty"]] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return self.name


class Title(Model):
    """A professional title (职称) of one series at one level."""

    __tablename__ = "title"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    series_id: Mapped[int] = mapped_column(ForeignKey("title_series.id"), nullable=False)
    level_id: Mapped[int] = mapped_column(ForeignKey("title_level.id"), nullable=False)
    # A legacy title is no longer awarded: valid as a current title only.
    legacy: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    series: Mapped[TitleSeries] = relationship()
    level: Mapped[TitleLevel] = relationship()

    __table_args__ = (
        UniqueConstraint("series_id", "level_id", "name", name="uq_title_series_level"),
    )

    def __repr__(self) -> str:
        return self.name


class Account(User):
    """FAB's user with the platform's identity fields and the unit it belongs to.

    Employees log in with their ID-card number (stored as the username) or
    their mobile number; reviewer accounts are issued centrally and bound to
    the unit whose applications they review.
    """

    __tablename__ = "ab_user"

    id_number: Mapped[Optional[str]] = mapped_column(String(18), unique=True)
    mobile: Mapped[Optional[str]] = mapped_column(String(11), unique=True)
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"), index=True)
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False
    )
    # Raised each time the account is disabled. Sessions signed before carry
    # the old value and end, so re-enabling an account does not revive them.
    session_epoch: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )

    unit: Mapped[Optional[Unit]] = relationship(foreign_keys=[unit_id])

    @property
    def full_name(self) -> str:
        return f"{self.first_name}{self.last_name or ''}"


class Profile(Model):
    """An employee's title and application plan (the home page's 个人信息)."""

    __tablename__ = "profile"

    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), primary_key=True)
    current_level_id: Mapped[Optional[int]] = mapped_column(ForeignKey("title_level.id"))
    current_title_id: Mapped[Optional[int]] = mapped_column(ForeignKey("title.id"))
    title_obtained_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    target_year: Mapped[Optional[int]] = mapped_column(Integer)
    target_method: Mapped[Optional[str]] = mapped_column(String(20))
    target_level_id: Mapped[Optional[int]] = mapped_column(ForeignKey("title_level.id"))
    target_series_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("title_series.id")
    )
    target_subspecialty_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("subspecialty.id")
    )
    target_title_id: Mapped[Optional[int]] = mapped_column(ForeignKey("title.id"))
    photo_path: Mapped[Optional[str]] = mapped_column(String(255))
    changed_on: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utc_now, onupdate=utc_now
    )

    user: Mapped[Account] = relationship(backref="profile_rows")
    current_level: Mapped[Optional[TitleLevel]] = relationship(
        foreign_keys=[current_level_id]
    )
    current_title: Mapped[Optional[Title]] = relationship(
        foreign_keys=[current_title_id]
    )
    target_level: Mapped[Optional[TitleLevel]] = relationship(
        foreign_keys=[target_level_id]
    )
    target_series: Mapped[Optional[TitleSeries]] = relationship()
    target_subspecialty: Mapped[Optional[Subspecialty]] = relationship()
    target_title: Mapped[Optional[Title]] = relationship(foreign_keys=[target_title_id])


class Activity(Model):
    """One continuing-education activity (业绩) of an employee in one year.

    The category's own inputs (days, level, rank, ...) are stored as typed JSON
    because each rule-set category defines its own; the rules engine validates
    and converts them.
    """

    __tablename__ = "activity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False)
    category: Mapped[str] = mapped_column(String(40), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    start_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    end_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    remark: Mapped[Optional[str]] = mapped_column(String(500))
    created_on: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utc_now
    )
    changed_on: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utc_now, onupdate=utc_now
    )

    owner: Mapped[Account] = relationship()
    evidence: Mapped[list["Evidence"]] = relationship(
        back_populates="activity",
        cascade="all, delete-orphan",
        order_by="Evidence.id",
    )

    __table_args__ = (Index("ix_activity_owner_year", "owner_id", "year", "category"),)


class Evidence(Model):
    """An evidence scan attached to an activity, stored under a generated name."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activity.id", ondelete="CASCADE"), nullable=False, index=True
    )
    scan_type: Mapped[str] = mapped_column(String(20), nullable=False)
    stored_path: Mapped[str] = mapped_column(String(255), nullable=False)
    original_name: Mapped[str] = mapped_column(String(200), nullable=False)
    content_type: Mapped[str] = mapped_column(String(60), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_on: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utc_now
    )

    activity: Mapped[Activity] = relationship(back_populates="evidence")


_REVIEW_LIST_INDEX_COLUMNS = (
    "year",
    "unit_id",
    "is_exception",
    "compliant",
    "total_hours",
    "submitted_on",
)


_REVIEW_LIST_FILTER_COLUMNS = (
    "year",
    "status",
    "compliant",
    "is_exception",
    "review_unit_id",
    "unit_id",
)


class Application(Model):
    """A submitted application (申报) with the figures frozen at submission.

    `snapshot` holds the four-year table, every activity's working and the
    rule-set version, so that later changes to rules or records never alter
    what reviewers see. The columns beside it copy what the review list
    filters and sorts on, so that the list never reads the snapshot.
    """

    __tablename__ = "application"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False)
    # The applicant's unit at submission; reviewers' scope is decided by it.
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    # The review chain: the first reviewing unit (city level, or the province
    # for head-office staff) and the top one (province level).
    first_review_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    top_review_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    # The unit whose reviewers act next; empty once returned to the employee
    # or completed.
    review_unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"))
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    method: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(
        String(20), nullable=False, default=ApplicationStatus.PENDING.value
    )
    compliant: Mapped[bool] = mapped_column(Boolean, nullable=False)
    is_exception: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    exception_type: Mapped[Optional[str]] = mapped_column(String(40))
    exception_reason: Mapped[Optional[str]] = mapped_column(Text)
    exception_scan_path: Mapped[Optional[str]] = mapped_column(String(255))
    exception_scan_name: Mapped[Optional[str]] = mapped_column(String(200))
    exception_scan_type: Mapped[Optional[str]] = mapped_column(String(60))
    # Each level's current decision (pass / fail) and its reason; cleared
    # when the application comes back to that level for a new review.
    city_decision: Mapped[Optional[str]] = mapped_column(String(10))
    city_reason: Mapped[Optional[str]] = mapped_column(Text)
    province_decision: Mapped[Optional[str]] = mapped_column(String(10))
    province_reason: Mapped[Optional[str]] = mapped_column(Text)
    final_result: Mapped[Optional[str]] = mapped_column(String(10))
    return_reason: Mapped[Optional[str]] = mapped_column(Text)
    ruleset_version: Mapped[str] = mapped_column(String(20), nullable=False)
    total_hours: Mapped[float] = mapped_column(Numeric(8, 1), nullable=False)
    # Year → total hours, for the list's 年度 column.
    year_hours: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False, default=dict)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    applicant_name: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    # Sort key for pinyin order (张三 → "zhang san"), computed at submission.
    applicant_name_pinyin: Mapped[str] = mapped_column(
        String(240), nullable=False, default=""
    )
    applicant_id_number: Mapped[Optional[str]] = mapped_column(String(18))
    title_level_name: Mapped[Optional[str]] = mapped_column(String(40))
    target_level_id: Mapped[Optional[int]] = mapped_column(ForeignKey("title_level.id"))
    target_series_id: Mapped[Optional[int]] = mapped_column(ForeignKey("title_series.id"))
    target_title_id: Mapped[Optional[int]] = mapped_column(ForeignKey("title.id"))
    submitted_on: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utc_now
    )
    # Incremented by every state change; a change is an UPDATE ... WHERE
    # version = :seen, so two concurrent writers cannot both succeed. The
    # ORM does this itself for resubmissions (version_id_col), the workflow
    # in its own UPDATE statements.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    applicant: Mapped[Account] = relationship(foreign_keys=[applicant_id])
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    review_unit: Mapped[Optional[Unit]] = relationship(foreign_keys=[review_unit_id])
    first_review_unit: Mapped[Unit] = relationship(foreign_keys=[first_review_unit_id])
    top_review_unit: Mapped[Unit] = relationship(foreign_keys=[top_review_unit_id])
    target_level: Mapped[Optional[TitleLevel]] = relationship()
    target_series: Mapped[Optional[TitleSeries]] = relationship()
    target_title: Mapped[Optional[Title]] = relationship()
    events: Mapped[list["ReviewEvent"]] = relationship(
        back_populates="application", order_by="ReviewEvent.id"
    )

    __table_args__ = (
        UniqueConstraint("applicant_id", "year", name="uq_application_applicant_year"),
        # The review lists count and page from these two alone: every
        # equality filter and sort column of the list is in them.
        Index(
            "ix_application_review_list",
            "review_unit_id",
            "status",
            *_REVIEW_LIST_INDEX_COLUMNS,
        ),
        Index("ix_application_status_list", "status", *_REVIEW_LIST_INDEX_COLUMNS),
        # One per sort order of the list, so a page is read in order and
        # the scan stops after it; PostgreSQL checks the filters in the index.
        *(
            Index(
                f"ix_application_sort_{name}",
                column,
                "id",
                postgresql_include=list(_REVIEW_LIST_FILTER_COLUMNS),
            )
            for name, column in (
                ("hours", "total_hours"),
                ("submitted", "submitted_on"),
                ("name", "applicant_name_pinyin"),
            )
        ),
        Index("ix_application_unit_year", "unit_id", "year"),
        Index("ix_application_unit_pinyin", "unit_id", "applicant_name_pinyin"),
        Index("ix_application_first_unit", "first_review_unit_id", "city_decision"),
        Index("ix_application_top_unit", "top_review_unit_id", "province_decision"),
        Index("ix_application_id_number", "applicant_id_number"),
    )

    @property
    def status_label(self) -> str:
        return ApplicationStatus(self.status).label

    # Read-only columns of the review list, as the manual names them.
    @property
    def masked_id(self) -> str:
        return mask_id_number(self.applicant_id_number or "")

    @property
    def compliant_label(self) -> str:
        return "合格" if self.compliant else "不合格"

    @property
    def review_type(self) -> str:
        return "破格" if self.is_exception else "正常"

    @property
    def yearly_hours_text(self) -> list[str]:
        return [f"{year}年{self.year_hours[year]}(学时)" for year in sorted(self.year_hours)]


class ReviewEvent(Model):
    """One recorded step of an application: who moved it, when, and why."""

    __tablename__ = "review_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id"), nullable=False, index=True
    )
    actor_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False)
    role: Mapped[str] = mapped_column(String(40), nullable=False)
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"))
    action: Mapped[str] = mapped_column(String(20), nullable=False)
    from_status: Mapped[Optional[str]] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20), nullable=False)
    reason: Mapped[Optional[str]] = mapped_column(Text)
    created_on: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utc_now
    )

    application: Mapped[Application] = relationship(back_populates="events")
    actor: Mapped[Account] = relationship()
    unit: Mapped[Optional[Unit]] = relationship()

    __table_args__ = (Index("ix_review_event_unit_application", "unit_id", "application_id"),)


class SummaryCertificate(Model):
    """A unit's stamped summary certificate (认定汇总证明) for one year.

    Each upload is kept; the newest upload of a unit and year is the current
    one, and only the current one is reviewed by the superior unit.
    """

    __tablename__ = "summary_certificate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    is_current: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="waiting")
    stored_path: Mapped[str] = mapped_column(String(255), nullable=False)
    original_name: Mapped[str] = mapped_column(String(200), nullable=False)
    content_type: Mapped[str] = mapped_column(String(60), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False)
    uploaded_on: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utc_now
    )
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    decided_on: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    decision_reason: Mapped[Optional[str]] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    unit: Mapped[Unit] = relationship()
    uploaded_by: Mapped[Account] = relationship(foreign_keys=[uploaded_by_id])
    decided_by: Mapped[Optional[Account]] = relationship(foreign_keys=[decided_by_id])

    __table_args__ = (
        Index("ix_certificate_unit_year", "unit_id", "year", "is_current"),
        # At most one current certificate per unit and year.
        Index(
            "uq_certificate_current",
            "unit_id",
            "year",
            unique=True,
            sqlite_where=sa_text("is_current"),
            postgresql_where=sa_text("is_current"),
        ),
    )


class CertificateEvent(Model):
    """One recorded step of a summary certificate: upload, approval or rejection."""

    __tablename__ = "certificate_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certificate_id: Mapped[int] = mapped_column(
        ForeignKey("summary_certificate.id"), nullable=False, index=True
    )
    actor_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False)
    role: Mapped[str] = mapped_column(String(40), nullable=False)
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"))
    action: Mapped[str] = mapped_column(String(20), nullable=False)
    from_status: Mapped[Optional[str]] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20), nullable=False)
    reason: Mapped[Optional[str]] = mapped_column(Text)
    created_on: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utc_now
    )

    certificate: Mapped[SummaryCertificate] = relationship()
    actor: Mapped[Account] = relationship()


class RuleSetVersion(Model):
    """A published or draft rule set of one policy year, stored as its JSON data.

    Publishing a change adds a new row; an application keeps the label of the
    version it was submitted with, and drafts are computed with the newest
    published version of their year.
    """

    __tablename__ = "ruleset_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_year: Mapped[int] = mapped_column(Integer, nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    label: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="draft")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    note: Mapped[Optional[str]] = mapped_column(String(500))
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    created_on: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utc_now
    )
    published_on: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    created_by: Mapped[Optional[Account]] = relationship()

    __table_args__ = (
        UniqueConstraint("policy_year", "number", name="uq_ruleset_year_number"),
        Index("ix_ruleset_year_status", "policy_year", "status"),
    )


class SubmissionWindow(Model):
    """The dates between which employees may submit their application of a year."""

    __tablename__ = "submission_window"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    opens_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    closes_on: Mapped[dt.date] = mapped_column(Date, nullable=False)


class HelpPage(Model):
    """An editable help page (操作手册, 相关政策) written in Markdown."""

    __tablename__ = "help_page"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(60), nullable=False)
    markdown: Mapped[str] = mapped_column(Text, nullable=False, default="")
    changed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    changed_on: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utc_now, onupdate=utc_now
    )


class AuditEntry(Model):
    """One entry of the audit log: who did what to which record, and when.

    Entries are only ever inserted; the ORM refuses updates and deletes.
    """

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_on: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utc_now, index=True
    )
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    actor_name: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    # The unit the change concerns, for filtering and for reviewers' scope.
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"))
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    target_type: Mapped[str] = mapped_column(String(40), nullable=False)
    target_id: Mapped[Optional[str]] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    details: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)

    actor: Mapped[Optional[Account]] = relationship()
    unit: Mapped[Optional[Unit]] = relationship()

    __table_args__ = (
        Index("ix_audit_actor", "actor_id", "created_on"),
        Index("ix_audit_unit", "unit_id", "created_on"),
        Index("ix_audit_action", "action", "created_on"),
    )
