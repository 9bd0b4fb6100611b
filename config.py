"""Settings read from the environment, with defaults that are safe for a laptop.

Every setting can be overridden by an environment variable of the same name;
`create_app(config_overrides)` applies a mapping on top for tests.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))

# Refused at start-up outside debug and testing: a known key lets anyone forge
# a session cookie.
DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'platform.db'}")
    # SQLAlchemy 2 dropped the "postgres://" alias; psycopg 3 is the driver used.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def load_settings() -> dict:
    """Return the settings as a mapping, read from the environment at call time."""
    upload_folder = Path(os.environ.get("UPLOAD_FOLDER", INSTANCE_DIR / "uploads"))
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY),
        "DEBUG": _env_bool("FLASK_DEBUG", False),
        "TESTING": False,
        "SQLALCHEMY_DATABASE_URI": _database_url(),
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        # Evidence scans, photos and stamped scans; several app servers may
        # share this folder over network storage.
        "UPLOAD_FOLDER": str(upload_folder),
        "EVIDENCE_MAX_BYTES": _env_int("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024),
        "PHOTO_MAX_BYTES": _env_int("PHOTO_MAX_BYTES", 5 * 1024 * 1024),
        # Reject request bodies above this before reading them: the largest
        # upload plus room for the form fields.
        "MAX_CONTENT_LENGTH": _env_int("MAX_CONTENT_LENGTH", 12 * 1024 * 1024),
        "APP_NAME": "专业技术人员继续教育学时折算平台",
        "APP_ICON": "",
        "APP_THEME": "",
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": {"zh": {"flag": "cn", "name": "简体中文"}},
        # The schema belongs to the Alembic migrations; FAB must not create
        # tables or write permissions while the app object is being built.
        "FAB_CREATE_DB": False,
        "FAB_UPDATE_PERMS": False,
        "FAB_ADD_SECURITY_API": False,
        "FAB_API_SWAGGER_UI": False,
        "AUTH_TYPE": 1,  # flask_appbuilder.const.AUTH_DB
        "AUTH_ROLE_ADMIN": "超级管理员",
        "AUTH_ROLE_PUBLIC": "Public",
        # Registration is the platform's own form; FAB's needs reCAPTCHA,
        # which an intranet cannot reach.
        "AUTH_USER_REGISTRATION": False,
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Requests that arrive over HTTPS get a Secure cookie regardless
        # (app.serving); set this to 1 to insist on it everywhere.
        "SESSION_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", False),
        # How many reverse proxies in front of the app set X-Forwarded-For,
        # -Proto, -Host, -Port and -Prefix. 0 trusts no such header: with the
        # app reachable directly, a client could claim any address or scheme.
        "PROXY_FIX_HOPS": _env_int("PROXY_FIX_HOPS", 0),
        # Flask-Limiter counts failed logins (app.security). memory:// counts
        # per process; with several app servers set redis://host:6379/N, so
        # that a failure on one server counts on all of them.
        "RATELIMIT_ENABLED": _env_bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "ce-platform"),
        # A moving window, so that failures cannot be doubled at a window edge.
        "RATELIMIT_STRATEGY": os.environ.get("RATELIMIT_STRATEGY", "moving-window"),
        # While Redis is unreachable, count in each process instead of failing
        # every login.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": _env_bool(
            "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True
        ),
        # Failed logins allowed, as Flask-Limiter rate strings: per account
        # (the username that the typed ID-card or mobile number resolves to)
        # and per client address.
        "LOGIN_RATE_LIMIT_PER_ACCOUNT": os.environ.get(
            "LOGIN_RATE_LIMIT_PER_ACCOUNT", "5 per 5 minutes"
        ),
        "LOGIN_RATE_LIMIT_PER_ADDRESS": os.environ.get(
            "LOGIN_RATE_LIMIT_PER_ADDRESS", "20 per minute"
        ),
        "FAB_PASSWORD_HASH_METHOD": "scrypt",
    }
