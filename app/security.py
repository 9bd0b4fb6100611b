"""Authentication: the platform's user model and login by ID-card or mobile number."""

from __future__ import annotations

import logging
from typing import Optional

from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import AuthDBView
from sqlalchemy import select

from .identity import InvalidValue, normalize_id_number, normalize_mobile
from .models import Account

log = logging.getLogger(__name__)


class PlatformAuthDBView(AuthDBView):
    """FAB's database login with the platform's page: ID or mobile, and 立即注册."""

    login_template = "security/login.html"


class PlatformSecurityManager(SecurityManager):
    user_model = Account
    authdbview = PlatformAuthDBView

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
        return super().auth_user_db(self.resolve_login_name(username), password)
