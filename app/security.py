"""Authentication: the platform's user model, login by ID-card or mobile number,
login rate limits, and the platform's versions of FAB's security screens."""

from __future__ import annotations

import logging
import math
import time
from typing import Optional

from flask import current_app, flash, g, has_request_context, make_response, request
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import AuthDBView
from flask_limiter import RequestLimit
from flask_limiter.util import get_remote_address
from flask_login import user_logged_in
from sqlalchemy import func, select

from .admin_accounts import AccountView
from .admin_accounts_passwords import (
    ChangeOwnPasswordView,
    ResetAccountPasswordView,
    check_session,
    remember_password_stamp,
)
from .admin_accounts_roles import AuditedRoleModelView
from .identity import InvalidValue, normalize_id_number, normalize_mobile
from .models import Account

log = logging.getLogger(__name__)


class PlatformAuthDBView(AuthDBView):
    """FAB's database login with the platform's page: ID or mobile, and 立即注册."""

    login_template = "security/login.html"

    def render_rate_limited(self, limit: RequestLimit):
        """Return the login page with HTTP 429, saying when to try again."""
        seconds = max(0, limit.reset_at - time.time())
        minutes = max(1, math.ceil(seconds / 60))
        flash(f"登录失败次数过多，已暂停登录，请 {minutes} 分钟后再试。", "danger")
        page = self.render_template(
            self.login_template,
            title=self.title,
            form=LoginForm_db(),
            appbuilder=self.appbuilder,
        )
        response = make_response(page, 429)
        response.headers["Retry-After"] = str(math.ceil(seconds))
        return response


class NoJsonLoginSecurityApi(SecurityApi):
    """FAB's security API without its routes.

    FAB always registers POST /api/v1/security/login and /refresh, which
    issue JWTs without any rate limit. The platform has no API clients, so
    neither route exists.
    """

    exclude_route_methods = {"login", "refresh"}


class PlatformSecurityManager(SecurityManager):
    user_model = Account
    authdbview = PlatformAuthDBView
    userdbmodelview = AccountView
    resetpasswordview = ResetAccountPasswordView
    resetmypasswordview = ChangeOwnPasswordView
    rolemodelview = AuditedRoleModelView
    security_api = NoJsonLoginSecurityApi

    def __init__(self, appbuilder):
        super().__init__(appbuilder)
        user_logged_in.connect(remember_password_stamp, current_app._get_current_object())

    @staticmethod
    def before_request():
        """Set `g.user` as FAB does, then apply the platform's session checks."""
        SecurityManager.before_request()
        return check_session()

    def register_views(self) -> None:
        super().register_views()
        self._limit_failed_logins()

    # FAB queries the database once per permission it checks, and a page's menu
    # and buttons check a few dozen. The pairs of the user's roles are read in
    # one query and kept for the rest of the request, so a role edited on
    # screen still takes effect on the next request.

    def _role_permission_pairs(self, role_ids: list[int]) -> frozenset[tuple[str, str]]:
        """Return the (permission, view) name pairs granted to the roles, once per request."""
        cache = g.setdefault("_permission_pairs", {}) if has_request_context() else {}
        key = tuple(sorted(role_ids))
        if key not in cache:
            role = self.role_model
            permission_view = self.permissionview_model
            rows = self.session.execute(
                select(self.permission_model.name, self.viewmenu_model.name)
                .select_from(role)
                .join(role.permissions)
                .join(permission_view.permission)
                .join(permission_view.view_menu)
                .where(role.id.in_(role_ids))
            )
            cache[key] = frozenset((permission, view) for permission, view in rows)
        return cache[key]

    def _has_view_access(self, user, permission_name: str, view_name: str) -> bool:
        roles = self.get_user_roles(user)
        if any(
            role.name in self.builtin_roles
            and self._has_access_builtin_roles(role, permission_name, view_name)
            for role in roles
        ):
            return True
        role_ids = [role.id for role in roles if role.name not in self.builtin_roles]
        return bool(role_ids) and (
            (permission_name, view_name) in self._role_permission_pairs(role_ids)
        )

    def _get_user_permission_view_menus(self, user, permission_name: str, view_menus_name):
        roles = [self.get_public_role()] if user is None else self.get_user_roles(user)
        names = set(view_menus_name or ())
        result = {
            name
            for role in roles
            if role.name in self.builtin_roles
            for name in names
            if self._has_access_builtin_roles(role, permission_name, name)
        }
        role_ids = [role.id for role in roles if role.name not in self.builtin_roles]
        if role_ids:
            pairs = self._role_permission_pairs(role_ids)
            result.update(name for name in names if (permission_name, name) in pairs)
        return result

    def get_public_role(self):
        """Return the public role, read once per request."""
        if not has_request_context():
            return super().get_public_role()
        if "_public_role" not in g:
            g._public_role = super().get_public_role()
        return g._public_role

    def _limit_failed_logins(self) -> None:
        """Count failed logins per account and per client address.

        Only a failed attempt counts (`deduct_when`), and the limits are
        tested before the login view runs, so a limited attempt gets HTTP 429
        and its password is never checked. The counters live in
        RATELIMIT_STORAGE_URI, which app servers share through Redis.
        FAB's own AUTH_RATE_LIMITED stays off: it would count every POST.
        """
        config = current_app.config
        blueprint = self.auth_view.blueprint
        for setting, key_func in (
            ("LOGIN_RATE_LIMIT_PER_ACCOUNT", self._login_account_key),
            ("LOGIN_RATE_LIMIT_PER_ADDRESS", _login_address_key),
        ):
            self.limiter.limit(
                config[setting],
                key_func=key_func,
                methods=["POST"],
                deduct_when=_login_failed,
                on_breach=self.auth_view.render_rate_limited,
            )(blueprint)

    def _login_account_key(self) -> str:
        """Return one counter key per account, whatever form of its name was typed.

        FAB finds usernames case-insensitively, so the key is the account's id
        when the name resolves to one, and the lowercased name otherwise.
        """
        name = self.resolve_login_name(request.form.get("username", ""))
        account_id = self.session.scalar(
            select(Account.id).where(func.lower(Account.username) == name.lower())
        )
        if account_id is not None:
            return f"account:{account_id}"
        return "account:" + name.lower()

    def resolve_login_name(self, login: str) -> str:
        """Map what a user typed (ID-card number, mobile or username) to a username.

        Employees' usernames are their normalised ID-card numbers, so a typed
        lowercase x or a full-width digit still finds the account; a mobile
        number finds the account that registered it.
        """
        login = (login or "").strip()
        try:
            return normalize_id_number(login)
        except InvalidValue:
            pass
        try:
            mobile = normalize_mobile(login)
        except InvalidValue:
            return login
        username = self.session.scalar(
            select(Account.username).where(Account.mobile == mobile)
        )
        return username or login

    def auth_user_db(self, username: str, password: str) -> Optional[Account]:
        user = super().auth_user_db(self.resolve_login_name(username), password)
        if user is None:
            g.login_failed = True
        return user


def _login_address_key() -> str:
    # Behind a reverse proxy this is the client's address only when
    # PROXY_FIX_HOPS names the proxies (app.serving); otherwise it is the proxy's.
    return "address:" + (get_remote_address() or "")


def _login_failed(response) -> bool:
    return bool(g.get("login_failed"))
