"""Account management (用户列表) for the superadmin and the talent centre.

`AccountView` replaces FAB's user screen (`PlatformSecurityManager.userdbmodelview`)
and keeps its URLs under /users/ and its permission names on
"UserDBModelView", so that FAB's own links (用户信息, 修改密码) keep working.
Every screen and action is limited to the accounts the signed-in
administrator may manage (`app.admin_accounts_scope`), and every change is
written to the audit log in the same transaction. The rules themselves are in
`app.admin_accounts_policy`.
"""

from __future__ import annotations

import logging
import re
from typing import Optional

from flask import abort, current_app, flash, g, redirect, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterInFunction
from flask_appbuilder.security.views import UserDBModelView
from flask_appbuilder.validators import PasswordComplexityValidator
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash
from wtforms import PasswordField, validators

from . import admin_accounts_policy as policy
from .admin_accounts_forms import (
    changed_fields,
    validate_roles,
    validate_username,
    with_unit_check,
)
from .admin_accounts_scope import (
    ManageableAccountsFilter,
    active_superadmin_ids,
    grantable_role_names,
    manageable_accounts_or_404,
    role_names_of,
)
from .audit import record_audit, register_actions
from .extensions import db
from .glossary import RoleName
from .identity import PASSWORD_RULE_TEXT, mask_id_number
from .models import Account

log = logging.getLogger(__name__)

ID_NUMBER_PATTERN = re.compile(r"[0-9]{17}[0-9X]")

ACCOUNT_VIEW = "UserDBModelView"
RESET_VIEW = "ResetPasswordView"

# Permissions of the talent centre on the account screens. The superadmin is
# FAB's admin role, which receives every permission when roles are seeded.
# The role and permission screens are left out on purpose.
PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    RoleName.TALENT_CENTRE: [
        ("can_list", ACCOUNT_VIEW),
        ("can_show", ACCOUNT_VIEW),
        ("can_add", ACCOUNT_VIEW),
        ("can_edit", ACCOUNT_VIEW),
        ("disable", ACCOUNT_VIEW),
        ("enable", ACCOUNT_VIEW),
        ("resetpasswords", ACCOUNT_VIEW),
        ("can_this_form_get", RESET_VIEW),
        ("can_this_form_post", RESET_VIEW),
        ("menu_access", "Security"),
        ("menu_access", "List Users"),
    ],
}

# Audit action codes of this module and their labels on the log screen.
AUDIT_ACTIONS = {
    "account.create": "新增账号",
    "account.update": "修改账号",
    "account.disable": "禁用账号",
    "account.enable": "启用账号",
    "account.reset_password": "重置密码",
    "account.change_password": "修改本人密码",
    "role.create": "新增角色",
    "role.update": "修改角色",
    "role.delete": "删除角色",
}


def hash_password(password: str) -> str:
    """Hash a password with the method FAB's own forms use."""
    config = current_app.config
    return generate_password_hash(
        password,
        method=config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
        salt_length=config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16),
    )


def _mask_if_id_number(username: str) -> str:
    """Mask an employee's username, which is their ID-card number."""
    if ID_NUMBER_PATTERN.fullmatch(username or ""):
        return mask_id_number(username)
    return username


