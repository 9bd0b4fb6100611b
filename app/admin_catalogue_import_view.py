"""批量导入: Excel templates and uploads for units and reviewer accounts.

An upload is read, checked row by row and imported in one transaction, or
not at all: the report lists every problem by sheet row and column. The
report of a reviewer import shows generated passwords once, so it is sent
with `Cache-Control: no-store` and is never stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from flask import Response, abort, g, make_response, request
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.hooks import before_request
from sqlalchemy.exc import IntegrityError

from . import admin_catalogue_reviewer_import as reviewer_import
from . import admin_catalogue_unit_import as unit_import
from .exports import XLSX_MIMETYPE, attachment_header
from .extensions import db
from .imports import (
    MAX_FILE_BYTES,
    ImportColumn,
    ImportRejected,
    RowProblem,
    build_template,
    read_rows,
    read_upload,
)
from .scope import sees_everything

log = logging.getLogger(__name__)

# The report lists at most this many problems and counts the rest.
MAX_PROBLEMS_SHOWN = 1000


@dataclass(frozen=True)
class ImportKind:
    """One kind of import: its sheet, its limits and its check and write steps."""

    key: str
    label: str
    columns: tuple[ImportColumn, ...]
    notes: tuple[str, ...]
    max_rows: int
    check: Callable
    write: Callable


KINDS = {
    "units": ImportKind(
        "units",
        "单位",
        unit_import.COLUMNS,
        unit_import.NOTES,
        unit_import.MAX_ROWS,
        unit_import.check_rows,
        unit_import.import_units,
    ),
    "reviewers": ImportKind(
        "reviewers",
        "审核员账号",
        reviewer_import.COLUMNS,
        reviewer_import.NOTES,
        reviewer_import.MAX_ROWS,
        reviewer_import.check_rows,
        reviewer_import.import_reviewers,
    ),
}


@dataclass
class ImportReport:
    """The content of the result page."""

    kind: ImportKind
    file_name: str
    rows: int = 0
    problems: tuple[RowProblem, ...] = ()
    rejected: str = ""
    created: int = 0
    accounts: tuple = ()


class CatalogueImportView(BaseView):
    """批量导入单位和审核员账号."""

    route_base = "/catalogue/import"
    default_view = "index"

    @before_request
    def require_global_scope(self):
        user = g.user
        if user is not None and user.is_authenticated and not sees_everything(user):
            abort(403)
        return None

    @expose("/")
    @has_access
    def index(self):
        return self.render_template(
            "admin/catalogue/import.html",
            kinds=KINDS.values(),
            max_megabytes=MAX_FILE_BYTES // (1024 * 1024),
            report=None,
        )

    @expose("/template/<kind>")
    @has_access
    def template(self, kind: str):
        """Download the .xlsx template of an import, its columns formatted as text."""
        spec = KINDS.get(kind)
        if spec is None:
            abort(404)
        content = build_template(spec.columns, spec.notes, spec.max_rows)
        return Response(
            content,
            mimetype=XLSX_MIMETYPE,
            headers={
                "Content-Disposition": attachment_header(f"{spec.label}导入模板.xlsx")
            },
        )

    @expose("/upload/<kind>", methods=["POST"])
    @has_access
    def upload(self, kind: str):
        spec = KINDS.get(kind)
        if spec is None:
            abort(404)
        file = request.files.get("file")
        report = ImportReport(spec, file.filename if file else "")
        try:
            self._run(spec, file, report)
        except ImportRejected as rejected:
            report.rejected = rejected.message
            log.info(
                "import %s by user=%s rejected: %s", kind, g.user.id, rejected.message
            )
        response = make_response(
            self.render_template(
                "admin/catalogue/import.html",
                kinds=KINDS.values(),
                max_megabytes=MAX_FILE_BYTES // (1024 * 1024),
                report=report,
                max_problems=MAX_PROBLEMS_SHOWN,
            )
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    @staticmethod
    def _run(spec: ImportKind, file, report: ImportReport) -> None:
        if file is None:
            raise ImportRejected("请选择要导入的 Excel 文件（.xlsx）。")
        sheet = read_rows(read_upload(file.stream), spec.columns, spec.max_rows)
        report.rows = len(sheet.rows)
        drafts, problems = spec.check(sheet)
        if problems:
            report.problems = tuple(problems)
            db.session.rollback()
            log.info(
                "import %s by user=%s: %d rows, %d problems, nothing written",
                spec.key,
                g.user.id,
                report.rows,
                len(problems),
            )
            return
        try:
            result = spec.write(g.user, drafts)
        except IntegrityError:
            # Another change added the same code or account after the checks.
            db.session.rollback()
            log.warning(
                "import %s by user=%s failed on a unique key", spec.key, g.user.id
            )
            raise ImportRejected(
                "导入失败：有数据在检查之后被其他人添加，未导入任何数据。请重新导入以查看具体问题。"
            ) from None
        if isinstance(result, int):
            report.created = result
        else:
            report.accounts = tuple(result)
            report.created = len(result)
