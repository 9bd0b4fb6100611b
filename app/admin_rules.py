"""系统管理: the rule-set screen, and the menu of the window and help-page screens.

`register` adds three views: RuleSetAdminView here, SubmissionWindowAdminView
from `app.windows` and HelpPageAdminView from `app.help_pages`. The views
parse requests and render pages, while `app.ruleset_store` and
`app.ruleset_form` store, publish and check rule sets. The superadmin gets
every permission from FAB, and the talent-centre administrator gets the ones
in PERMISSIONS.
"""

from __future__ import annotations

import json
import logging

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name

from . import help_pages, rules, ruleset_store, windows
from .extensions import db
from .glossary import RoleName
from .help_pages import HelpPageAdminView
from .models import RuleSetVersion
from .ruleset_form import (
    BLANK_EXCEPTION_ROWS,
    EXCEPTION_PREFIX,
    FormErrors,
    apply_form,
    build_ruleset,
    error_lines,
    format_offsets,
    parse_json_text,
)
from .windows import SubmissionWindowAdminView

log = logging.getLogger(__name__)

MENU_CATEGORY = "系统管理"
RULESET_MENU = "规则集管理"
WINDOW_MENU = "申报时间"
HELP_MENU = "帮助页面"

# Role name → [(permission, view or menu name)] this module's screens need;
# app.roles merges them into the seeded roles.
PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    RoleName.TALENT_CENTRE: [
        ("can_list", "RuleSetAdminView"),
        ("can_show", "RuleSetAdminView"),
        ("can_edit", "RuleSetAdminView"),
        ("can_publish", "RuleSetAdminView"),
        ("can_list", "SubmissionWindowAdminView"),
        ("can_edit", "SubmissionWindowAdminView"),
        ("can_delete", "SubmissionWindowAdminView"),
        ("can_list", "HelpPageAdminView"),
        ("can_edit", "HelpPageAdminView"),
        ("menu_access", MENU_CATEGORY),
        ("menu_access", RULESET_MENU),
        ("menu_access", WINDOW_MENU),
        ("menu_access", HELP_MENU),
    ],
}


def _version_or_404(version_id: int) -> RuleSetVersion:
    row = db.session.get(RuleSetVersion, version_id)
    if row is None:
        abort(404)
    return row


