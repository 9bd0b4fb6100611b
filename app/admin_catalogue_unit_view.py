"""单位管理: the organisation tree on screen, as a FAB ModelView over Unit.

Adding and renaming go through FAB's forms; moving under another parent has
its own page, because it rewrites the paths of a whole subtree. Every rule is
in app.admin_catalogue_units.
"""

from __future__ import annotations

import logging

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.interface import SQLAInterface
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Optional as OptionalValue

from . import admin_catalogue_unit_move as moves
from . import admin_catalogue_units as units
from .admin_catalogue_base import (
    REQUIRED,
    CatalogueModelView,
    attach_problems,
    old_value,
    optional_id,
    select_widget,
    text_widget,
)
from .admin_catalogue_usage import ChangeRejected, count_references
from .catalog_data import UNIT_KIND_LABELS, UNIT_LEVEL_LABELS
from .extensions import db
from .ids import parse_id
from .models import Unit
from .text import clean_text

log = logging.getLogger(__name__)


def unit_choice_label(unit: Unit) -> str:
    """Label a unit in a select by its chain of names, e.g. "东北区域 / 国网辽宁…"."""
    return " / ".join(node.name for node in unit.ancestors())


def parent_choices() -> list[tuple[str, str]]:
    """Offer every active unit above county level as a parent, in tree order."""
    rows = db.session.scalars(
        db.select(Unit)
        .where(Unit.active.is_(True), Unit.level != "county")
        .order_by(Unit.path)
    )
    return [("", "无（新增区域）")] + [
        (str(unit.id), f"{unit_choice_label(unit)}（{unit.code}）") for unit in rows
    ]


class UnitAddForm(DynamicForm):
    parent_id = SelectField(
        "上级单位",
        coerce=optional_id,
        validate_choice=False,
        widget=select_widget(),
        description="新单位的层级必须比上级单位低一级；区域没有上级单位。",
    )
    code = StringField(
        "单位编码",
        validators=[InputRequired(REQUIRED)],
        widget=text_widget(),
        description="上级单位编码加一段大写字母或数字，例如 NE-LN-FS-XB。编码创建后不能修改。",
    )
    name = StringField(
        "单位名称", validators=[InputRequired(REQUIRED)], widget=text_widget()
    )
    level = SelectField(
        "层级",
        choices=list(UNIT_LEVEL_LABELS.items()),
        validate_choice=False,
        widget=select_widget(),
    )
    kind = SelectField(
        "单位类型",
        choices=list(UNIT_KIND_LABELS.items()),
        validate_choice=False,
        widget=select_widget(),
    )
    sort_order = IntegerField(
        "排序",
        default=0,
        validators=[OptionalValue()],
        widget=text_widget(),
        description="同一上级单位下按此数字从小到大排列。",
    )

    @classmethod
    def refresh(cls, obj=None):
        form = cls(obj=obj)
        form.parent_id.choices = parent_choices()
        return form

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        self.code.data = (self.code.data or "").strip().upper()
        self.name.data = clean_text(self.name.data)
        if self.sort_order.data is None:
            self.sort_order.data = 0
        problems = units.check_new_unit(
            self.parent_id.data,
            self.code.data,
            self.name.data,
            self.level.data,
            self.kind.data,
        )
        return attach_problems(self, problems)


class UnitEditForm(DynamicForm):
    name = StringField(
        "单位名称", validators=[InputRequired(REQUIRED)], widget=text_widget()
    )
    sort_order = IntegerField(
        "排序", default=0, validators=[OptionalValue()], widget=text_widget()
    )

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        self.name.data = clean_text(self.name.data)
        if self.sort_order.data is None:
            self.sort_order.data = 0
        unit = db.session.get(Unit, parse_id(getattr(self, "_id", None)))
        message = units.check_rename(unit, self.name.data) if unit else "单位不存在。"
        return attach_problems(self, {"name": message} if message else {})


