"""职称目录: levels, series, sub-specialties and titles as FAB ModelViews.

Each add form takes the code, which never changes. Each edit form changes
the name and the display order only, because profiles and applications refer
to the entry's level and series. Every rule is in app.admin_catalogue_titles.
"""

from __future__ import annotations

from typing import Optional

from flask import g
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.interface import SQLAInterface
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Optional as OptionalValue

from . import admin_catalogue_titles as titles
from .admin_catalogue_base import (
    REQUIRED,
    CatalogueModelView,
    attach_problems,
    old_value,
    optional_id,
    select_widget,
    text_widget,
)
from .extensions import db
from .ids import parse_id
from .models import Subspecialty, Title, TitleLevel, TitleSeries
from .text import clean_text

CODE_HELP = (
    "小写字母、数字和下划线，以字母开头，例如 senior_engineer。编码创建后不能修改。"
)


def _code_field() -> StringField:
    return StringField(
        "编码",
        validators=[InputRequired(REQUIRED)],
        widget=text_widget(),
        description=CODE_HELP,
    )


def _name_field() -> StringField:
    return StringField(
        "名称", validators=[InputRequired(REQUIRED)], widget=text_widget()
    )


def _order_field() -> IntegerField:
    return IntegerField(
        "排序",
        default=0,
        validators=[OptionalValue()],
        widget=text_widget(),
        description="按此数字从小到大排列。",
    )


def _choices(model: type, order) -> list[tuple[str, str]]:
    rows = db.session.scalars(
        db.select(model).where(model.active.is_(True)).order_by(order)
    )
    return [("", "请选择")] + [(str(row.id), row.name) for row in rows]


class CatalogueForm(DynamicForm):
    """An add or edit form that cleans its code and name before the checks run."""

    def clean(self) -> None:
        if hasattr(self, "code"):
            self.code.data = (self.code.data or "").strip().lower()
        if hasattr(self, "name"):
            self.name.data = clean_text(self.name.data)
        for field_name in ("sort_order",):
            if hasattr(self, field_name) and getattr(self, field_name).data is None:
                getattr(self, field_name).data = 0

    def record_id(self) -> Optional[int]:
        """Return the id of the record being edited; FAB stores it as `_id`."""
        return parse_id(getattr(self, "_id", None))

    def check(self) -> dict[str, str]:
        return {}

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        self.clean()
        return attach_problems(self, self.check())


class TitleLevelAddForm(CatalogueForm):
    code = _code_field()
    name = _name_field()
    rank = IntegerField(
        "排序级别",
        validators=[InputRequired(REQUIRED)],
        widget=text_widget(),
        description="正整数，级别越高数字越大（初级为 1）。创建后不能修改。",
    )

    def check(self) -> dict[str, str]:
        problems = {}
        for field_name, message in (
            ("code", titles.code_problem(TitleLevel, self.code.data)),
            ("name", titles.level_name_problem(self.name.data)),
            ("rank", titles.rank_problem(self.rank.data)),
        ):
            if message:
                problems[field_name] = message
        return problems


class TitleLevelEditForm(CatalogueForm):
    name = _name_field()

    def check(self) -> dict[str, str]:
        message = titles.level_name_problem(self.name.data, self.record_id())
        return {"name": message} if message else {}


class TitleSeriesAddForm(CatalogueForm):
    code = _code_field()
    name = _name_field()
    sort_order = _order_field()

    def check(self) -> dict[str, str]:
        problems = {}
        for field_name, message in (
            ("code", titles.code_problem(TitleSeries, self.code.data)),
            ("name", titles.series_name_problem(self.name.data)),
        ):
            if message:
                problems[field_name] = message
        return problems


class TitleSeriesEditForm(CatalogueForm):
    name = _name_field()
    sort_order = _order_field()

    def check(self) -> dict[str, str]:
        message = titles.series_name_problem(self.name.data, self.record_id())
        return {"name": message} if message else {}


