"""认定汇总证明: upload, list, download and review of the units' summary certificates.

Every decision is made in `app.certificates`. The view parses the request,
turns NotFound into 404 and shows a Refused message as a flash.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access

from . import certificates
from .certificates import ACTION_LABELS, STATUS_LABELS, NotFound, Refused, UnknownAction
from .storage import KIND_CONTENT_TYPES, open_stored, send_stored

log = logging.getLogger(__name__)

ACCEPTED_TYPES = ",".join(KIND_CONTENT_TYPES.values())


class CertificateView(BaseView):
    """上传、查看和审核认定汇总证明, scoped to the user's unit subtree."""

    route_base = "/certificates"
    default_view = "list"

    def _render(self, template: str, **context):
        """Render a certificate page with the labels and year range every page uses."""
        return self.render_template(
            template,
            status_labels=STATUS_LABELS,
            action_labels=ACTION_LABELS,
            min_year=certificates.MIN_YEAR,
            max_year=certificates.max_year(),
            **context,
        )

    @expose("/")
    @has_access
    def list(self):
        """查看认定汇总证明: the certificates of a year in the user's subtree."""
        year = certificates.year_or_default(request.args.get("year"))
        current, replaced = certificates.list_visible(g.user, year)
        return self._render(
            "certificates/list.html",
            year=year,
            current=current,
            replaced=replaced,
            events=certificates.events_of([item.id for item in current + replaced]),
        )

    @expose("/<int:certificate_id>/download")
    @has_access
    def download(self, certificate_id: int):
        try:
            certificate = certificates.get_visible(g.user, certificate_id)
        except NotFound:
            abort(404)
        root = Path(current_app.config["UPLOAD_FOLDER"])
        try:
            stream = open_stored(root, certificate.stored_path)
        except (FileNotFoundError, ValueError) as error:
            log.error(
                "certificate id=%s: stored file %s could not be opened: %s",
                certificate.id,
                certificate.stored_path,
                error,
            )
            abort(404)
        return send_stored(stream, certificate.content_type, certificate.original_name)

    @expose("/upload", methods=["GET", "POST"])
    @has_access
    def upload(self):
        """上传认定汇总证明: the stamped scan of the user's own unit for a year."""
        if request.method == "POST":
            return self._receive_upload()

        year = certificates.year_or_default(request.args.get("year"))
        try:
            certificates.uploader_role(g.user)
            refusal = None
        except Refused as refused:
            refusal = refused.message
        history = certificates.unit_history(g.user.unit_id, year) if g.user.unit else []
        return self._render(
            "certificates/upload.html",
            year=year,
            refusal=refusal,
            history=history,
            events=certificates.events_of([item.id for item in history]),
            accepted_types=ACCEPTED_TYPES,
            max_megabytes=current_app.config["EVIDENCE_MAX_BYTES"] // (1024 * 1024),
        )

    def _receive_upload(self):
        raw_year = request.form.get("year")
        back_year = certificates.year_or_default(raw_year)
        file = request.files.get("file")
        try:
            certificate = certificates.upload(
                g.user,
                raw_year,
                Path(current_app.config["UPLOAD_FOLDER"]),
                file.stream if file else None,
                file.filename if file else "",
                current_app.config["EVIDENCE_MAX_BYTES"],
            )
        except Refused as refused:
            log.info("certificate upload by user=%s rejected: %s", g.user.id, refused)
            flash(f"上传失败：{refused.message}", "danger")
            return redirect(url_for(".upload", year=back_year))
        flash(
            f"已上传{certificate.year}年认定汇总证明 {certificate.original_name}，等待上级单位审核",
            "success",
        )
        return redirect(url_for(".upload", year=certificate.year))

    @expose("/review")
    @has_access
    def review(self):
        """审核认定汇总证明: each subordinate unit's status for a year, with decisions."""
        year = certificates.year_or_default(request.args.get("year"))
        units = certificates.subordinate_units(g.user)
        rows = certificates.status_overview(units, year)
        own = None
        if g.user.unit is not None:
            [own] = certificates.status_overview([g.user.unit], year)
        return self._render(
            "certificates/review.html",
            year=year,
            rows=rows,
            own=own,
            can_decide={
                row.unit.id: certificates.decider_role(g.user, row.unit) is not None
                for row in rows
            },
            max_reason_length=certificates.MAX_REASON_LENGTH,
        )

    @expose("/<int:certificate_id>/decide", methods=["POST"])
    @has_access
    def decide(self, certificate_id: int):
        try:
            certificate = certificates.get_visible(g.user, certificate_id)
        except NotFound:
            abort(404)
        back = redirect(url_for(".review", year=certificate.year))
        unit_name = certificate.unit.name
        try:
            decision = certificates.decide(
                g.user,
                certificate_id,
                request.form.get("action", ""),
                request.form.get("version"),
                request.form.get("reason"),
            )
        except UnknownAction:
            abort(400)
        except NotFound:
            abort(404)
        except Refused as refused:
            log.info(
                "certificate decision by user=%s on id=%s rejected: %s",
                g.user.id,
                certificate_id,
                refused,
            )
            flash(refused.message, "danger")
            return back
        flash(f"已{decision.label}{unit_name}的认定汇总证明", "success")
        return back
