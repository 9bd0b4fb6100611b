"""The common base of the organisation-tree and title-catalogue screens.

The screens are FAB ModelViews, restricted in three ways that FAB does not do
by itself:

- Only users who see every unit (the talent centre, the superadmin) pass,
  whatever permissions their role grants, because the tree and the catalogue
  are shared by all units.
- FAB 5.3's list actions (`action`, `action_post`) load rows by primary key
  without the view's filters and fail with a 500 on an unknown action. Here
  they check the action's permission, reject an unknown action with 400 and a
  missing or malformed id with 404, and accept POST only.
- Deletion is rejected with a Chinese message while anything refers to the
  record, and deactivation is offered instead.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import ModelView, expose

# Aliased, because the class defines FAB's `action` endpoint under that name.
from flask_appbuilder.actions import action as list_action
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2Widget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.hooks import before_request
from sqlalchemy import inspect

from .admin_catalogue_usage import ChangeRejected, ensure_unused
from .extensions import db
from .ids import parse_id
from .scope import sees_everything

log = logging.getLogger(__name__)

REQUIRED = "此项为必填项"
ACTIVE_LABELS = {True: "启用", False: "停用"}


def active_label(value: Any) -> str:
    return ACTIVE_LABELS.get(bool(value), "")


def optional_id(value: Any) -> Optional[int]:
    return parse_id(value)


def text_widget() -> BS3TextFieldWidget:
    return BS3TextFieldWidget()


def select_widget() -> Select2Widget:
    return Select2Widget()


def attach_problems(form: DynamicForm, problems: dict[str, str]) -> bool:
    """Show each {field name: message} under its field; return True if none."""
    for field_name, message in problems.items():
        field = getattr(form, field_name)
        field.errors = [*field.errors, message]
    return not problems


def old_value(record: Any, attribute: str) -> Any:
    """Return an attribute's value before the unflushed change, or the current one."""
    history = inspect(record).attrs[attribute].history
    return history.deleted[0] if history.deleted else getattr(record, attribute)


class CatalogueModelView(ModelView):
    """A ModelView over reference data, for users who see every unit."""

    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]
    page_size = 50
    add_row_message = "已新增"
    edit_row_message = "已保存"
    delete_row_message = "已删除"
    formatters_columns = {"active": active_label}

    @before_request
    def require_global_scope(self):
        """Reject users without global scope (403) and malformed ids (404)."""
        user = g.user
        if user is None or not user.is_authenticated:
            # FAB's has_access sends anonymous users to the login page.
            return None
        if not sees_everything(user):
            log.warning(
                "user=%s without global scope rejected on %s", user.id, request.path
            )
            abort(403)
        pk = (request.view_args or {}).get("pk")
        if pk is not None and parse_id(pk) is None:
            abort(404)
        return None

    def get_or_404(self, pk: Any):
        record_id = parse_id(pk)
        record = db.session.get(self.datamodel.obj, record_id) if record_id else None
        if record is None:
            abort(404)
        return record

    def _authorise_action(self, name: str) -> None:
        if name not in self.actions:
            abort(400)
        user = g.user
        if user is None or not user.is_authenticated:
            abort(redirect(url_for("PlatformAuthDBView.login", next=request.url)))
        permission = self.get_action_permission_name(name)
        if not self.appbuilder.sm.has_access(permission, self.class_permission_name):
            log.warning(
                "user=%s rejected for action %s on %s", user.id, name, self.endpoint
            )
            abort(403)

    @expose("/action/<string:name>/<pk>", methods=["POST"])
    def action(self, name: str, pk: str):
        """Run an action on one record, from its show page."""
        self._authorise_action(name)
        record = self.get_or_404(pk)
        return self.actions[name].func([record])

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        """Run an action on the records ticked in the list."""
        name = request.form.get("action", "")
        self._authorise_action(name)
        values = list(dict.fromkeys(request.form.getlist("rowid")))
        if not values:
            flash("请先勾选要处理的记录。", "warning")
            return redirect(self.get_redirect())
        records = [self.get_or_404(value) for value in values]
        return self.actions[name].func(records)

    # Actions. Subclasses implement `deactivate_records` and `reactivate_records`,
    # which return the messages to show.

    @list_action(
        "deactivate",
        "停用",
        "停用后不再出现在选择列表中，历史数据保留。确定停用所选记录吗？",
        "fa-ban",
    )
    def deactivate(self, records):
        return self._finish_action(self.deactivate_records(list(records)))

    @list_action("reactivate", "启用", "确定启用所选记录吗？", "fa-check")
    def reactivate(self, records):
        return self._finish_action(self.reactivate_records(list(records)))

    def deactivate_records(self, records: list) -> list[tuple[str, str]]:
        raise NotImplementedError

    def reactivate_records(self, records: list) -> list[tuple[str, str]]:
        raise NotImplementedError

    def _finish_action(self, messages: list[tuple[str, str]]):
        for category, message in messages:
            flash(message, category)
        return redirect(self.get_redirect())

    def pre_delete(self, item) -> None:
        try:
            ensure_unused(item, item.name)
        except ChangeRejected:
            log.info(
                "delete of %s id=%s by user=%s rejected: in use",
                self.endpoint,
                item.id,
                g.user.id,
            )
            raise
        self.record_delete(item)

    def record_delete(self, item) -> None:
        raise NotImplementedError
