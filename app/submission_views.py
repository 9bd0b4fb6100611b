"""预算学时 and 提交: the recomputed four-year table and the submission form."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access

from . import rules
from .extensions import db
from .forms import SubmissionForm
from .hours import compute_budget
from .models import Application, Profile
from .scope import applications_condition
from .storage import UploadRejected, delete_stored, open_stored, send_stored, store_upload
from .submission import (
    AlreadySubmitted,
    ExceptionClaim,
    check_submission,
    open_application,
    record_submission,
)

log = logging.getLogger(__name__)

SCAN_KINDS = {"pdf", "jpeg", "png"}


class SubmissionView(BaseView):
    route_base = "/budget"
    default_view = "budget"

    @expose("/")
    @has_access
    def budget(self):
        """预算学时: recompute the table from the records, with every working."""
        profile = db.session.get(Profile, g.user.id)
        budget = compute_budget(g.user.id, profile)
        application = open_application(g.user.id, budget.application_year)
        shortfall_text = ""
        if budget.assessment is not None:
            shortfall_text = rules.describe_shortfalls(budget.assessment).rstrip("。")
        return self.render_template(
            "budget.html",
            budget=budget,
            profile=profile,
            application=application,
            shortfall_text=shortfall_text,
        )

    @expose("/submit", methods=["GET", "POST"])
    @has_access
    def submit(self):
        user = g.user
        profile = db.session.get(Profile, user.id)
        budget = compute_budget(user.id, profile)
        form = SubmissionForm()
        form.exception_type.choices = [("", "请选择")] + [
            (item.code, item.label) for item in budget.ruleset.exception_types
        ]

        if request.method == "GET":
            check = check_submission(user, profile, budget, None, None, False)
            # Only the reasons that block the page are shown before an attempt.
            check.errors = {"form": check.errors["form"]} if "form" in check.errors else {}
            return self._render(form, budget, check)

        form_valid = form.validate()
        upload = form.exception_scan.data
        has_scan = bool(upload and upload.filename)
        check = check_submission(
            user,
            profile,
            budget,
            form.exception_type.data,
            form.exception_reason.data,
            has_scan,
        )
        if not check.ok or (check.needs_exception and not form_valid):
            return self._render(form, budget, check)

        claim = None
        if check.needs_exception:
            claim = self._store_claim(form, check)
            if claim is None:
                return self._render(form, budget, check)
        try:
            record_submission(user, profile, budget, claim)
        except AlreadySubmitted as error:
            self._discard(claim)
            flash(error.message, "warning")
            return redirect(url_for("HomeView.index"))
        except Exception:
            db.session.rollback()
            self._discard(claim)
            raise
        if claim is not None:
            flash("已按破格提交，等待单位审核", "success")
        else:
            flash("已提交，等待单位审核", "success")
        return redirect(url_for("HomeView.index"))

    @expose("/applications/<int:application_id>/scan")
    @has_access
    def exception_scan(self, application_id: int):
        """Download the stamped exception scan, for the applicant and reviewers in scope."""
        application = db.session.scalar(
            db.select(Application).where(
                Application.id == application_id, applications_condition(g.user)
            )
        )
        if application is None or not application.exception_scan_path:
            abort(404)
        root = Path(current_app.config["UPLOAD_FOLDER"])
        try:
            stream = open_stored(root, application.exception_scan_path)
        except (FileNotFoundError, ValueError) as error:
            log.warning("exception scan of application id=%s unavailable: %s", application.id, error)
            abort(404)
        return send_stored(stream, application.exception_scan_type, application.exception_scan_name)

    @staticmethod
    def _discard(claim: ExceptionClaim | None) -> None:
        if claim is not None and claim.scan_path:
            delete_stored(Path(current_app.config["UPLOAD_FOLDER"]), claim.scan_path)

    def _store_claim(self, form: SubmissionForm, check) -> ExceptionClaim | None:
        upload = form.exception_scan.data
        try:
            stored = store_upload(
                Path(current_app.config["UPLOAD_FOLDER"]),
                upload.stream,
                upload.filename or "",
                allowed=SCAN_KINDS,
                max_bytes=current_app.config["EVIDENCE_MAX_BYTES"],
            )
        except UploadRejected as error:
            check.add("exception_scan", error.message)
            return None
        return ExceptionClaim(
            exception_type=form.exception_type.data,
            reason=form.exception_reason.data,
            scan_path=stored.relative_path,
            scan_name=stored.original_name,
            scan_content_type=stored.content_type,
        )

    def _render(self, form: SubmissionForm, budget, check):
        for name, messages in check.errors.items():
            field = getattr(form, name, None)
            if field is not None:
                field.errors = list(field.errors) + messages
        return self.render_template(
            "submit.html",
            form=form,
            budget=budget,
            check=check,
            form_errors=check.errors.get("form", []),
        )
