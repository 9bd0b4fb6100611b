"""FAB's role screens (角色列表), with every change written to the audit log.

Roles live in the database and FAB checks them on every request, so an edit
here takes effect at each user's next request. Only the superadmin has the
permissions of these screens (see `app.roles`).
"""

from __future__ import annotations

import logging

from flask import current_app, g
from flask_appbuilder.actions import action
from flask_appbuilder.security.views import RoleModelView
from sqlalchemy import inspect

from .audit import record_audit
from .extensions import db
from .roles import ROLE_PERMISSIONS

log = logging.getLogger(__name__)


def _permission_names(permission_views) -> list[str]:
    return sorted(str(permission_view) for permission_view in permission_views)


class AuditedRoleModelView(RoleModelView):
    """FAB's RoleModelView, with the same URLs and permission names, audited."""

    class_permission_name = "RoleModelView"

    def pre_add(self, item) -> None:
        db.session.add(item)
        db.session.flush()
        record_audit(
            g.user,
            "role.create",
            "role",
            item.id,
            f"新增角色：{item.name}",
            details={"permissions": _permission_names(item.permissions)},
        )

    def pre_update(self, item) -> None:
        state = inspect(item)
        permissions = state.attrs.permissions.history
        name = state.attrs.name.history
        # The platform finds its seeded roles by name (scope, ranks, seeding),
        # so they keep their names; only their permissions are edited.
        seeded = set(ROLE_PERMISSIONS) | {
            current_app.config["AUTH_ROLE_ADMIN"],
            current_app.config["AUTH_ROLE_PUBLIC"],
        }
        if name.has_changes() and name.deleted and list(name.deleted)[0] in seeded:
            raise ValueError(f"系统角色“{list(name.deleted)[0]}”不能改名，只能修改其权限")
        if not (permissions.has_changes() or name.has_changes()):
            return

        details = {
            "added": _permission_names(permissions.added),
            "removed": _permission_names(permissions.deleted),
        }
        if name.has_changes():
            details["renamed_from"] = list(name.deleted)[0] if name.deleted else None
        record_audit(
            g.user, "role.update", "role", item.id, f"修改角色：{item.name}",
            details=details,
        )
        log.info("role %s changed by %s", item.id, g.user.id)

    def pre_delete(self, item) -> None:
        # FAB raises instead of deleting a role that accounts still have.
        super().pre_delete(item)
        record_audit(g.user, "role.delete", "role", item.id, f"删除角色：{item.name}")

    @action(
        "copyrole",
        "复制角色",
        "确定复制所选角色吗？",
        icon="fa-copy",
        single=False,
    )
    def copy_role(self, items):
        response = super().copy_role(items)
        security = self.appbuilder.sm
        for item in items:
            copy = security.find_role(item.name + " copy")
            if copy is not None:
                record_audit(
                    g.user, "role.create", "role", copy.id,
                    f"复制角色：{item.name} → {copy.name}",
                    details={"permissions": _permission_names(copy.permissions)},
                )
        db.session.commit()
        return response