def subspecialty_parent_choices() -> list[tuple[str, str]]:
    """Offer the active top-level sub-specialties, labelled with their series."""
    rows = db.session.scalars(
        db.select(Subspecialty)
        .where(Subspecialty.active.is_(True), Subspecialty.parent_id.is_(None))
        .order_by(Subspecialty.series_id, Subspecialty.sort_order, Subspecialty.id)
    )
    return [("", "无（一级分支专业）")] + [
        (str(row.id), f"{row.series.name} / {row.name}") for row in rows
    ]


class SubspecialtyAddForm(CatalogueForm):
    series_id = SelectField(
        "职称系列", coerce=optional_id, validate_choice=False, widget=select_widget()
    )
    parent_id = SelectField(
        "上级分支专业",
        coerce=optional_id,
        validate_choice=False,
        widget=select_widget(),
        description="可选。分支专业最多两级；有下级的分支专业不能在个人信息中选择。",
    )
    code = _code_field()
    name = _name_field()
    sort_order = _order_field()

    @classmethod
    def refresh(cls, obj=None):
        form = cls(obj=obj)
        form.series_id.choices = _choices(TitleSeries, TitleSeries.sort_order)
        form.parent_id.choices = subspecialty_parent_choices()
        return form

    def check(self) -> dict[str, str]:
        return titles.check_new_subspecialty(
            self.series_id.data, self.parent_id.data, self.code.data, self.name.data
        )


class SubspecialtyEditForm(CatalogueForm):
    name = _name_field()
    sort_order = _order_field()

    def check(self) -> dict[str, str]:
        record = db.session.get(Subspecialty, self.record_id())
        if record is None:
            return {"name": "分支专业不存在。"}
        message = titles.subspecialty_name_problem(
            record.series_id, record.parent_id, self.name.data, record.id
        )
        return {"name": message} if message else {}


class TitleAddForm(CatalogueForm):
    series_id = SelectField(
        "职称系列", coerce=optional_id, validate_choice=False, widget=select_widget()
    )
    level_id = SelectField(
        "职称等级", coerce=optional_id, validate_choice=False, widget=select_widget()
    )
    code = _code_field()
    name = _name_field()
    legacy = BooleanField(
        "已停评", description="已不再评定的职称只能作为现职称，不能作为拟申报职称。"
    )

    @classmethod
    def refresh(cls, obj=None):
        form = cls(obj=obj)
        form.series_id.choices = _choices(TitleSeries, TitleSeries.sort_order)
        form.level_id.choices = _choices(TitleLevel, TitleLevel.rank)
        return form

    def check(self) -> dict[str, str]:
        return titles.check_new_title(
            self.series_id.data, self.level_id.data, self.code.data, self.name.data
        )


class TitleEditForm(CatalogueForm):
    name = _name_field()
    legacy = BooleanField(
        "已停评", description="已不再评定的职称只能作为现职称，不能作为拟申报职称。"
    )

    def check(self) -> dict[str, str]:
        record = db.session.get(Title, self.record_id())
        if record is None:
            return {"name": "职称不存在。"}
        message = titles.title_name_problem(record.series_id, self.name.data, record.id)
        return {"name": message} if message else {}


class TitleCatalogueView(CatalogueModelView):
    """The base of the four catalogue screens: audit, deletion and activation."""

    def pre_add(self, item) -> None:
        titles.finish_new_entry(g.user, item)

    def pre_update(self, item) -> None:
        old_name = old_value(item, "name")
        if old_name != item.name:
            titles.record_rename(g.user, item, old_name)

    def record_delete(self, item) -> None:
        titles.record_delete(g.user, item)

    def deactivate_records(self, records: list) -> list[tuple[str, str]]:
        outcome = titles.deactivate_entries(g.user, records)
        if not outcome.changed:
            return [("info", "所选记录已是停用状态。")]
        names = "、".join(entry.name for entry in outcome.changed)
        message = f"已停用{names}"
        if outcome.members:
            message += f"，及其下 {outcome.members} 项"
        return [("success", message + "。")]

    def reactivate_records(self, records: list) -> list[tuple[str, str]]:
        outcome = titles.reactivate_entries(g.user, records)
        messages = [("danger", message) for message in outcome.rejected]
        if outcome.changed:
            names = "、".join(entry.name for entry in outcome.changed)
            messages.append(("success", f"已启用{names}；其下各项的状态不变。"))
        elif not outcome.rejected:
            messages.append(("info", "所选记录已是启用状态。"))
        return messages


