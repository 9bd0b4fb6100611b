"""导出 and 导出学时报表: Excel downloads of the applications in the user's scope."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Iterator

from flask import Response, abort, g, request
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select

from . import exports, rules
from .audit import CountingIterator, record_export
from .extensions import db
from .hours import method_labels
from .models import Application, Title, Unit
from .review_queries import ReviewQuery, decision_column, export_rows, filtered
from .ruleset_store import current_ruleset
from .scope import sees_everything

log = logging.getLogger(__name__)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _unit_paths() -> dict[int, str]:
    """Return every unit's path of names, "国网辽宁电力有限公司 / 抚顺供电公司 / …"."""
    units = {unit.id: unit for unit in db.session.scalars(select(Unit))}
    paths: dict[int, str] = {}
    for unit_id, unit in units.items():
        names = []
        node = unit
        while node is not None:
            if node.level != "region":
                names.append(node.name)
            node = units.get(node.parent_id) if node.parent_id else None
        paths[unit_id] = " / ".join(reversed(names))
    return paths


def _title_names() -> dict[int, str]:
    return {row.id: row.name for row in db.session.execute(select(Title.id, Title.name))}


def _years_for(query: ReviewQuery, ruleset: rules.RuleSet) -> list[int]:
    year = query.filters.get("year")
    base = int(year) if year and year.isdigit() else dt.date.today().year
    return list(ruleset.display_years(base))


def _as_export_rows(rows, units, titles, methods) -> Iterator[dict]:
    for row in rows:
        yield {
            "name": row.applicant_name,
            "id_number": row.applicant_id_number or "",
            "mobile": getattr(row, "mobile", "") or "",
            "unit_path": units.get(row.unit_id, ""),
            "year": row.year,
            "method": methods.get(row.method, row.method),
            "current_level": row.title_level_name or "",
            "target_title": titles.get(row.target_title_id, ""),
            "year_hours": row.year_hours or {},
            "total_hours": row.total_hours,
            "is_exception": row.is_exception,
            "compliant": getattr(row, "compliant", None),
            "decision": row.decision,
            "final_result": row.final_result,
        }


def _download(sheet: exports.Sheet, filename: str) -> Response:
    file = exports.write_workbook_tempfile([sheet])
    response = Response(exports.stream_file(file), mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = exports.attachment_header(filename)
    return response


class ExportView(BaseView):
    route_base = "/review"

    @expose("/export")
    @has_access
    def qualified(self):
        """导出: the qualified applications in scope with the list's filters."""
        query = ReviewQuery.from_args(request.args)
        ruleset = current_ruleset()
        years = _years_for(query, ruleset)
        rows = _as_export_rows(
            export_rows(g.user, query), _unit_paths(), _title_names(), method_labels(ruleset)
        )
        log.info("export of qualified applications by user=%s filters=%s", g.user.id, query.filters)
        suffix = f"{query.filters['year']}年" if "year" in query.filters else ""
        counted = CountingIterator(rows)
        response = _download(exports.qualified_list(counted, years), f"{suffix}审核合格人员名单.xlsx")
        summary = "导出审核合格人员名单"
        record_export(g.user, "export.applications", summary, query.filters, counted.count)
        return response

    @expose("/report")
    @has_access
    def report(self):
        """导出学时报表: every application of the user's unit subtree for one year."""
        year = request.args.get("year", type=int) or dt.date.today().year
        if not 2000 <= year <= 2100:
            abort(400)
        if g.user.unit is None and not sees_everything(g.user):
            abort(404)
        unit_name = g.user.unit.name if g.user.unit else "国网人才中心"
        ruleset = current_ruleset(year)
        query = ReviewQuery("all", {"year": str(year)})
        decision = decision_column(g.user)
        statement = (
            filtered(
                g.user,
                query,
                Application.applicant_name,
                Application.applicant_id_number,
                Application.unit_id,
                Application.year,
                Application.method,
                Application.title_level_name,
                Application.target_title_id,
                Application.year_hours,
                Application.total_hours,
                Application.is_exception,
                Application.compliant,
                decision.label("decision"),
                Application.final_result,
            )
            .join(Unit, Unit.id == Application.unit_id)
            .order_by(Unit.sort_order, Application.applicant_name_pinyin, Application.id)
        )
        rows = _as_export_rows(
            db.session.execute(statement.execution_options(yield_per=1000)),
            _unit_paths(),
            _title_names(),
            method_labels(ruleset),
        )
        counted = CountingIterator(rows)
        sheet = exports.hour_report(unit_name, year, counted, list(ruleset.display_years(year)))
        log.info("hour report year=%s by user=%s", year, g.user.id)
        response = _download(sheet, f"{unit_name}{year}年学时报表.xlsx")
        summary = f"导出{unit_name}{year}年学时报表"
        record_export(g.user, "export.hours_report", summary, {"year": year}, counted.count)
        return response
