"""Serving as in production: security headers, proxy headers, request ids,
health checks, and gunicorn's workers sharing sessions, rate limits and files."""

from __future__ import annotations

import io
import logging
import os
import re
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
from PIL import Image

from app.demo import DEMO_EMPLOYEE_ID, DEMO_PASSWORD
from app.serving import RequestIdFilter
from tests.servers import (
    REDIS_URL,
    Browser,
    free_port,
    gunicorn_command,
    redis_client,
    server_env,
    start,
    stop,
    wait_until_serving,
)

# --- headers through the test client -----------------------------------------------


def csp_of(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    directives = (part.strip().split(" ", 1) for part in policy.split(";"))
    return {name: rest for name, rest in directives}


def test_page_scripts_carry_the_policy_nonce(auth, client):
    auth.login("superadmin")
    response = client.get("/users/list/")
    assert response.status_code == 200
    policy = csp_of(response)
    nonce = re.search(r"'nonce-([^']+)'", policy["script-src"]).group(1)
    page = response.get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
    assert inline, "the FAB list page has inline scripts to check"
    assert all(f'nonce="{nonce}"' in attributes for attributes in inline)
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"


def test_nonce_differs_per_request(client):
    first = csp_of(client.get("/login/"))["script-src"]
    second = csp_of(client.get("/login/"))["script-src"]
    assert "'nonce-" in first
    assert first != second


def test_every_response_has_the_security_headers(client):
    for path in ("/login/", "/health", "/static/js/platform.js", "/no-such-page"):
        response = client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert "default-src 'self'" in response.headers["Content-Security-Policy"], path
        assert "Strict-Transport-Security" not in response.headers, path


def session_cookie(response) -> str:
    return next(v for v in response.headers.getlist("Set-Cookie") if v.startswith("session="))


def test_forwarded_https_behind_one_proxy(make_app):
    client = make_app(PROXY_FIX_HOPS=1).test_client()
    response = client.get(
        "/login/",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"},
    )
    assert "Secure" in session_cookie(response)
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_forwarded_headers_ignored_without_a_proxy(client):
    response = client.get("/login/", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in session_cookie(response)
    assert "Strict-Transport-Security" not in response.headers


def test_secure_cookie_setting_applies_over_http(make_app):
    client = make_app(SESSION_COOKIE_SECURE=True).test_client()
    assert "Secure" in session_cookie(client.get("/login/"))


def test_request_id_kept_from_proxy_or_made_up(client):
    assert client.get("/login/", headers={"X-Request-ID": "proxy-id-1234"}).headers[
        "X-Request-ID"
    ] == "proxy-id-1234"
    made_up = client.get("/login/").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made_up)
    # Text that could forge log lines is replaced, not echoed.
    forged = client.get("/login/", headers={"X-Request-ID": "x y\tINFO fake"}).headers[
        "X-Request-ID"
    ]
    assert re.fullmatch(r"[0-9a-f]{32}", forged)


def test_log_records_carry_the_request_id(app, caplog):
    handler_filter = RequestIdFilter()
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "outside", None, None)
    handler_filter.filter(record)
    assert record.request_id == "-"
    with app.test_request_context("/"):
        from flask import g

        g.request_id = "abcdef123456"
        record = logging.LogRecord("app", logging.INFO, __file__, 1, "inside", None, None)
        handler_filter.filter(record)
    assert record.request_id == "abcdef123456"


def test_health_checks_the_database(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert client.get("/health/live").get_json() == {"status": "ok"}


def test_health_reports_an_unreachable_database(make_app, tmp_path):
    missing = tmp_path / "no-such-folder" / "platform.db"
    client = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{missing}").test_client()
    response = client.get("/health")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unavailable"}
    assert client.get("/health/live").status_code == 200


# --- gunicorn with several workers ------------------------------------------------

WORKERS = 3
FAILED_LOGIN_LIMIT = 15


def worker_of(log_path, request_id: str) -> str | None:
    """The process id that gunicorn's access log names for one request.

    The worker writes the line just after sending the response, so it may
    lag the response by a moment.
    """
    deadline = time.monotonic() + 5
    while True:
        match = re.search(rf"pid=<?(\d+)>? request_id={request_id}", log_path.read_text())
        if match or time.monotonic() > deadline:
            return match.group(1) if match else None
        time.sleep(0.02)


def spread(browser: Browser, log_path, call, want: int = 2, attempts: int = 40):
    """Repeat `call` on new connections until `want` workers have served it.

    Returns the results and the set of workers. Connections go to whichever
    worker accepts first, so a few tries are needed to reach several.
    """
    results, workers = [], set()
    for _ in range(attempts):
        results.append(call())
        pid = worker_of(log_path, browser.last_request_id)
        assert pid, f"request {browser.last_request_id} is not in the access log"
        workers.add(pid)
        if len(workers) >= want:
            break
    return results, workers


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 50), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def served(database_template, tmp_path):
    """gunicorn with several workers on the test's PostgreSQL database and Redis."""
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("gunicorn's workers are tested in the PostgreSQL run (make test-postgres)")
    redis = redis_client()
    prefix = f"ce-test-{uuid.uuid4().hex}"
    env = server_env(
        tmp_path,
        database_template(),
        RATELIMIT_ENABLED="1",
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=prefix,
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED="0",
        LOGIN_RATE_LIMIT_PER_ACCOUNT=f"{FAILED_LOGIN_LIMIT} per 5 minutes",
        LOGIN_RATE_LIMIT_PER_ADDRESS="200 per minute",
        PROXY_FIX_HOPS="1",
        WEB_CONCURRENCY=str(WORKERS),
    )
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    server = start(gunicorn_command(port, WORKERS), env, log_path)
    try:
        wait_until_serving(server, port, log_path)
        yield port, log_path
    finally:
        stop(server)
        for key in redis.scan_iter(match=f"*{prefix}*"):
            redis.delete(key)


