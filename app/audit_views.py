"""操作日志: the read-only audit log screen, its filters and its Excel export.

The view is a plain BaseView with three read routes (list, show, export), so
no add, edit, delete or bulk-action route exists. Every query applies the
audit scope first: the superadmin and the talent centre see every entry, a
reviewer sees the entries filed under a unit of their own subtree, and
everyone else sees nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Optional

from flask import Response, abort, g, request
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import ColumnElement, Select, false, func, select, true

from . import BEIJING, exports
from .audit import (
    ACTION_LABELS,
    CountingIterator,
    action_label,
    install_immutability_guard,
    record_export,
    target_type_label,
)
from .extensions import db
from .glossary import RoleName
from .ids import parse_id
from .models import Account, AuditEntry, Unit
from .review_queries import scope_units, unit_in_scope
from .scope import is_reviewer, sees_everything, subtree_condition

log = logging.getLogger(__name__)

VIEW_NAME = "AuditLogView"
MENU_NAME = "操作日志"
MENU_CATEGORY = "系统管理"

_READ = [
    ("can_list", VIEW_NAME),
    ("can_show", VIEW_NAME),
    ("can_export", VIEW_NAME),
    ("menu_access", MENU_NAME),
    ("menu_access", MENU_CATEGORY),
]

# Role name → [(permission, view or menu name)] this module's screens need;
# app.roles merges them into the seeded roles. The superadmin gets every
# permission from FAB, and employees get none of these.
PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    RoleName.TALENT_CENTRE: list(_READ),
    RoleName.CITY_REVIEWER: list(_READ),
    RoleName.PROVINCE_REVIEWER: list(_READ),
}

PAGE_SIZES = (20, 50, 100)
DEFAULT_PAGE_SIZE = 20
MAX_ACTOR_FILTER_LENGTH = 128
MAX_ACTION_FILTER_LENGTH = 40

# Dates outside these years cannot match an entry of this platform, and the
# bounds keep the day arithmetic below far from datetime's limits.
MIN_FILTER_YEAR = 2000
MAX_FILTER_YEAR = 2099
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def scope_condition(user: Optional[Account]) -> ColumnElement:
    """Return a SQL condition on AuditEntry selecting the entries `user` may see.

    Entries without a unit (rule sets, roles, system work) are visible only to
    those who see everything.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return false()

    if sees_everything(user):
        return true()

    if is_reviewer(user):
        return subtree_condition(user, AuditEntry.unit_id)

    return false()


def parse_date(raw: str, label: str, warnings: list[str]) -> Optional[dt.date]:
    """Parse a YYYY-MM-DD filter value, or add a Chinese warning and return None."""
    value = raw.strip()
    if not value:
        return None

    shown = value[:20]
    day = None
    if _ISO_DATE.fullmatch(value):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            day = None

    if day is None:
        warnings.append(
            f"{label}“{shown}”无效，应为 YYYY-MM-DD 格式（如 2026-03-01），已忽略该条件。"
        )
        return None

    if not MIN_FILTER_YEAR <= day.year <= MAX_FILTER_YEAR:
        warnings.append(
            f"{label}“{shown}”超出范围，应在 {MIN_FILTER_YEAR} 年至 "
            f"{MAX_FILTER_YEAR} 年之间，已忽略该条件。"
        )
        return None

    return day


def utc_start_of(day: dt.date) -> dt.datetime:
    """Return the stored (naive UTC) time at which `day` begins in Beijing."""
    local = dt.datetime.combine(day, dt.time.min, tzinfo=BEIJING)
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


