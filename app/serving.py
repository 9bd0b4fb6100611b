"""The app's behaviour as a served production service.

- Proxy headers: behind a reverse proxy that terminates HTTPS, ProxyFix takes
  the client address, scheme and host from the X-Forwarded-* headers of the
  number of proxies the `PROXY_FIX_HOPS` setting names, and from no one else.
- Security headers on every response: a Content-Security-Policy that allows
  the app's own files and the inline scripts that carry this request's nonce,
  nosniff, frame denial, and HSTS on HTTPS requests.
- Session cookies are marked Secure whenever the request arrived over HTTPS,
  even when `SESSION_COOKIE_SECURE` is off.
- A request id per request, taken from the proxy's X-Request-ID when it looks
  like one and made up otherwise, returned in the response and put on every
  log record written while the request runs.
- `/health` checks the database; `/health/live` only reports that the
  process is up. `/favicon.ico` is served for clients that ask for it without
  reading a page's icon link.
"""

from __future__ import annotations

import logging
import re
import secrets
import uuid

from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    has_request_context,
    jsonify,
    request,
    send_from_directory,
)
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix

from .extensions import db

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's id is kept only when it is short and plain, so that a client
# cannot write arbitrary text into the logs.
_REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

# FAB's pages use style attributes throughout, which only 'unsafe-inline'
# allows; scripts, the real risk, must come from the app or carry the nonce.
_CSP_TEMPLATE = (
    "default-src 'self'; "
    "script-src 'self'{nonce}; "
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; "
    "font-src 'self' data:; "
    "connect-src 'self'; "
    "object-src 'none'; "
    "base-uri 'self'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)

# Routes of the service itself rather than of a screen.
service_routes = Blueprint("service", __name__)


@service_routes.get("/health")
def health_check():
    """Return 200 when the migrated schema responds to a query, 503 when it does not.

    The query reads Alembic's version table rather than `SELECT 1`, because
    SQLite creates an empty file for a missing database and would pass.
    """
    try:
        version = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as error:  # noqa: BLE001 - any failure means "not healthy"
        # One line per failed probe: a proxy probes every few seconds.
        log.error("health check failed: the database query failed: %s", error)
        db.session.rollback()
        return jsonify(status="error", database="unavailable"), 503
    if not version:
        log.error("health check failed: the database has no migrated schema")
        return jsonify(status="error", database="not migrated"), 503
    return jsonify(status="ok", database="ok")


@service_routes.get("/health/live")
def liveness():
    """Return 200 without touching the database, to show that the process is up."""
    return jsonify(status="ok")


@service_routes.get("/favicon.ico")
def favicon():
    """Serve the icon where browsers and tools look without a page's link tag."""
    return send_from_directory(
        current_app.static_folder, "img/favicon.ico", mimetype="image/vnd.microsoft.icon"
    )


class RequestIdFilter(logging.Filter):
    """Put the current request's id on a log record, or "-" outside requests."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


def current_request_id() -> str | None:
    if not has_request_context():
        return None
    return g.get("request_id")


def csp_nonce() -> str:
    """Return this request's script nonce; FAB's templates call it by this name."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(16)
    return nonce


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure on every request that came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        if super().get_cookie_secure(app):
            return True
        return has_request_context() and request.is_secure


def register(app: Flask) -> None:
    hops = int(app.config.get("PROXY_FIX_HOPS") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )
    app.session_interface = HttpsAwareSessionInterface()
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.register_blueprint(service_routes)

    def assign_request_id():
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _REQUEST_ID_PATTERN.match(incoming) else uuid.uuid4().hex

    # First of all, so that a request another hook ends early (the login
    # rate limit's 429) still has its id in the response and the logs.
    app.before_request_funcs.setdefault(None, []).insert(0, assign_request_id)

    @app.after_request
    def security_headers(response):
        nonce = g.get("csp_nonce")
        response.headers.setdefault(
            "Content-Security-Policy",
            _CSP_TEMPLATE.format(nonce=f" 'nonce-{nonce}'" if nonce else ""),
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if "request_id" in g:
            response.headers[REQUEST_ID_HEADER] = g.request_id
        return response
