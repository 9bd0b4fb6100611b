"""系统管理: the organisation tree, the title catalogue and their Excel imports.

The screens are for the talent centre (人才中心管理员) and the superadmin (超级
管理员, who gets every permission from FAB). They live in:

- app.admin_catalogue_unit_view: 单位管理, over app.admin_catalogue_units;
- app.admin_catalogue_title_views: 职称等级, 职称系列, 分支专业, 职称, over
  app.admin_catalogue_titles;
- app.admin_catalogue_import_view: 批量导入 of units and reviewer accounts,
  over app.imports and the two *_import modules.
"""

from __future__ import annotations

from .glossary import RoleName

MENU_CATEGORY = "系统管理"

# (view class name, menu name, icon) in menu order.
MODEL_VIEWS = (
    ("UnitView", "单位管理", "fa-sitemap"),
    ("TitleLevelView", "职称等级", "fa-signal"),
    ("TitleSeriesView", "职称系列", "fa-list"),
    ("SubspecialtyView", "分支专业", "fa-code-fork"),
    ("TitleView", "职称", "fa-graduation-cap"),
)
IMPORT_MENU = "批量导入"

_CRUD = (
    "can_list",
    "can_show",
    "can_add",
    "can_edit",
    "can_delete",
    "deactivate",
    "reactivate",
)

# Role name → [(permission, view or menu name)] this module's screens need;
# app.roles merges them into the seeded roles.
PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    RoleName.TALENT_CENTRE: [
        *[(permission, view) for view, _, _ in MODEL_VIEWS for permission in _CRUD],
        ("can_move", "UnitView"),
        ("can_index", "CatalogueImportView"),
        ("can_template", "CatalogueImportView"),
        ("can_upload", "CatalogueImportView"),
        ("menu_access", MENU_CATEGORY),
        *[("menu_access", menu) for _, menu, _ in MODEL_VIEWS],
        ("menu_access", IMPORT_MENU),
    ],
}


def register(appbuilder) -> None:
    """Add this module's views to `appbuilder`."""
    from . import admin_catalogue_titles, admin_catalogue_units
    from .admin_catalogue_import_view import CatalogueImportView
    from .admin_catalogue_title_views import (
        SubspecialtyView,
        TitleLevelView,
        TitleSeriesView,
        TitleView,
    )
    from .admin_catalogue_unit_view import UnitView
    from .audit import register_actions

    classes = {
        view.__name__: view
        for view in (
            UnitView,
            TitleLevelView,
            TitleSeriesView,
            SubspecialtyView,
            TitleView,
        )
    }
    for class_name, menu, icon in MODEL_VIEWS:
        appbuilder.add_view(
            classes[class_name],
            menu,
            icon=icon,
            category=MENU_CATEGORY,
            category_label=MENU_CATEGORY,
        )
    appbuilder.add_view(
        CatalogueImportView,
        IMPORT_MENU,
        icon="fa-upload",
        category=MENU_CATEGORY,
        category_label=MENU_CATEGORY,
    )
    register_actions(
        {
            **admin_catalogue_units.AUDIT_LABELS,
            **admin_catalogue_titles.AUDIT_LABELS,
            "import.units": "批量导入单位",
            "import.reviewers": "批量导入审核员账号",
            "account.import": "导入审核员账号",
        }
    )