class RuleSetAdminView(BaseView):
    """规则集管理: versions per policy year, the editing form, publishing."""

    route_base = "/admin/rulesets"
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        grouped = ruleset_store.versions_by_year()
        current = {}
        for year, rows in grouped.items():
            published = [row for row in rows if row.status == ruleset_store.PUBLISHED]
            current[year] = published[0].label if published else None
        return self.render_template(
            "admin/rules/rulesets.html",
            grouped=grouped,
            current=current,
            status_labels=ruleset_store.STATUS_LABELS,
            digest=ruleset_store.data_digest,
            file_years=rules.available_policy_years(),
        )

    @expose("/<int:version_id>")
    @has_access
    def show(self, version_id: int):
        row = _version_or_404(version_id)
        return self._render_editor(row, row.data, FormErrors(), readonly=True)

    @expose("/<int:version_id>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, version_id: int):
        """Show the structured form. A POST saves it as the year's draft."""
        row = _version_or_404(version_id)
        draft = ruleset_store.draft_of(row.policy_year)
        # A POST goes on to the save, whose draft check reports the conflict.
        if (
            request.method == "GET"
            and row.status == ruleset_store.PUBLISHED
            and draft is not None
        ):
            flash(
                f"{row.policy_year}年度已有草稿，请在草稿上修改，或先发布、删除草稿",
                "warning",
            )
            return redirect(url_for(".edit", version_id=draft.id))
        if request.method == "GET":
            return self._render_editor(row, row.data, FormErrors())

        data, errors = apply_form(row.data, request.form)
        return self._save(row, data, errors)

    @expose("/<int:version_id>/json", methods=["POST"])
    @has_access
    @permission_name("edit")
    def edit_json(self, version_id: int):
        """Save the advanced editor's JSON text as the year's draft."""
        row = _version_or_404(version_id)
        text = request.form.get("ruleset_json", "")
        data, errors = parse_json_text(text)
        if data is not None and data.get("policy_year") != row.policy_year:
            errors.add(
                "policy_year",
                f"政策年度应为 {row.policy_year}；其他年度请在列表页用【新建年度】创建",
            )
        if data is None or errors:
            return self._render_editor(row, row.data, errors, json_text=text)
        return self._save(row, data, errors, json_text=text)

    def _save(self, row: RuleSetVersion, data, errors: FormErrors, json_text=None):
        ruleset = build_ruleset(data, errors)
        if ruleset is None:
            flash("未保存：请按提示修改后再保存", "danger")
            return self._render_editor(row, data, errors, json_text=json_text)

        try:
            draft = ruleset_store.save_draft(
                g.user,
                row.policy_year,
                ruleset,
                request.form.get("note", ""),
                request.form.get("draft_digest", ""),
                row.label,
            )
        except ruleset_store.DraftChanged as error:
            log.warning(
                "ruleset draft save rejected year=%s base=%s by user=%s: draft changed",
                row.policy_year,
                row.label,
                g.user.id,
            )
            flash(error.message, "danger")
            return self._render_editor(row, data, errors, json_text=json_text)

        problems = ruleset.validate()
        if problems:
            flash(
                f"草稿已保存，但有 {len(problems)} 处需要修正，修正前不能发布",
                "warning",
            )
        else:
            flash("草稿已保存，检查无误后可以发布", "success")
        return redirect(url_for(".edit", version_id=draft.id))

    @expose("/<int:version_id>/publish", methods=["POST"])
    @has_access
    def publish(self, version_id: int):
        row = _version_or_404(version_id)
        data = row.data
        try:
            published = ruleset_store.publish_draft(
                g.user, row, request.form.get("draft_digest", "")
            )
        except (ruleset_store.DraftChanged, ruleset_store.PublishConflict) as error:
            log.warning(
                "ruleset publish rejected id=%s by user=%s: %s",
                version_id,
                g.user.id,
                type(error).__name__,
            )
            flash(error.message, "danger")
            return redirect(url_for(".list"))
        except rules.InvalidRuleSetError as error:
            errors = FormErrors()
            errors.extend(error.errors)
            log.info(
                "ruleset publish rejected id=%s by user=%s errors=%d",
                row.id,
                g.user.id,
                len(error.errors),
            )
            flash(
                f"未发布：规则集有 {len(error.errors)} 处错误，请修正后再发布", "danger"
            )
            return self._render_editor(row, data, errors)

        flash(f"已发布 {published.label}，此后未提交的申报按新版本计算", "success")
        return redirect(url_for(".list"))

    @expose("/<int:version_id>/discard", methods=["POST"])
    @has_access
    @permission_name("edit")
    def discard(self, version_id: int):
        row = _version_or_404(version_id)
        try:
            ruleset_store.discard_draft(
                g.user, row, request.form.get("draft_digest", "")
            )
        except ruleset_store.DraftChanged as error:
            log.warning(
                "ruleset discard rejected id=%s by user=%s: draft changed",
                version_id,
                g.user.id,
            )
            flash(error.message, "danger")
        else:
            flash(f"已删除{row.policy_year}年度的草稿", "success")
        return redirect(url_for(".list"))

    @expose("/new", methods=["POST"])
    @has_access
    @permission_name("edit")
    def new_year(self):
        """Start a policy year's first draft from the rules that apply to it today."""
        raw = request.form.get("policy_year", "").strip()
        year = int(raw) if raw.isdigit() else None
        bounds = (ruleset_store.MIN_POLICY_YEAR, ruleset_store.MAX_POLICY_YEAR)
        if year is None or not bounds[0] <= year <= bounds[1]:
            flash(
                f"政策年度“{raw[:10]}”无效，应为 {bounds[0]} 至 {bounds[1]} 之间的年份",
                "danger",
            )
            return redirect(url_for(".list"))
        if year in ruleset_store.versions_by_year():
            flash(f"{year}年度已有规则集，请在列表中修改", "warning")
            return redirect(url_for(".list"))
        try:
            draft = ruleset_store.new_year_draft(g.user, year)
        except LookupError:
            flash("还没有可复制的已发布规则集，请先导入内置规则集", "danger")
            return redirect(url_for(".list"))
        except ruleset_store.DraftChanged as error:
            flash(error.message, "danger")
            return redirect(url_for(".list"))
        flash(f"已创建{year}年度规则集草稿", "success")
        return redirect(url_for(".edit", version_id=draft.id))

    @expose("/import", methods=["POST"])
    @has_access
    @permission_name("edit")
    def import_defaults(self):
        """Insert the built-in JSON rule sets for years that have no version yet."""
        labels = ruleset_store.seed_default_rulesets(g.user)
        if labels:
            flash("已导入内置规则集 " + "、".join(labels), "success")
        else:
            flash("每个年度都已有规则集，没有导入", "info")
        return redirect(url_for(".list"))

    def _render_editor(
        self, row, data, errors: FormErrors, readonly=False, json_text=None
    ):
        draft = ruleset_store.draft_of(row.policy_year)
        if json_text is None:
            json_text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
        exception_rows = list(data.get("exception_types", []))
        exception_rows += [{"code": "", "label": ""}] * BLANK_EXCEPTION_ROWS
        return self.render_template(
            "admin/rules/ruleset_edit.html",
            row=row,
            data=data,
            errors=errors,
            error_lines=error_lines(data, errors),
            readonly=readonly or not self._may_edit(),
            may_publish=self._may("can_publish"),
            status_labels=ruleset_store.STATUS_LABELS,
            draft_digest=ruleset_store.data_digest(draft.data if draft else None),
            exception_rows=exception_rows,
            exception_prefix=EXCEPTION_PREFIX,
            format_offsets=format_offsets,
            table_columns=_table_columns,
            option_label=_option_label,
            json_text=json_text,
        )

    def _may(self, permission: str) -> bool:
        return self.appbuilder.sm.has_access(permission, self.class_permission_name)

    def _may_edit(self) -> bool:
        return self._may("can_edit")


def _table_columns(rows: dict) -> list[str]:
    """Return the columns of a conversion table in the order they first appear."""
    columns: list[str] = []
    for cells in rows.values():
        columns.extend(column for column in cells if column not in columns)
    return columns


def _option_label(category: dict, code: str) -> str:
    """Return the label of the first choice option with this code, for table rows."""
    for spec in category.get("inputs", []):
        for option in spec.get("options", []):
            if option.get("code") == code:
                return option.get("label", code)
    return code


def register(appbuilder) -> None:
    """Add this module's views, menu links and the home page's window helper."""
    from .audit import register_actions

    register_actions(
        {
            **ruleset_store.AUDIT_ACTIONS,
            **windows.AUDIT_ACTIONS,
            **help_pages.AUDIT_ACTIONS,
        },
        {"submission_window": "申报时间", "help_page": "帮助页面"},
    )
    # The home page reads the window state through this helper.
    current_app.add_template_global(windows.window_state, "submission_window")

    for view, name, href, icon in (
        (RuleSetAdminView(), RULESET_MENU, "/admin/rulesets/", "fa-sliders"),
        (SubmissionWindowAdminView(), WINDOW_MENU, "/admin/windows/", "fa-calendar"),
        (HelpPageAdminView(), HELP_MENU, "/admin/help/", "fa-book"),
    ):
        appbuilder.add_view_no_menu(view)
        appbuilder.add_link(
            name,
            href=href,
            icon=icon,
            category=MENU_CATEGORY,
            category_label=MENU_CATEGORY,
        )
