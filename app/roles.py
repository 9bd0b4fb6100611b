"""The platform's roles and the least privilege each needs.

Roles live in the database so administrators can edit them on FAB's role
screens; seeding only adds what is missing, so an edit made on screen is not
undone by the next `platform setup`. The superadmin is FAB's admin role,
which FAB grants every permission.
"""

from __future__ import annotations

import logging

from flask import current_app

from .glossary import RoleName

log = logging.getLogger(__name__)

# Every signed-in account changes its own password and sees the help pages.
COMMON = [
    ("can_this_form_get", "ResetMyPasswordView"),
    ("can_this_form_post", "ResetMyPasswordView"),
    ("can_userinfo", "UserDBModelView"),
    ("resetmypassword", "UserDBModelView"),
    ("can_show", "PageView"),
    ("menu_access", "帮助"),
    ("menu_access", "操作手册"),
    ("menu_access", "相关政策"),
    ("menu_access", "修改密码"),
    ("menu_access", "退出系统"),
]

EMPLOYEE = COMMON + [
    ("can_edit", "ProfileView"),
    ("can_show", "PhotoView"),
    ("can_upload", "PhotoView"),
    ("can_list", "ActivityView"),
    ("can_category_list", "ActivityView"),
    ("can_add", "ActivityView"),
    ("can_edit", "ActivityView"),
    ("can_delete", "ActivityView"),
    ("can_upload_evidence", "ActivityView"),
    ("can_download", "EvidenceView"),
    ("can_delete", "EvidenceView"),
    ("can_budget", "SubmissionView"),
    ("can_submit", "SubmissionView"),
    ("can_exception_scan", "SubmissionView"),
    ("menu_access", "学时折算"),
    ("menu_access", "业绩填报"),
    ("menu_access", "预算学时"),
]

# The talent centre sees every unit's applications but does not decide them.
VIEWER = COMMON + [
    ("can_list", "ReviewView"),
    ("can_detail", "ReviewView"),
    ("can_download", "EvidenceView"),
    ("can_exception_scan", "SubmissionView"),
    ("can_qualified", "ExportView"),
    ("can_report", "ExportView"),
    ("menu_access", "审核管理"),
    ("menu_access", "学时折算审核"),
    # The talent centre decides the summary certificates of province-level
    # units. app.certificates checks which units each decider may act on.
    ("can_list", "CertificateView"),
    ("can_download", "CertificateView"),
    ("can_review", "CertificateView"),
    ("can_decide", "CertificateView"),
    ("menu_access", "认定汇总证明"),
]

REVIEWER = VIEWER + [
    ("can_action", "ReviewView"),
    ("can_upload", "CertificateView"),
]

ROLE_PERMISSIONS = {
    RoleName.EMPLOYEE: EMPLOYEE,
    RoleName.CITY_REVIEWER: REVIEWER,
    RoleName.PROVINCE_REVIEWER: REVIEWER,
    RoleName.TALENT_CENTRE: VIEWER,
}


def module_permissions() -> dict[str, list[tuple[str, str]]]:
    """Collect the permissions that the administration modules declare per role."""
    from . import admin_accounts, admin_catalogue, admin_rules, audit_views

    merged: dict[str, list[tuple[str, str]]] = {}
    for module in (admin_accounts, admin_catalogue, admin_rules, audit_views):
        for role_name, permissions in module.PERMISSIONS.items():
            merged.setdefault(role_name, []).extend(permissions)
    return merged


def seed_roles() -> None:
    """Write FAB's permissions, create the roles and add any missing permissions."""
    appbuilder = current_app.appbuilder
    security = appbuilder.sm
    # The admin role must exist before FAB writes permissions, because FAB
    # grants each new permission to it as it goes.
    security.add_role(current_app.config["AUTH_ROLE_ADMIN"])
    security.add_role(current_app.config["AUTH_ROLE_PUBLIC"])
    appbuilder.add_permissions(update_perms=True)
    extra = module_permissions()
    for role_name in ROLE_PERMISSIONS.keys() | extra.keys():
        permissions = ROLE_PERMISSIONS.get(role_name, []) + extra.get(role_name, [])
        role = security.find_role(role_name) or security.add_role(role_name)
        for permission_name, view_name in permissions:
            permission_view = security.find_permission_view_menu(
                permission_name, view_name
            )
            if permission_view is None:
                permission_view = security.add_permission_view_menu(
                    permission_name, view_name
                )
            if permission_view not in role.permissions:
                security.add_permission_role(role, permission_view)
    log.info("seeded roles %s", ", ".join(ROLE_PERMISSIONS))
