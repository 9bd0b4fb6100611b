"""The review list's filters, sorting and paging, all done in SQL.

Filters arrive as query-string values; anything malformed is ignored rather
than failing, so a tampered URL shows a wider list, never an error page or
another unit's rows (the scope condition is always applied first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

from sqlalchemy import Row, Select, and_, exists, func, or_, select, true

from .extensions import db
from .ids import parse_id
from .glossary import ApplicationStatus, Decision, UnitLevel
from .models import Account, Application, ReviewEvent, Unit
from .scope import applications_condition, sees_everything

PAGE_SIZES = (10, 20, 50, 100)
DEFAULT_PAGE_SIZE = 20
TABS = ("pending", "reviewed")

# Sortable columns: request name → column; ties are broken by id.
SORTS = {
    "name": Application.applicant_name_pinyin,
    "year": Application.year,
    "hours": Application.total_hours,
    "submitted": Application.submitted_on,
}

FILTER_NAMES = (
    "name",
    "id_number",
    "year",
    "status",
    "compliant",
    "method",
    "level",
    "series",
    "title",
    "unit",
    "reviewed",
    "type",
    "final",
)

LIST_COLUMNS = (
    Application.id,
    Application.version,
    Application.applicant_name,
    Application.applicant_id_number,
    Application.year,
    Application.total_hours,
    Application.compliant,
    Application.status,
    Application.city_decision,
    Application.province_decision,
    Application.final_result,
    Application.is_exception,
    Application.title_level_name,
    Application.year_hours,
    Application.exception_reason,
    Application.exception_scan_path,
    Application.review_unit_id,
    Application.first_review_unit_id,
    Application.top_review_unit_id,
)


def _int(value: Optional[str]) -> Optional[int]:
    return parse_id(value)


@dataclass
class ReviewQuery:
    """The parsed state of one review-list request."""

    tab: str = "pending"
    filters: dict[str, str] = field(default_factory=dict)
    sort: str = "submitted"
    descending: bool = True
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "ReviewQuery":
        tab = args.get("tab") if args.get("tab") in TABS else "pending"
        filters = {
            name: args.get(name, "").strip()
            for name in FILTER_NAMES
            if args.get(name, "").strip()
        }
        sort = args.get("sort") if args.get("sort") in SORTS else "submitted"
        descending = args.get("order", "desc") != "asc"
        page = max(_int(args.get("page")) or 1, 1)
        size = _int(args.get("size"))
        page_size = size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE
        return cls(tab, filters, sort, descending, page, page_size)

    def args(self, **changes: object) -> dict[str, object]:
        """Return the query string of this state with some values changed."""
        values: dict[str, object] = {
            "tab": self.tab,
            **self.filters,
            "sort": self.sort,
            "order": "desc" if self.descending else "asc",
            "page": self.page,
            "size": self.page_size,
        }
        values.update(changes)
        return {key: value for key, value in values.items() if value not in (None, "")}


def viewer_level(user: Account) -> Optional[str]:
    """Return the chain level the user reviews at (city or province), if any."""
    if user.unit is not None and user.unit.level in (
        UnitLevel.CITY.value,
        UnitLevel.PROVINCE.value,
    ):
        return user.unit.level
    return None


def decision_column(user: Account):
    """Return the column holding the user's own level's decision (审核结果)."""
    if sees_everything(user) or viewer_level(user) is None:
        return Application.final_result
    if viewer_level(user) == UnitLevel.PROVINCE.value:
        return Application.province_decision
    return Application.city_decision


def _tab_condition(user: Account, tab: str):
    if tab == "all":
        return true()
    if sees_everything(user):
        if tab == "pending":
            return Application.status.in_(
                [ApplicationStatus.PENDING.value, ApplicationStatus.REVIEWED.value]
            )
        return Application.status == ApplicationStatus.COMPLETED.value
    if tab == "pending":
        return Application.review_unit_id == user.unit_id
    acted = exists().where(
        ReviewEvent.application_id == Application.id,
        ReviewEvent.unit_id == user.unit_id,
        ReviewEvent.action.in_(("pass", "fail", "return", "submit")),
    )
    return acted


def unit_in_scope(user: Account, unit_id: Optional[int]) -> Optional[Unit]:
    """Return the unit if the user may filter by it, else None."""
    if unit_id is None:
        return None
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        return None
    if sees_everything(user):
        return unit
    if user.unit is None or not unit.path.startswith(user.unit.path):
        return None
    return unit


def _filter_conditions(user: Account, filters: Mapping[str, str]) -> list:
    conditions = []
    if "name" in filters:
        conditions.append(Application.applicant_name.contains(filters["name"], autoescape=True))
    if "id_number" in filters:
        typed = filters["id_number"].upper()
        conditions.append(Application.applicant_id_number.contains(typed, autoescape=True))
    if (year := _int(filters.get("year"))) is not None:
        conditions.append(Application.year == year)
    if filters.get("status") in {status.value for status in ApplicationStatus}:
        conditions.append(Application.status == filters["status"])
    if filters.get("compliant") in ("yes", "no"):
        conditions.append(Application.compliant.is_(filters["compliant"] == "yes"))
    if "method" in filters:
        conditions.append(Application.method == filters["method"])
    for name, column in (
        ("level", Application.target_level_id),
        ("series", Application.target_series_id),
        ("title", Application.target_title_id),
    ):
        if (value := _int(filters.get(name))) is not None:
            conditions.append(column == value)
    unit = unit_in_scope(user, _int(filters.get("unit")))
    if unit is not None:
        subtree = select(Unit.id).where(Unit.path.startswith(unit.path))
        conditions.append(Application.unit_id.in_(subtree))
    decision = decision_column(user)
    if filters.get("reviewed") == "yes":
        conditions.append(decision.is_not(None))
    elif filters.get("reviewed") == "no":
        conditions.append(decision.is_(None))
    if filters.get("type") == "normal":
        conditions.append(Application.is_exception.is_(False))
    elif filters.get("type") == "exception":
        conditions.append(Application.is_exception.is_(True))
    final = filters.get("final")
    if final in {decision.value for decision in Decision}:
        conditions.append(Application.final_result == final)
    elif final == "none":
        conditions.append(Application.final_result.is_(None))
    return conditions


def filtered(user: Account, query: ReviewQuery, *columns) -> Select:
    """Return a SELECT of the given columns with scope, tab and filters applied."""
    statement = select(*(columns or LIST_COLUMNS)).where(
        applications_condition(user),
        _tab_condition(user, query.tab),
        *_filter_conditions(user, query.filters),
    )
    return statement


@dataclass(frozen=True)
class Page:
    rows: list
    total: int
    query: ReviewQuery

    @property
    def page_count(self) -> int:
        return max((self.total + self.query.page_size - 1) // self.query.page_size, 1)

    @property
    def first_number(self) -> int:
        return (self.query.page - 1) * self.query.page_size + 1


def fetch_page(user: Account, query: ReviewQuery) -> Page:
    """Fetch one page of the list and the total count, three SQL statements.

    The count and the page's ids read only indexed columns, so the index on
    the list's filters (migration 0002) answers them without reading the
    wide rows; only the page's own rows are then read in full. A page number
    past the end shows the last page.
    """
    ids = filtered(user, query, Application.id)
    total = db.session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    last_page = max((total + query.page_size - 1) // query.page_size, 1)
    query.page = min(query.page, last_page)
    column = SORTS[query.sort]
    order = [column.desc() if query.descending else column.asc()]
    order.append(Application.id.desc() if query.descending else Application.id.asc())
    offset = (query.page - 1) * query.page_size
    limit = min(query.page_size, max(total - offset, 0))
    if offset > total // 2:
        # A page in the back half is read from the end in the opposite
        # order: the database then keeps only the rows up to that page
        # instead of sorting past all the rows before it. The id breaks
        # ties, so the reversed order is the exact reverse.
        reverse = [column.asc() if query.descending else column.desc()]
        reverse.append(Application.id.asc() if query.descending else Application.id.desc())
        page_ids = db.session.scalars(
            ids.order_by(*reverse).limit(limit).offset(total - offset - limit)
        ).all()
    else:
        page_ids = db.session.scalars(
            ids.order_by(*order).limit(query.page_size).offset(offset)
        ).all()
    rows = []
    if page_ids:
        rows = db.session.execute(
            select(*LIST_COLUMNS).where(Application.id.in_(page_ids)).order_by(*order)
        ).all()
    return Page(rows, total, query)


def scope_units(user: Account) -> list[Row]:
    """Return (id, name) of the units offered by 按公司查询: the user's subtree below the regions.

    Rows rather than ORM objects, because a national tree has hundreds of
    units and the list page shows only their ids and names.
    """
    statement = select(Unit.id, Unit.name).where(
        Unit.active.is_(True),
        Unit.level.in_(
            (UnitLevel.PROVINCE.value, UnitLevel.CITY.value, UnitLevel.COUNTY.value)
        ),
    )
    if not sees_everything(user):
        if user.unit is None:
            return []
        statement = statement.where(Unit.path.startswith(user.unit.path))
    return list(db.session.execute(statement.order_by(Unit.sort_order)))


def export_rows(user: Account, query: ReviewQuery):
    """Yield the qualified rows in scope with the filters, by unit then pinyin name.

    Qualified means the user's own level passed the application and no
    higher level failed it (for the talent centre: the final result is 合格).
    """
    decision = decision_column(user)
    every_tab = ReviewQuery("all", query.filters, query.sort, query.descending)
    statement = (
        filtered(
            user,
            every_tab,
            Application.applicant_name,
            Application.applicant_id_number,
            Account.mobile,
            Unit.id.label("unit_id"),
            Application.year,
            Application.method,
            Application.title_level_name,
            Application.target_title_id,
            Application.year_hours,
            Application.total_hours,
            Application.is_exception,
            decision.label("decision"),
            Application.final_result,
        )
        .join(Account, Account.id == Application.applicant_id)
        .join(Unit, Unit.id == Application.unit_id)
        .where(
            and_(
                decision == Decision.PASS.value,
                or_(
                    Application.final_result.is_(None),
                    Application.final_result == Decision.PASS.value,
                ),
            )
        )
        .order_by(Unit.sort_order, Application.applicant_name_pinyin, Application.id)
    )
    return db.session.execute(statement.execution_options(yield_per=1000))
