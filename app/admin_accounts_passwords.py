"""Password resets by administrators, changing one's own password, and the
session checks that follow from both.

- An administrator's reset (重置密码) sets `must_change_password`, and until
  the user has chosen a new password every page redirects to 修改密码.
- A session stores a keyed digest of the password hash it logged in with.
  When the password changes anywhere else, that session ends at its next
  request, so a reset also ends every session opened with the old password.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Optional

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.views import ResetMyPasswordView, ResetPasswordView
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_login import logout_user
from werkzeug.security import check_password_hash
from wtforms import PasswordField, ValidationError
from wtforms.validators import DataRequired, EqualTo

from .admin_accounts import account_label, hash_password
from .admin_accounts_scope import manageable_accounts_or_404
from .audit import record_audit
from .extensions import db
from .identity import PASSWORD_RULE_TEXT, check_password
from .ids import parse_id
from .models import Account

log = logging.getLogger(__name__)

STAMP_KEY = "_password_stamp"


def password_stamp(account: Account) -> str:
    """Return a digest of the account's password hash and session epoch, keyed with SECRET_KEY.

    A new password or a disabling (which raises the epoch) changes the digest
    and so ends every session signed before. The session cookie is signed but
    readable, so it stores this digest and never the hash itself.
    """
    key = current_app.config["SECRET_KEY"].encode()
    message = f"{account.password or ''}|{account.session_epoch or 0}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def remember_password_stamp(sender, user: Account, **extra) -> None:
    """Store the stamp at login (connected to Flask-Login's `user_logged_in`)."""
    session[STAMP_KEY] = password_stamp(user)


def check_session() -> Optional[object]:
    """End sessions whose password changed; send users who must change it there.

    Runs before every request, after FAB has set `g.user`. Returns a redirect
    or None to let the request through.
    """
    user = g.user
    if user is None or not getattr(user, "is_authenticated", False):
        return None

    security = current_app.appbuilder.sm
    login_endpoint = security.auth_view.__class__.__name__ + ".login"
    stamp = session.get(STAMP_KEY)
    if stamp is None or not hmac.compare_digest(stamp, password_stamp(user)):
        logout_user()
        session.pop(STAMP_KEY, None)
        flash("登录已失效（密码已修改或账号曾被禁用），请重新登录。", "warning")
        return redirect(url_for(login_endpoint))

    if not user.must_change_password:
        return None

    change_view = security.resetmypasswordview.__name__
    allowed = {
        f"{change_view}.this_form_get",
        f"{change_view}.this_form_post",
        security.auth_view.__class__.__name__ + ".logout",
    }
    endpoint = request.endpoint or ""
    if endpoint in allowed or endpoint == "static" or endpoint.endswith(".static"):
        return None
    # An unknown URL still shows its 404 page.
    if not endpoint:
        return None
    flash("您的密码由管理员设置，请先修改密码，再继续使用平台。", "warning")
    return redirect(url_for(f"{change_view}.this_form_get"))


class NewPasswordForm(DynamicForm):
    """A new password typed twice, for the account named by `pk` in the URL.

    FAB's complexity validator runs `app._fab_password_validator`, which finds
    that account from `pk` and applies the platform's policy to it.
    """

    password = PasswordField(
        "新密码",
        description=PASSWORD_RULE_TEXT,
        validators=[DataRequired(), PasswordComplexityValidator()],
        widget=BS3PasswordFieldWidget(),
    )
    conf_password = PasswordField(
        "确认新密码",
        validators=[EqualTo("password", message="两次输入的密码必须一致。")],
        widget=BS3PasswordFieldWidget(),
    )


class ChangeOwnPasswordForm(DynamicForm):
    """The signed-in user's new password, checked against their own identity.

    The policy is applied here rather than through FAB's complexity validator,
    because `app._fab_password_validator` finds the account of this form only
    under FAB's endpoint name, ResetMyPasswordView.
    """

    password = PasswordField(
        "新密码",
        description=PASSWORD_RULE_TEXT,
        validators=[DataRequired()],
        widget=BS3PasswordFieldWidget(),
    )
    conf_password = PasswordField(
        "确认新密码",
        validators=[EqualTo("password", message="两次输入的密码必须一致。")],
        widget=BS3PasswordFieldWidget(),
    )

    def validate_password(self, field) -> None:
        user = g.user
        problems = check_password(
            field.data or "",
            username=user.username,
            id_number=user.id_number,
            mobile=user.mobile,
        )
        if problems:
            raise ValidationError("".join(problems))

        # A password an administrator typed must not stay in use.
        if check_password_hash(user.password, field.data or ""):
            raise ValidationError("新密码不能与当前密码相同。")


class ChangeOwnPasswordView(ResetMyPasswordView):
    """修改密码: every signed-in user changes their own password here."""

    class_permission_name = "ResetMyPasswordView"
    form = ChangeOwnPasswordForm
    form_title = "修改密码"

    def form_post(self, form) -> None:
        account = db.session.get(Account, g.user.id)
        forced = account.must_change_password
        account.password = hash_password(form.password.data)
        account.must_change_password = False
        record_audit(
            account,
            "account.change_password",
            "account",
            account.id,
            f"修改本人密码：{account_label(account)}",
            unit_id=account.unit_id,
            details={"after_reset": forced},
        )
        db.session.commit()
        # This session stays signed in; other sessions of the account end.
        session[STAMP_KEY] = password_stamp(account)
        log.info("account %s changed its own password", account.id)
        flash("密码已修改。", "success")


class ResetAccountPasswordView(ResetPasswordView):
    """重置密码: an administrator sets a new password for an account it manages.

    The account must change that password at its next login.
    """

    class_permission_name = "ResetPasswordView"
    form = NewPasswordForm

    @expose("/form", methods=["GET"])
    @has_access
    def this_form_get(self):
        account = self._account_or_404()
        return self._render(self.form.refresh(), account)

    @expose("/form", methods=["POST"])
    @has_access
    def this_form_post(self):
        account = self._account_or_404()
        form = self.form.refresh()
        if not form.validate_on_submit():
            return self._render(form, account)

        account.password = hash_password(form.password.data)
        account.must_change_password = True
        account.changed_by_fk = g.user.id
        record_audit(
            g.user,
            "account.reset_password",
            "account",
            account.id,
            f"重置密码：{account_label(account)}，下次登录须修改密码",
            unit_id=account.unit_id,
        )
        db.session.commit()
        log.info("password of account %s reset by %s", account.id, g.user.id)
        flash(f"已重置 {account.full_name} 的密码，该账号下次登录时须修改密码。", "success")
        user_view = self.appbuilder.sm.user_view.__class__.__name__
        return redirect(url_for(f"{user_view}.show", pk=account.id))

    @staticmethod
    def _account_or_404() -> Account:
        record_id = parse_id(request.args.get("pk"))
        if record_id is None:
            abort(404)
        return manageable_accounts_or_404([db.session.get(Account, record_id)])[0]

    def _render(self, form, account: Account):
        self._init_vars()
        widgets = self._get_edit_widget(form=form)
        return self.render_template(
            self.form_template,
            title=f"重置密码：{account_label(account)}",
            widgets=widgets,
            appbuilder=self.appbuilder,
        )
