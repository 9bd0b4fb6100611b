"""Login rate limits: failed logins per account and per client address, on one
app and across two server processes that share Redis; FAB's JSON login API."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

import config
from app.demo import DEMO_EMPLOYEE_ID, DEMO_EMPLOYEE_MOBILE, DEMO_PASSWORD
from app.extensions import db
from app.models import Account

from tests.servers import (
    REDIS_URL,
    Browser,
    flask_command,
    free_port,
    redis_client,
    server_env,
    start,
    stop,
    wait_until_serving,
)

LIMITED_MESSAGE = "登录失败次数过多"


def limited_app(make_app, per_account="3 per 5 minutes", per_address="20 per minute"):
    return make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        LOGIN_RATE_LIMIT_PER_ACCOUNT=per_account,
        LOGIN_RATE_LIMIT_PER_ADDRESS=per_address,
    )


def attempt(client, username, password="wrong-Password1"):
    return client.post("/login/", data={"username": username, "password": password})


def logged_in(client):
    with client.session_transaction() as session:
        return "_user_id" in session


def fail_count(app, username):
    with app.app_context():
        return db.session.scalar(
            sa.select(Account.fail_login_count).where(Account.username == username)
        )


# --- one app -----------------------------------------------------------------


def test_account_limited_after_failures(make_app):
    app = limited_app(make_app)
    client = app.test_client()
    for _ in range(3):
        assert attempt(client, "fushun_reviewer").status_code == 302
    assert fail_count(app, "fushun_reviewer") == 3

    response = attempt(client, "fushun_reviewer", DEMO_PASSWORD)

    assert response.status_code == 429
    assert LIMITED_MESSAGE in response.get_data(as_text=True)
    assert 'id="login-form"' in response.get_data(as_text=True)
    # Flask-Limiter rounds the reset time up to the next whole second.
    assert 0 < int(response.headers["Retry-After"]) <= 5 * 60 + 1
    assert not logged_in(client)
    # The limited attempt never reached the password check.
    assert fail_count(app, "fushun_reviewer") == 3


def test_limit_follows_resolved_login_name(make_app):
    app = limited_app(make_app)
    client = app.test_client()

    attempt(client, DEMO_EMPLOYEE_MOBILE)
    attempt(client, "+86 138-0000-0001")
    attempt(client, DEMO_EMPLOYEE_ID)
    response = attempt(client, " " + DEMO_EMPLOYEE_ID.lower() + " ", DEMO_PASSWORD)

    assert response.status_code == 429
    assert fail_count(app, DEMO_EMPLOYEE_ID) == 3


def test_other_account_still_logs_in(make_app):
    app = limited_app(make_app)
    client = app.test_client()
    for _ in range(4):
        attempt(client, "fushun_reviewer")

    response = attempt(client, "liaoning_reviewer", DEMO_PASSWORD)

    assert response.status_code == 302
    assert logged_in(client)


def test_address_limited_across_accounts(make_app):
    app = limited_app(make_app, per_account="100 per 5 minutes", per_address="4 per minute")
    client = app.test_client()
    for username in ("fushun_reviewer", "liaoning_reviewer", "talent_admin", "nobody_here"):
        assert attempt(client, username).status_code == 302

    limited = attempt(client, "superadmin", DEMO_PASSWORD)
    elsewhere = app.test_client()
    allowed = elsewhere.post(
        "/login/",
        data={"username": "superadmin", "password": DEMO_PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )

    assert limited.status_code == 429
    assert LIMITED_MESSAGE in limited.get_data(as_text=True)
    assert allowed.status_code == 302
    assert logged_in(elsewhere)


def test_successful_logins_not_counted(make_app):
    app = limited_app(make_app)

    for _ in range(5):
        client = app.test_client()
        assert attempt(client, "talent_admin", DEMO_PASSWORD).status_code == 302
        assert logged_in(client)


def test_login_page_shown_while_limited(make_app):
    app = limited_app(make_app)
    client = app.test_client()
    for _ in range(3):
        attempt(client, "talent_admin")

    assert attempt(client, "talent_admin", DEMO_PASSWORD).status_code == 429
    assert client.get("/login/").status_code == 200


def test_unreachable_storage_falls_back_to_memory(make_app):
    pytest.importorskip("redis")
    # Nothing listens on port 1, so every Redis call fails at once.
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/15",
        LOGIN_RATE_LIMIT_PER_ACCOUNT="3 per 5 minutes",
        LOGIN_RATE_LIMIT_PER_ADDRESS="20 per minute",
    )
    client = app.test_client()

    assert attempt(client, "talent_admin", DEMO_PASSWORD).status_code == 302
    for _ in range(3):
        assert attempt(app.test_client(), "fushun_reviewer").status_code == 302

    assert attempt(app.test_client(), "fushun_reviewer", DEMO_PASSWORD).status_code == 429


def test_no_limit_when_disabled(app):
    client = app.test_client()
    for _ in range(25):
        assert attempt(client, "talent_admin").status_code == 302

    assert attempt(client, "talent_admin", DEMO_PASSWORD).status_code == 302
    assert logged_in(client)


@pytest.mark.parametrize("enabled", [False, True])
def test_json_login_api_absent(make_app, enabled):
    app = make_app(RATELIMIT_ENABLED=enabled)
    client = app.test_client()

    for path in ("/api/v1/security/login", "/api/v1/security/refresh"):
        response = client.post(
            path,
            json={"username": "superadmin", "password": DEMO_PASSWORD, "provider": "db"},
        )
        assert response.status_code == 404, path
    assert not any(
        rule.rule.startswith("/api/v1/security/") for rule in app.url_map.iter_rules()
    )


def test_settings_defaults_and_environment(monkeypatch):
    for name in (
        "RATELIMIT_ENABLED",
        "RATELIMIT_STORAGE_URI",
        "LOGIN_RATE_LIMIT_PER_ACCOUNT",
        "LOGIN_RATE_LIMIT_PER_ADDRESS",
    ):
        monkeypatch.delenv(name, raising=False)
    defaults = config.load_settings()

    monkeypatch.setenv("RATELIMIT_ENABLED", "0")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", REDIS_URL)
    monkeypatch.setenv("LOGIN_RATE_LIMIT_PER_ACCOUNT", "10 per hour")
    monkeypatch.setenv("LOGIN_RATE_LIMIT_PER_ADDRESS", "50 per minute")
    overridden = config.load_settings()

    assert defaults["RATELIMIT_ENABLED"] is True
    assert defaults["RATELIMIT_STORAGE_URI"] == "memory://"
    assert defaults["LOGIN_RATE_LIMIT_PER_ACCOUNT"] == "5 per 5 minutes"
    assert defaults["LOGIN_RATE_LIMIT_PER_ADDRESS"] == "20 per minute"
    assert overridden["RATELIMIT_ENABLED"] is False
    assert overridden["RATELIMIT_STORAGE_URI"] == REDIS_URL
    assert overridden["LOGIN_RATE_LIMIT_PER_ACCOUNT"] == "10 per hour"
    assert overridden["LOGIN_RATE_LIMIT_PER_ADDRESS"] == "50 per minute"


# --- two server processes sharing Redis -----------------------------------------


def test_failures_shared_across_processes(database_template, tmp_path):
    redis = redis_client()
    prefix = f"ce-test-{uuid.uuid4().hex}"
    env = server_env(
        tmp_path,
        database_template(),
        RATELIMIT_ENABLED="1",
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=prefix,
        # Without the fallback, an unreachable Redis fails the logins loudly.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED="0",
        LOGIN_RATE_LIMIT_PER_ACCOUNT="3 per 5 minutes",
        LOGIN_RATE_LIMIT_PER_ADDRESS="100 per minute",
    )
    ports = [free_port(), free_port()]
    logs = [tmp_path / f"server-{port}.log" for port in ports]
    servers = [start(flask_command(port), env, log) for port, log in zip(ports, logs)]
    try:
        for server, port, log in zip(servers, ports, logs):
            wait_until_serving(server, port, log)
        first, second = Browser(ports[0]), Browser(ports[1])

        outcomes = [
            first.login("fushun_reviewer", "wrong-Password1")[0],
            first.login("fushun_reviewer", "wrong-Password1")[0],
            second.login("fushun_reviewer", "wrong-Password1")[0],
        ]
        on_first, page = first.login("fushun_reviewer", DEMO_PASSWORD)
        on_second, _ = second.login("fushun_reviewer", DEMO_PASSWORD)
        other_account, _ = second.login("liaoning_reviewer", DEMO_PASSWORD)
        keys = list(redis.scan_iter(match=f"*{prefix}*"))
    finally:
        for server in servers:
            stop(server)
        for key in redis.scan_iter(match=f"*{prefix}*"):
            redis.delete(key)

    assert outcomes == [302, 302, 302]
    # The third failure was counted by the second server and blocks the first.
    assert on_first == 429
    assert LIMITED_MESSAGE in page
    assert on_second == 429
    assert other_account == 302
    assert keys, "no rate-limit counters were written to Redis"
    assert list(redis.scan_iter(match=f"*{prefix}*")) == []
