"""业绩填报: the employee's activities per rule-set category, with evidence scans."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from . import rules
from .extensions import db
from .forms import REQUIRED, EvidenceForm
from .glossary import ApplicationStatus, ScanType
from .hours import activity_values
from .ids import parse_id
from .models import Activity, Application, Evidence
from .ruleset_store import current_ruleset
from .scope import get_owned_or_404, may_see_records_of
from .storage import UploadRejected, delete_stored, open_stored, send_stored, store_upload

log = logging.getLogger(__name__)

EVIDENCE_KINDS = {"pdf", "jpeg", "png"}
MAX_EVIDENCE_PER_ACTIVITY = 10
INPUT_PREFIX = "in_"
EARLIEST_ACTIVITY_YEAR = 2000


def locked_years(owner_id: int) -> set[int]:
    """Return the years frozen by an application under review.

    After submission the records of the application's years are read-only,
    until the application is returned to the employee.
    """
    applications = db.session.scalars(
        select(Application).where(
            Application.applicant_id == owner_id,
            Application.status != ApplicationStatus.RETURNED.value,
        )
    )
    years: set[int] = set()
    for application in applications:
        years.update(int(year) for year in application.snapshot.get("years", {}))
    return years


def activity_form_class(category: rules.Category) -> type[FlaskForm]:
    """Build the form of one category: common fields plus the category's inputs."""

    class ActivityForm(FlaskForm):
        name = StringField(
            "名称",
            validators=[DataRequired(REQUIRED), Length(max=200, message="名称不能超过200个字")],
        )
        start_date = DateField(
            "开始日期",
            format="%Y-%m-%d",
            validators=[DataRequired("请输入日期，格式为 YYYY-MM-DD")],
            render_kw={"placeholder": "YYYY-MM-DD"},
        )
        end_date = DateField(
            "结束日期",
            format="%Y-%m-%d",
            validators=[Optional()],
            render_kw={"placeholder": "YYYY-MM-DD"},
        )
        remark = TextAreaField(
            "备注", validators=[Length(max=500, message="备注不能超过500个字")]
        )

        def validate_start_date(self, field: DateField) -> None:
            if field.data and field.data > dt.date.today():
                raise ValidationError("开始日期不能晚于今天")
            if field.data and field.data.year < EARLIEST_ACTIVITY_YEAR:
                raise ValidationError(f"开始日期不能早于{EARLIEST_ACTIVITY_YEAR}年")

        def validate_end_date(self, field: DateField) -> None:
            if field.data and self.start_date.data and field.data < self.start_date.data:
                raise ValidationError("结束日期不能早于开始日期")

    for spec in category.inputs:
        label = f"{spec.label}（{spec.unit}）" if spec.unit else spec.label
        if spec.kind == "choice":
            choices = [("", "请选择"), *[(o.code, o.label) for o in spec.options]]
            field = SelectField(label, choices=choices, validate_choice=False)
        else:
            field = StringField(label)
        setattr(ActivityForm, INPUT_PREFIX + spec.name, field)
    return ActivityForm


def category_or_404(ruleset: rules.RuleSet, code: str) -> rules.Category:
    try:
        return ruleset.category(code)
    except KeyError:
        abort(404)