class UnitView(CatalogueModelView):
    """单位管理: list, add, rename, move, deactivate and reactivate units."""

    route_base = "/catalogue/units"
    datamodel = SQLAInterface(Unit)
    base_permissions = [*CatalogueModelView.base_permissions, "can_move"]

    list_title = "单位管理"
    show_title = "查看单位"
    add_title = "新增单位"
    edit_title = "修改单位名称"
    show_template = "admin/catalogue/unit_show.html"
    list_columns = ["code", "name", "level", "kind", "parent", "active"]
    show_columns = ["code", "name", "level", "kind", "parent", "sort_order", "active"]
    add_columns = ["parent_id", "code", "name", "level", "kind", "sort_order"]
    edit_columns = ["name", "sort_order"]
    search_columns = ["name", "code", "level", "active", "parent"]
    search_form_extra_fields = {
        "level": SelectField(
            "层级", choices=list(UNIT_LEVEL_LABELS.items()), widget=select_widget()
        ),
    }
    order_columns = ["code", "name", "level"]
    base_order = ("path", "asc")
    label_columns = {
        "code": "单位编码",
        "name": "单位名称",
        "level": "层级",
        "kind": "单位类型",
        "parent": "上级单位",
        "parent_id": "上级单位",
        "sort_order": "排序",
        "active": "状态",
    }
    formatters_columns = {
        **CatalogueModelView.formatters_columns,
        "level": lambda value: UNIT_LEVEL_LABELS.get(value, value),
        "kind": lambda value: UNIT_KIND_LABELS.get(value, value),
        "parent": lambda value: value.name if value is not None else "无",
    }
    add_form = UnitAddForm
    edit_form = UnitEditForm

    def pre_add(self, item: Unit) -> None:
        units.finish_new_unit(g.user, item)

    def pre_update(self, item: Unit) -> None:
        old_name = old_value(item, "name")
        if old_name != item.name:
            units.record_rename(g.user, item, old_name)

    def record_delete(self, item: Unit) -> None:
        units.record_delete(g.user, item)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        unit = self.get_or_404(pk)
        widgets = self._show(unit.id)
        return self.render_template(
            self.show_template,
            pk=unit.id,
            title=self.show_title,
            widgets=widgets,
            related_views=self._related_views,
            unit=unit,
            chain=unit.ancestors(),
            references=count_references(unit),
            can_move=self.appbuilder.sm.has_access(
                "can_move", self.class_permission_name
            ),
        )

    @expose("/move/<pk>", methods=["GET", "POST"])
    @has_access
    def move(self, pk):
        """调整上级单位: move a unit with its subtree under another parent."""
        unit = self.get_or_404(pk)
        error = None
        if request.method == "POST":
            try:
                outcome = moves.move_unit(
                    g.user, unit.id, parse_id(request.form.get("parent_id"))
                )
            except ChangeRejected as rejected:
                log.info(
                    "move of unit id=%s by user=%s rejected: %s",
                    unit.id,
                    g.user.id,
                    rejected.message,
                )
                error = rejected.message
            else:
                message = f"已将「{unit.name}」及其下级共 {outcome.units} 个单位移到新的上级单位下"
                if outcome.rerouted_applications:
                    message += f"，{outcome.rerouted_applications} 份审核中的申报已转到新的审核单位"
                flash(message + "。", "success")
                return redirect(url_for(".show", pk=unit.id))
            unit = self.get_or_404(pk)
        return self.render_template(
            "admin/catalogue/unit_move.html",
            title="调整上级单位",
            unit=unit,
            chain=unit.ancestors(),
            candidates=[
                (node, unit_choice_label(node)) for node in moves.move_candidates(unit)
            ],
            error=error,
        )

    def deactivate_records(self, records: list[Unit]) -> list[tuple[str, str]]:
        outcome = units.deactivate_units(g.user, records)
        if not outcome.changed:
            return [("info", "所选单位已是停用状态。")]
        names = "、".join(unit.name for unit in outcome.changed)
        return [("success", f"已停用{names}及其全部下级单位。")]

    def reactivate_records(self, records: list[Unit]) -> list[tuple[str, str]]:
        outcome = units.reactivate_units(g.user, records)
        messages = [("danger", message) for message in outcome.rejected]
        if outcome.changed:
            names = "、".join(unit.name for unit in outcome.changed)
            messages.append(("success", f"已启用{names}；其下级单位的状态不变。"))
        elif not outcome.rejected:
            messages.append(("info", "所选单位已是启用状态。"))
        return messages
