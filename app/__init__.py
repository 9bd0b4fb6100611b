"""The continuing-education credit-hour conversion platform (专业技术人员继续教育学时折算平台).

`create_app` builds a new Flask app with its own `AppBuilder` on each call, so
tests can build many apps in one process. Nothing is created at import time.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any, Mapping, Optional

from flask import Flask

from .extensions import csrf, db, migrate
from .ids import IdConverter

log = logging.getLogger(__name__)

# China has one time zone and no daylight saving time.
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


class InsecureConfiguration(RuntimeError):
    """Raised when the app would start in production with a development secret."""


def create_app(config_overrides: Optional[Mapping[str, Any]] = None) -> Flask:
    """Build the Flask app, its extensions, its views and its CLI commands."""
    import config as settings_module
    from flask_appbuilder import AppBuilder

    from . import cli, errors, serving, views
    from .security import PlatformSecurityManager

    app = Flask(
        __name__,
        instance_path=str(settings_module.INSTANCE_DIR),
        instance_relative_config=True,
    )
    # Registered before any view, so every `<int:...>` route uses it.
    app.url_map.converters["int"] = IdConverter
    app.config.update(settings_module.load_settings())
    if config_overrides:
        app.config.update(config_overrides)
    _refuse_default_secret(app, settings_module.DEFAULT_SECRET_KEY)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    Path(app.config["UPLOAD_FOLDER"]).mkdir(parents=True, exist_ok=True)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", _translation_dirs())
    app.config["FAB_PASSWORD_COMPLEXITY_ENABLED"] = True
    app.config["FAB_PASSWORD_COMPLEXITY_VALIDATOR"] = _fab_password_validator

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent.parent / "migrations"))
    csrf.init_app(app)

    with app.app_context():
        appbuilder = AppBuilder(
            security_manager_class=PlatformSecurityManager,
            indexview=views.HomeView,
            base_template="platform_base.html",
        )
        appbuilder.init_app(app, db.session)
        views.register(appbuilder)

    cli.register(app)
    errors.register(app)
    serving.register(app)
    _register_template_helpers(app)
    return app


def _refuse_default_secret(app: Flask, default_key: str) -> None:
    if app.config["SECRET_KEY"] == default_key and not (app.debug or app.testing):
        raise InsecureConfiguration(
            "SECRET_KEY is the development default; set the SECRET_KEY "
            "environment variable to a long random value before serving."
        )


def _translation_dirs() -> str:
    """Return the app's catalogue folder.

    FAB's BabelManager puts its own folder in front of this one, and
    Flask-Babel merges later catalogues over earlier ones, so the app's zh
    strings override and complete FAB's.
    """
    return str(Path(__file__).parent / "translations")


def _fab_password_validator(password: str) -> None:
    """Apply the platform's password policy on FAB's own password forms.

    FAB passes only the password, so the account it is for is found from the
    request: the username typed on the add-user form, the record being
    edited (`pk`), or the signed-in user changing their own password.
    """
    from flask import g, request
    from flask_appbuilder.exceptions import PasswordComplexityValidationError

    from .extensions import db
    from .ids import parse_id
    from .identity import check_password
    from .models import Account

    account = None
    record_id = parse_id((request.view_args or {}).get("pk") or request.args.get("pk"))
    if record_id is not None:
        account = db.session.get(Account, record_id)
    elif request.endpoint and request.endpoint.startswith("ResetMyPasswordView"):
        account = g.user if getattr(g.user, "is_authenticated", False) else None
    username = request.form.get("username") or (account.username if account else None)
    problems = check_password(
        password,
        username=username,
        id_number=account.id_number if account else None,
        mobile=account.mobile if account else None,
    )
    if problems:
        raise PasswordComplexityValidationError("".join(problems))


def _register_template_helpers(app: Flask) -> None:
    from .glossary import ScanType
    from .identity import mask_id_number
    from .rules import format_decimal

    @app.template_filter("ymd")
    def format_ymd(value: Any) -> str:
        return value.strftime("%Y-%m-%d") if value else ""

    @app.template_filter("ymd_hm")
    def format_ymd_hm(value: Any) -> str:
        """Show a stored UTC time in Beijing time, the platform's users' zone."""
        if not value:
            return ""
        local = value.replace(tzinfo=dt.timezone.utc).astimezone(BEIJING)
        return local.strftime("%Y-%m-%d %H:%M")

    app.jinja_env.filters["mask_id"] = mask_id_number
    app.jinja_env.filters["hours"] = format_decimal

    @app.template_global()
    def input_text(spec: Any, raw: Any) -> str:
        """Show a stored input as the form showed it: a choice by its label."""
        if raw is None or raw == "":
            return ""
        if spec.kind == "choice":
            option = spec.option(str(raw))
            return option.label if option else str(raw)
        return str(raw)

    @app.template_global()
    def action_label(action: str) -> str:
        from .workflow import TRANSITIONS

        if action == "submit_application":
            return "员工提交"
        transition = TRANSITIONS.get(action)
        return transition.label if transition else action

    @app.template_global()
    def status_label(code: str | None) -> str:
        from .glossary import ApplicationStatus

        if code is None:
            return "未提交"
        try:
            return ApplicationStatus(code).label
        except ValueError:
            return code

    @app.template_global()
    def scan_label(code: str) -> str:
        try:
            return ScanType(code).label
        except ValueError:
            return code