def _format_time(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def account_label(account: Account) -> str:
    return f"{account.full_name}（{account.username}）"


# The screen ----------------------------------------------------------------


class AccountView(UserDBModelView):
    """用户列表: list, create and edit accounts; disable, enable, reset passwords."""

    class_permission_name = ACCOUNT_VIEW
    # Accounts are disabled, never deleted: applications, review events and
    # audit entries refer to them.
    exclude_route_methods = {"delete"}
    base_filters = [["id", ManageableAccountsFilter, lambda: None]]
    # Newest first, so an account just created is on the first page.
    base_order = ("id", "desc")

    list_title = "用户列表"
    show_title = "查看用户"
    add_title = "新增用户"
    edit_title = "修改用户"

    list_columns = ["first_name", "username", "unit", "roles", "active"]
    search_columns = ["first_name", "username", "unit", "roles", "active"]
    show_columns = [
        "first_name",
        "username",
        "unit",
        "roles",
        "active",
        "must_change_password",
        "last_login",
        "login_count",
        "fail_login_count",
        "created_on",
        "changed_on",
    ]
    show_fieldsets = None
    add_columns = ["first_name", "username", "roles", "unit", "password", "conf_password"]
    edit_columns = ["first_name", "roles", "unit"]
    label_columns = {
        "first_name": "姓名",
        "username": "用户名",
        "unit": "单位",
        "roles": "角色",
        "active": "状态",
        "must_change_password": "下次登录须修改密码",
        "last_login": "最近登录时间",
        "login_count": "登录次数",
        "fail_login_count": "连续登录失败次数",
        "created_on": "创建时间",
        "changed_on": "修改时间",
        "password": "初始密码",
        "conf_password": "确认密码",
    }
    description_columns = {
        "username": policy.USERNAME_RULE_TEXT
        + "员工账号由本人注册，用户名是身份证号。",
        "roles": "每个账号一个角色，只能授予不高于您自己角色的角色。",
        "unit": (
            "地市级审核员绑定地市级审核单位，省公司级审核员绑定省公司级单位；"
            "人才中心管理员和超级管理员不绑定单位。"
        ),
    }
    formatters_columns = {
        "username": lambda username: _mask_if_id_number(username),
        "unit": lambda unit: unit.name if unit else "全部单位",
        "roles": lambda roles: "、".join(role.name for role in roles),
        "active": lambda active: "启用" if active else "已禁用",
        "must_change_password": lambda value: "是" if value else "否",
        "login_count": lambda count: count or 0,
        "fail_login_count": lambda count: count or 0,
        # FAB stores these in the server's local time.
        "last_login": lambda moment: _format_time(moment),
        "created_on": lambda moment: _format_time(moment),
        "changed_on": lambda moment: _format_time(moment),
    }
    validators_columns = {
        "username": [validate_username],
        "roles": [validate_roles],
    }
    add_form_extra_fields = {
        "password": PasswordField(
            "初始密码",
            description=PASSWORD_RULE_TEXT + "账号首次登录时须修改密码。",
            validators=[validators.DataRequired(), PasswordComplexityValidator()],
            widget=BS3PasswordFieldWidget(),
        ),
        "conf_password": PasswordField(
            "确认密码",
            validators=[
                validators.DataRequired(),
                validators.EqualTo("password", message="两次输入的密码必须一致。"),
            ],
            widget=BS3PasswordFieldWidget(),
        ),
    }
    add_form_query_rel_fields = {
        "roles": [["name", FilterInFunction, grantable_role_names]],
        "unit": [["active", FilterEqual, True]],
    }
    edit_form_query_rel_fields = add_form_query_rel_fields

    def _init_forms(self) -> None:
        super()._init_forms()
        self.add_form = with_unit_check(self.add_form)
        self.edit_form = with_unit_check(self.edit_form)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        names = ["resetpasswords", "disable" if item.active else "enable"]
        actions = {name: self.actions[name] for name in names}
        widgets = self._get_show_widget(pk, item, actions=actions)
        self.update_redirect()
        return self.render_template(
            self.show_template,
            pk=pk,
            title=self.show_title,
            widgets=widgets,
            appbuilder=self.appbuilder,
            related_views=self._related_views,
        )

    def pre_add(self, item: Account) -> None:
        """Complete a new account and record it; it must change its password first."""
        item.password = hash_password(item.password)
        item.last_name = ""
        # FAB requires a unique e-mail address; the platform sends no e-mail.
        item.email = f"{item.username}@account.invalid"
        item.active = True
        item.must_change_password = True
        item.created_by_fk = g.user.id
        db.session.add(item)
        try:
            db.session.flush()
        except IntegrityError:
            # Another request created the same username after the form's check.
            db.session.rollback()
            log.warning("account %r not created: username taken", item.username)
            raise ValueError("保存失败：该用户名已被使用，请换一个。") from None

        role_names = [role.name for role in item.roles]
        unit = item.unit.name if item.unit else "全部单位"
        record_audit(
            g.user,
            "account.create",
            "account",
            item.id,
            f"新增账号：{account_label(item)}，角色 {'、'.join(role_names)}，单位 {unit}",
            unit_id=item.unit_id,
            details={"roles": role_names, "unit": unit},
        )
        log.info("account %s created by %s", item.id, g.user.id)

    def pre_update(self, item: Account) -> None:
        """Record what the edit changes, in the transaction FAB commits next."""
        super().pre_update(item)
        changes = changed_fields(item)
        if not changes:
            return

        record_audit(
            g.user,
            "account.update",
            "account",
            item.id,
            f"修改账号：{account_label(item)}",
            unit_id=item.unit.id if item.unit else None,
            details={"changes": changes},
        )
        log.info("account %s changed by %s: %s", item.id, g.user.id, sorted(changes))

    @action("resetpasswords", "重置密码", "", "fa-lock", multiple=False)
    def resetpasswords(self, item):
        account = manageable_accounts_or_404([item])[0]
        return redirect(
            url_for(
                self.appbuilder.sm.resetpasswordview.__name__ + ".this_form_get",
                pk=account.id,
            )
        )

    @action(
        "disable",
        "禁用",
        "确定禁用所选账号吗？账号将立即退出登录，也不能再登录，可以随时重新启用。",
        "fa-ban",
    )
    def disable(self, items):
        return self._set_active(items, active=False)

    @action("enable", "启用", "确定启用所选账号吗？", "fa-check")
    def enable(self, items):
        return self._set_active(items, active=True)

    def _set_active(self, items, active: bool):
        """Disable or enable accounts, all or none of them, and record each change."""
        single = not isinstance(items, list)
        accounts = manageable_accounts_or_404([items] if single else items)
        back = url_for(".show", pk=accounts[0].id) if single else url_for(".list")

        changed = [account for account in accounts if account.active != active]
        problem = None if active else self._disable_problem(changed)
        if problem:
            db.session.rollback()
            log.info("disabling accounts %s rejected: %s", [a.id for a in changed], problem)
            flash(problem, "danger")
            return redirect(back)

        verb = "启用" if active else "禁用"
        for account in changed:
            account.active = active
            if not active:
                account.session_epoch = (account.session_epoch or 0) + 1
            account.changed_by_fk = g.user.id
            record_audit(
                g.user,
                "account.enable" if active else "account.disable",
                "account",
                account.id,
                f"{verb}账号：{account_label(account)}",
                unit_id=account.unit_id,
            )
        db.session.commit()
        log.info(
            "accounts %s %s by %s",
            [account.id for account in changed],
            "enabled" if active else "disabled",
            g.user.id,
        )

        if changed:
            names = "、".join(account.full_name for account in changed)
            flash(f"已{verb} {len(changed)} 个账号：{names}", "success")
        else:
            flash(f"所选账号已是{verb}状态，没有变化。", "info")
        return redirect(back)

    @staticmethod
    def _disable_problem(accounts: list[Account]) -> Optional[str]:
        superadmins = [
            account
            for account in accounts
            if RoleName.SUPERADMIN in role_names_of(account)
        ]
        if superadmins:
            remaining = active_superadmin_ids(excluding=[a.id for a in accounts])
            problem = policy.last_superadmin_problem(
                superadmins[0].full_name, len(remaining), "disable"
            )
            if problem:
                return problem

        if any(account.id == g.user.id for account in accounts):
            return "不能禁用当前登录的账号。"
        return None


def register(appbuilder) -> None:
    """Register this module's audit labels.

    The account, password and role screens themselves are FAB's security
    views, which `PlatformSecurityManager` replaces and FAB registers.
    """
    register_actions(AUDIT_ACTIONS)