@dataclass
class AuditQuery:
    """The parsed filters and page of one audit-log request."""

    actor: str = ""
    unit: Optional[Unit] = None
    action: str = ""
    date_from: Optional[dt.date] = None
    date_to: Optional[dt.date] = None
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args: Mapping[str, str], user: Account) -> "AuditQuery":
        """Parse the query string, dropping invalid values with a Chinese warning."""
        warnings: list[str] = []
        actor = args.get("actor", "").strip()[:MAX_ACTOR_FILTER_LENGTH]
        action = args.get("action", "").strip()[:MAX_ACTION_FILTER_LENGTH]

        unit = None
        raw_unit = args.get("unit", "").strip()
        if raw_unit:
            unit = unit_in_scope(user, parse_id(raw_unit))
            if unit is None:
                warnings.append("所选单位不存在或不在您的查看范围内，已忽略该条件。")

        date_from = parse_date(args.get("from", ""), "开始日期", warnings)
        date_to = parse_date(args.get("to", ""), "结束日期", warnings)
        if date_from and date_to and date_from > date_to:
            warnings.append("开始日期晚于结束日期，没有符合条件的记录。")

        page = parse_id(args.get("page")) or 1
        size = parse_id(args.get("size"))
        page_size = size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE
        return cls(actor, unit, action, date_from, date_to, page, page_size, warnings)

    def filters(self) -> dict[str, str]:
        """Return the valid filters as query-string values."""
        values = {
            "actor": self.actor,
            "unit": str(self.unit.id) if self.unit else "",
            "action": self.action,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
        }
        return {key: value for key, value in values.items() if value}

    def args(self, **changes: object) -> dict[str, object]:
        """Return the query string of this state with some values changed."""
        values: dict[str, object] = {
            **self.filters(),
            "page": self.page,
            "size": self.page_size,
        }
        values.update(changes)
        return {key: value for key, value in values.items() if value not in (None, "")}

    def conditions(self) -> list[ColumnElement]:
        conditions: list[ColumnElement] = []
        if self.actor:
            # LIKE ignores case on SQLite but not on PostgreSQL; icontains
            # compares lower() of both sides, so the two databases agree.
            actor_matches = AuditEntry.actor_name.icontains(self.actor, autoescape=True)
            conditions.append(actor_matches)

        if self.unit is not None:
            subtree = select(Unit.id).where(Unit.path.startswith(self.unit.path))
            conditions.append(AuditEntry.unit_id.in_(subtree))

        if self.action:
            conditions.append(AuditEntry.action == self.action)

        if self.date_from:
            conditions.append(AuditEntry.created_on >= utc_start_of(self.date_from))

        if self.date_to:
            next_day = self.date_to + dt.timedelta(days=1)
            conditions.append(AuditEntry.created_on < utc_start_of(next_day))

        return conditions


LIST_COLUMNS = (
    AuditEntry.id,
    AuditEntry.created_on,
    AuditEntry.actor_name,
    AuditEntry.unit_id,
    AuditEntry.action,
    AuditEntry.target_type,
    AuditEntry.target_id,
    AuditEntry.summary,
    Unit.name.label("unit_name"),
)


def filtered(user: Account, query: AuditQuery, *columns) -> Select:
    """Return a SELECT of entries in the user's scope that match the filters."""
    return (
        select(*(columns or LIST_COLUMNS))
        .select_from(AuditEntry)
        .outerjoin(Unit, Unit.id == AuditEntry.unit_id)
        .where(scope_condition(user), *query.conditions())
    )


def newest_first(statement: Select) -> Select:
    return statement.order_by(AuditEntry.created_on.desc(), AuditEntry.id.desc())