LABELS = {
    "code": "编码",
    "name": "名称",
    "rank": "排序级别",
    "sort_order": "排序",
    "series": "职称系列",
    "series_id": "职称系列",
    "level": "职称等级",
    "level_id": "职称等级",
    "parent": "上级分支专业",
    "parent_id": "上级分支专业",
    "selectable": "可在个人信息中选择",
    "legacy": "已停评",
    "active": "状态",
}


def _yes_no(value) -> str:
    return "是" if value else "否"


class TitleLevelView(TitleCatalogueView):
    route_base = "/catalogue/title-levels"
    datamodel = SQLAInterface(TitleLevel)
    list_title = "职称等级"
    show_title = "查看职称等级"
    add_title = "新增职称等级"
    edit_title = "修改职称等级"
    list_columns = ["code", "name", "rank", "active"]
    show_columns = list_columns
    add_columns = ["code", "name", "rank"]
    edit_columns = ["name"]
    search_columns = ["name", "code", "active"]
    base_order = ("rank", "asc")
    label_columns = LABELS
    add_form = TitleLevelAddForm
    edit_form = TitleLevelEditForm


class TitleSeriesView(TitleCatalogueView):
    route_base = "/catalogue/title-series"
    datamodel = SQLAInterface(TitleSeries)
    list_title = "职称系列"
    show_title = "查看职称系列"
    add_title = "新增职称系列"
    edit_title = "修改职称系列"
    list_columns = ["code", "name", "sort_order", "active"]
    show_columns = list_columns
    add_columns = ["code", "name", "sort_order"]
    edit_columns = ["name", "sort_order"]
    search_columns = ["name", "code", "active"]
    base_order = ("sort_order", "asc")
    label_columns = LABELS
    add_form = TitleSeriesAddForm
    edit_form = TitleSeriesEditForm


class SubspecialtyView(TitleCatalogueView):
    route_base = "/catalogue/subspecialties"
    datamodel = SQLAInterface(Subspecialty)
    list_title = "分支专业"
    show_title = "查看分支专业"
    add_title = "新增分支专业"
    edit_title = "修改分支专业"
    list_columns = ["code", "name", "series", "parent", "selectable", "active"]
    show_columns = [*list_columns, "sort_order"]
    add_columns = ["series_id", "parent_id", "code", "name", "sort_order"]
    edit_columns = ["name", "sort_order"]
    search_columns = ["name", "code", "series", "active"]
    base_order = ("series_id", "asc")
    label_columns = LABELS
    formatters_columns = {
        **TitleCatalogueView.formatters_columns,
        "selectable": _yes_no,
    }
    add_form = SubspecialtyAddForm
    edit_form = SubspecialtyEditForm


class TitleView(TitleCatalogueView):
    route_base = "/catalogue/titles"
    datamodel = SQLAInterface(Title)
    list_title = "职称"
    show_title = "查看职称"
    add_title = "新增职称"
    edit_title = "修改职称"
    list_columns = ["code", "name", "series", "level", "legacy", "active"]
    show_columns = list_columns
    add_columns = ["series_id", "level_id", "code", "name", "legacy"]
    edit_columns = ["name", "legacy"]
    search_columns = ["name", "code", "series", "level", "legacy", "active"]
    base_order = ("series_id", "asc")
    label_columns = LABELS
    formatters_columns = {**TitleCatalogueView.formatters_columns, "legacy": _yes_no}
    add_form = TitleAddForm
    edit_form = TitleEditForm