@pytest.mark.slow
def test_workers_share_session_limits_and_files(served):
    port, log_path = served

    # A session signed by one worker is honoured by the others.
    employee = Browser(port)
    status, _ = employee.login(DEMO_EMPLOYEE_ID, DEMO_PASSWORD)
    assert status == 302
    pages, workers = spread(employee, log_path, lambda: employee.text("GET", "/"))
    assert len(workers) >= 2, f"one worker served every request: {workers}"
    assert all(status == 200 and "退出" in page for status, page in pages)

    # A photo stored by one worker is served by the others from the shared folder.
    token = employee.csrf_token("/")
    status, _ = employee.upload(
        "/profile/photo/upload", {"csrf_token": token}, "photo", "证件照.png", png_bytes()
    )
    assert status == 302
    photos, workers = spread(
        employee, log_path, lambda: employee.request("GET", "/profile/photo/")
    )
    assert len(workers) >= 2, f"one worker served every request: {workers}"
    assert all(status == 200 for status, _ in photos)
    assert len({data for _, data in photos}) == 1
    assert Image.open(io.BytesIO(photos[0][1])).size == (40, 50)

    # Failed logins counted by any worker add up in Redis. The kernel may
    # hand several connections in a row to one worker, so the limit is high
    # enough for the failures to reach more than one.
    attacker = Browser(port)
    failures, workers = [], set()
    for _ in range(FAILED_LOGIN_LIMIT):
        failures.append(attacker.login("fushun_reviewer", "wrong-Password1")[0])
        workers.add(worker_of(log_path, attacker.last_request_id))
    assert failures == [302] * FAILED_LOGIN_LIMIT
    assert len(workers) >= 2, f"one worker saw every failure: {workers}"
    blocked, workers_after = spread(
        attacker,
        log_path,
        lambda: attacker.login("fushun_reviewer", DEMO_PASSWORD)[0],
        attempts=40,
    )
    assert blocked == [429] * len(blocked)
    assert len(workers_after) >= 2, f"one worker answered every blocked login: {workers_after}"

    # The health check reaches the database from a worker behind the proxy.
    status, data = Browser(port).request("GET", "/health", headers={"X-Forwarded-Proto": "https"})
    assert status == 200
    assert b'"database":"ok"' in data
    log_text = log_path.read_text()
    assert re.search(r"access 127\.0\.0\.1 \"GET / HTTP/1\.1\" 200 \d+ \d+ms pid=", log_text)


def test_login_form_posts_with_csrf_only(served):
    """Without the token, a worker rejects the login."""
    port, _ = served
    browser = Browser(port)
    form = urlencode({"username": DEMO_EMPLOYEE_ID, "password": DEMO_PASSWORD})
    status, page = browser.text("POST", "/login/", form)
    assert status == 400
    assert "CSRF" in page


def test_favicon_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.data[:4] == b"\x00\x00\x01\x00"
    page = client.get("/login/").get_data(as_text=True)
    assert 'rel="icon"' in page


def test_health_reports_an_empty_database(make_app, tmp_path):
    """A SQLite file that exists but contains no schema is not healthy."""
    client = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/empty.db").test_client()
    response = client.get("/health")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"


def test_gunicorn_believes_no_forwarded_header():
    """Only the app's ProxyFix, sized by PROXY_FIX_HOPS, reads X-Forwarded-*."""
    import runpy

    settings = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    assert settings["forwarded_allow_ips"] == ""
    assert settings["secure_scheme_headers"] == {}