class ActivityView(BaseView):
    """One page per category with 查询 by year, 新增, 修改, 删除 and evidence."""

    route_base = "/activities"
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        ruleset = current_ruleset()
        return redirect(url_for(".category_list", code=ruleset.categories[0].code))

    @expose("/<code>/")
    @has_access
    def category_list(self, code: str):
        ruleset = current_ruleset()
        category = category_or_404(ruleset, code)
        year = parse_id(request.args.get("year"))
        query = select(Activity).where(
            Activity.owner_id == g.user.id, Activity.category == code
        )
        if year is not None:
            query = query.where(Activity.year == year)
        activities = db.session.scalars(
            query.order_by(Activity.start_date.desc(), Activity.id.desc())
        ).all()
        lines = {}
        for activity in activities:
            values = activity_values(ruleset, activity)
            lines[activity.id] = rules.compute_activity(category, values) if values else None
        this_year = dt.date.today().year
        return self.render_template(
            "activities.html",
            ruleset=ruleset,
            category=category,
            activities=activities,
            lines=lines,
            year=year,
            years=list(range(this_year, this_year - 6, -1)),
            locked=locked_years(g.user.id),
            evidence_form=EvidenceForm(),
            scan_types=ScanType.choices(),
        )

    @expose("/<code>/add", methods=["GET", "POST"])
    @has_access
    def add(self, code: str):
        ruleset = current_ruleset()
        category = category_or_404(ruleset, code)
        form = activity_form_class(category)()
        if request.method == "POST":
            values = self._validate(form, category)
            if values is not None:
                activity = Activity(owner_id=g.user.id, category=code)
                self._apply(activity, form, values)
                db.session.add(activity)
                db.session.commit()
                log.info("activity added id=%s owner=%s", activity.id, g.user.id)
                flash("已保存", "success")
                return redirect(url_for(".category_list", code=code, year=activity.year))
        return self.render_template(
            "activity_form.html", form=form, category=category, activity=None
        )

    @expose("/<int:activity_id>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, activity_id: int):
        activity = get_owned_or_404(Activity, activity_id, g.user)
        ruleset = current_ruleset()
        category = category_or_404(ruleset, activity.category)
        form_class = activity_form_class(category)
        if activity.year in locked_years(g.user.id):
            flash(f"{activity.year}年的业绩已随申报提交，审核期间不能修改", "warning")
            return redirect(url_for(".category_list", code=activity.category))
        form = form_class(obj=activity) if request.method == "GET" else form_class()
        if request.method == "GET":
            for spec in category.inputs:
                raw = (activity.inputs or {}).get(spec.name)
                getattr(form, INPUT_PREFIX + spec.name).data = "" if raw is None else str(raw)
        else:
            values = self._validate(form, category)
            if values is not None:
                self._apply(activity, form, values)
                db.session.commit()
                log.info("activity changed id=%s owner=%s", activity.id, g.user.id)
                flash("已保存", "success")
                return redirect(url_for(".category_list", code=activity.category))
        return self.render_template(
            "activity_form.html", form=form, category=category, activity=activity
        )

    @expose("/<int:activity_id>/delete", methods=["POST"])
    @has_access
    def delete(self, activity_id: int):
        activity = get_owned_or_404(Activity, activity_id, g.user)
        code = activity.category
        if activity.year in locked_years(g.user.id):
            flash(f"{activity.year}年的业绩已随申报提交，审核期间不能删除", "warning")
            return redirect(url_for(".category_list", code=code))
        stored = [evidence.stored_path for evidence in activity.evidence]
        db.session.delete(activity)
        db.session.commit()
        root = Path(current_app.config["UPLOAD_FOLDER"])
        for path in stored:
            delete_stored(root, path)
        log.info("activity deleted id=%s owner=%s", activity_id, g.user.id)
        flash("已删除", "success")
        return redirect(url_for(".category_list", code=code))

    @expose("/<int:activity_id>/evidence", methods=["POST"])
    @has_access
    def upload_evidence(self, activity_id: int):
        activity = get_owned_or_404(Activity, activity_id, g.user)
        back = redirect(url_for(".category_list", code=activity.category))
        if activity.year in locked_years(g.user.id):
            flash(f"{activity.year}年的业绩已随申报提交，审核期间不能上传", "warning")
            return back
        form = EvidenceForm()
        form.scan_type.choices = ScanType.choices()
        if not form.validate():
            for field in form:
                for message in field.errors:
                    flash(f"{field.label.text}：{message}", "danger")
            return back
        if len(activity.evidence) >= MAX_EVIDENCE_PER_ACTIVITY:
            flash(f"每条业绩最多上传{MAX_EVIDENCE_PER_ACTIVITY}个佐证材料", "danger")
            return back
        root = Path(current_app.config["UPLOAD_FOLDER"])
        try:
            stored = store_upload(
                root,
                form.file.data.stream,
                form.file.data.filename or "",
                allowed=EVIDENCE_KINDS,
                max_bytes=current_app.config["EVIDENCE_MAX_BYTES"],
            )
        except UploadRejected as error:
            flash(f"佐证材料：{error.message}", "danger")
            return back
        evidence = Evidence(
            activity_id=activity.id,
            scan_type=form.scan_type.data,
            stored_path=stored.relative_path,
            original_name=stored.original_name,
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
        )
        db.session.add(evidence)
        db.session.commit()
        log.info("evidence uploaded id=%s activity=%s", evidence.id, activity.id)
        flash(f"已上传 {stored.original_name}", "success")
        return back

    @staticmethod
    def _validate(form: FlaskForm, category: rules.Category) -> dict | None:
        """Validate the common fields and the category's inputs together.

        A record may not be added to, or moved into, a year frozen by an
        application under review, and a count of days may not exceed the
        days between the start and end dates.
        """
        valid = form.validate()
        raw = {spec.name: getattr(form, INPUT_PREFIX + spec.name).data for spec in category.inputs}
        values, errors = rules.validate_inputs(category, raw)
        for name, message in errors.items():
            getattr(form, INPUT_PREFIX + name).errors.append(message)
        start, end = form.start_date.data, form.end_date.data
        if start is not None and start.year in locked_years(g.user.id):
            form.start_date.errors.append(
                f"{start.year}年的业绩已随申报提交，审核期间不能新增或移入该年度"
            )
            valid = False
        days = values.get("days")
        if days is not None and start is not None and end is not None:
            span = (end - start).days + 1
            if days > span:
                getattr(form, INPUT_PREFIX + "days").errors.append(
                    f"天数不能超过开始日期至结束日期的{span}天"
                )
                valid = False
        if not valid or errors:
            return None
        return values

    @staticmethod
    def _apply(activity: Activity, form: FlaskForm, values: dict) -> None:
        activity.name = form.name.data.strip()
        activity.start_date = form.start_date.data
        activity.end_date = form.end_date.data
        activity.remark = (form.remark.data or "").strip() or None
        # The activity counts in the year it took place, by its local date.
        activity.year = form.start_date.data.year
        # An optional input left empty is not stored, rather than as "None".
        activity.inputs = {
            name: str(value) for name, value in values.items() if value not in (None, "")
        }


class EvidenceView(BaseView):
    """Evidence downloads for the owner and for reviewers whose scope includes the owner."""

    route_base = "/evidence"

    @expose("/<int:evidence_id>/download")
    @has_access
    def download(self, evidence_id: int):
        evidence = db.session.get(Evidence, evidence_id)
        if evidence is None or not may_see_records_of(g.user, evidence.activity.owner_id):
            abort(404)
        root = Path(current_app.config["UPLOAD_FOLDER"])
        try:
            stream = open_stored(root, evidence.stored_path)
        except (FileNotFoundError, ValueError) as error:
            log.warning("evidence id=%s file unavailable: %s", evidence.id, error)
            abort(404)
        return send_stored(stream, evidence.content_type, evidence.original_name)

    @expose("/<int:evidence_id>/delete", methods=["POST"])
    @has_access
    def delete(self, evidence_id: int):
        evidence = db.session.get(Evidence, evidence_id)
        if evidence is None or evidence.activity.owner_id != g.user.id:
            abort(404)
        code = evidence.activity.category
        if evidence.activity.year in locked_years(g.user.id):
            flash("该年度业绩已随申报提交，审核期间不能删除佐证材料", "warning")
            return redirect(url_for("ActivityView.category_list", code=code))
        path = evidence.stored_path
        db.session.delete(evidence)
        db.session.commit()
        delete_stored(Path(current_app.config["UPLOAD_FOLDER"]), path)
        flash("已删除佐证材料", "success")
        return redirect(url_for("ActivityView.category_list", code=code))