@dataclass(frozen=True)
class Page:
    rows: list
    total: int
    page: int
    page_size: int

    @property
    def page_count(self) -> int:
        return max((self.total + self.page_size - 1) // self.page_size, 1)

    @property
    def first_number(self) -> int:
        return (self.page - 1) * self.page_size + 1


def fetch_page(user: Account, query: AuditQuery) -> Page:
    """Fetch the total and one page of entries, newest first.

    A page number past the end shows the last page.
    """
    base = filtered(user, query)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    page_count = max((total + query.page_size - 1) // query.page_size, 1)
    page = min(query.page, page_count)
    rows = db.session.execute(
        newest_first(base).limit(query.page_size).offset((page - 1) * query.page_size)
    ).all()
    return Page(rows, total, page, query.page_size)


def action_choices() -> list[tuple[str, str]]:
    """Return (code, label) of every known action and every action already logged."""
    logged = db.session.scalars(select(AuditEntry.action).distinct())
    codes = set(ACTION_LABELS) | set(logged)
    return [(code, action_label(code)) for code in sorted(codes)]


def local_time(value: Optional[dt.datetime]) -> str:
    """Show a stored UTC time in Beijing time, to the second."""
    if value is None:
        return ""

    local = value.replace(tzinfo=dt.timezone.utc).astimezone(BEIJING)
    return local.strftime("%Y-%m-%d %H:%M:%S")


def details_text(details: Any) -> str:
    if not details:
        return ""

    return json.dumps(details, ensure_ascii=False, sort_keys=True)


EXPORT_COLUMNS = [
    exports.Column("序号", exports.ColumnKind.NUMBER, 7),
    exports.Column("时间", exports.ColumnKind.TEXT, 20),
    exports.Column("操作人", exports.ColumnKind.TEXT, 28),
    exports.Column("单位", exports.ColumnKind.TEXT, 30),
    exports.Column("操作", exports.ColumnKind.TEXT, 18),
    exports.Column("对象类型", exports.ColumnKind.TEXT, 12),
    exports.Column("对象编号", exports.ColumnKind.TEXT, 10),
    exports.Column("摘要", exports.ColumnKind.TEXT, 50),
    exports.Column("详情", exports.ColumnKind.TEXT, 60),
]


def export_values(rows) -> Iterator[list[Any]]:
    """Yield the export's cells for each entry row, numbered from 1."""
    for number, row in enumerate(rows, start=1):
        yield [
            number,
            local_time(row.created_on),
            row.actor_name,
            row.unit_name or "",
            action_label(row.action),
            target_type_label(row.target_type),
            row.target_id or "",
            row.summary,
            details_text(row.details),
        ]


class AuditLogView(BaseView):
    """操作日志: the audit log, read-only, in the user's scope."""

    route_base = "/audit"
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        query = AuditQuery.from_args(request.args, g.user)
        page = fetch_page(g.user, query)
        return self.render_template(
            "admin/audit/list.html",
            page=page,
            query=query,
            filters=query.filters(),
            units=scope_units(g.user),
            actions=action_choices(),
            page_sizes=PAGE_SIZES,
            local_time=local_time,
            action_label=action_label,
            target_type_label=target_type_label,
        )

    @expose("/<int:entry_id>")
    @has_access
    def show(self, entry_id: int):
        row = db.session.execute(
            filtered(g.user, AuditQuery(), *LIST_COLUMNS, AuditEntry.details).where(
                AuditEntry.id == entry_id
            )
        ).first()
        if row is None:
            abort(404)

        details = row.details if isinstance(row.details, dict) else {}
        return self.render_template(
            "admin/audit/show.html",
            entry=row,
            details=[
                (key, json.dumps(value, ensure_ascii=False))
                for key, value in sorted(details.items())
            ],
            local_time=local_time,
            action_label=action_label,
            target_type_label=target_type_label,
        )

    @expose("/export")
    @has_access
    def export(self):
        """Download the filtered entries, newest first, as an Excel workbook."""
        query = AuditQuery.from_args(request.args, g.user)
        columns = (*LIST_COLUMNS, AuditEntry.details)
        statement = newest_first(filtered(g.user, query, *columns))
        result = db.session.execute(statement.execution_options(yield_per=1000))
        rows = CountingIterator(result)
        sheet = exports.Sheet(MENU_NAME, EXPORT_COLUMNS, export_values(rows))

        file = exports.write_workbook_tempfile([sheet])
        response = Response(exports.stream_file(file), mimetype=exports.XLSX_MIMETYPE)
        response.headers["Content-Disposition"] = exports.attachment_header(
            f"操作日志{dt.date.today().isoformat()}.xlsx"
        )

        filters = query.filters()
        log.info(
            "audit log export by user=%s filters=%s rows=%s",
            g.user.id,
            filters,
            rows.count,
        )
        record_export(g.user, "export.audit_log", "导出操作日志", filters, rows.count)
        return response


def register(appbuilder) -> None:
    """Add the audit log screen under 系统管理 and make audit entries append-only."""
    install_immutability_guard()
    appbuilder.add_view(
        AuditLogView(),
        MENU_NAME,
        icon="fa-history",
        category=MENU_CATEGORY,
        category_label=MENU_CATEGORY,
    )
