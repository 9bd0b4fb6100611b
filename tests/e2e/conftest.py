"""Fixtures of the browser scenarios: a served app on a fresh database, and chromium.

The app runs in a real gunicorn process on 127.0.0.1, on a database made for
this run: a temporary SQLite file, or, when TEST_DATABASE_URL points at
PostgreSQL, a uniquely named database on that server, dropped at the end.
Playwright drives Debian's chromium (scripts/install-browser installs it),
because Playwright's own browser download is not reachable from CI.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import sync_playwright

from e2e_support import PageWatch, Shots

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
DOWNLOADS = ARTIFACTS / "downloads"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Every host name fails to resolve, so a page that loads anything from
    # outside the served app fails its request instead of leaving the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
SERVER_START_SECONDS = 60
SETUP_TIMEOUT_SECONDS = 300
LOG_TAIL_CHARACTERS = 6000

_server_log_key = pytest.StashKey[Path]()
_failed_step_key = pytest.StashKey[str]()
_call_failed_key = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach the server log to failures, and remember the first failed scenario step."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    item.stash[_call_failed_key] = True
    log_path = item.config.stash.get(_server_log_key, None)
    if log_path is not None and log_path.exists():
        text = log_path.read_text(encoding="utf-8", errors="replace")
        report.sections.append(("gunicorn log (tail)", text[-LOG_TAIL_CHARACTERS:]))
    if item.get_closest_marker("scenario") and _failed_step_key not in item.config.stash:
        item.config.stash[_failed_step_key] = item.name


def pytest_runtest_setup(item):
    """Skip the later steps of the scenario once one step has failed."""
    if item.get_closest_marker("scenario") is None:
        return
    failed = item.config.stash.get(_failed_step_key, None)
    if failed is not None:
        pytest.skip(f"skipped because the earlier scenario step {failed} failed")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "scenario: ordered browser steps that share state; later steps skip once one fails"
    )


def _postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if url and url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run_flask(args: list[str], env: dict[str, str], log_path: Path) -> None:
    """Run one `flask --app run` command; fail with its output if it fails."""
    command = [sys.executable, "-m", "flask", "--app", "run", *args]
    result = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SETUP_TIMEOUT_SECONDS,
    )
    with log_path.open("a", encoding="utf-8") as log:
        log.write(f"$ flask {' '.join(args)}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        pytest.fail(
            f"flask {' '.join(args)} failed with status {result.returncode}:\n"
            f"{result.stdout}\n{result.stderr}"
        )


def _wait_until_ready(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = log_path.read_text(encoding="utf-8", errors="replace")
            pytest.fail(f"gunicorn exited with status {process.returncode}:\n{log}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    log = log_path.read_text(encoding="utf-8", errors="replace")
    pytest.fail(f"gunicorn did not answer {url} within {SERVER_START_SECONDS} s:\n{log}")


def _stop(process: subprocess.Popen) -> None:
    """Stop gunicorn's process group: its master and workers."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@pytest.fixture(scope="session")
def artifacts() -> dict[str, Path]:
    """Empty the screenshot and download folders at the start of each run."""
    for folder in (SCREENSHOTS, DOWNLOADS):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    return {"screenshots": SCREENSHOTS, "downloads": DOWNLOADS}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """Return the URL of an empty database made for this run, and drop it afterwards."""
    postgres = _postgres_url()
    if postgres is None:
        path = tmp_path_factory.mktemp("e2e-db") / "platform.sqlite"
        yield f"sqlite:///{path}"
        return

    name = f"e2e_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(
        sa.make_url(postgres).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(postgres).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def server(request, database_url, tmp_path_factory):
    """Migrate and set up the database, serve the app with gunicorn, return its URL."""
    workdir = tmp_path_factory.mktemp("e2e-server")
    log_path = workdir / "server.log"
    log_path.touch()
    request.config.stash[_server_log_key] = log_path
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "UPLOAD_FOLDER": str(workdir / "uploads"),
        "INSTANCE_PATH": str(workdir / "instance"),
        "RATELIMIT_ENABLED": "0",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("FLASK_DEBUG", None)
    _run_flask(["db", "upgrade"], env, log_path)
    _run_flask(["platform", "setup"], env, log_path)

    port = _free_port()
    # The production settings (logging, proxy trust, threads), with two
    # workers, so that the requests of one scenario can reach either process.
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "gunicorn.conf.py",
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "run:app",
    ]
    with log_path.open("a", encoding="utf-8") as log:
        log.write(f"$ {' '.join(command[1:])}\n")
        log.flush()
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(f"{base_url}/login/", process, log_path)
        yield base_url
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def shots(artifacts) -> Shots:
    return Shots(artifacts["screenshots"])


@pytest.fixture
def open_page(request, browser, server, shots):
    """Return a function that opens a page in a fresh context (its own cookie jar).

    When the test fails, each page it opened is saved as a FAILED screenshot.
    """
    contexts = []
    pages = []

    def open_new() -> tuple:
        context = browser.new_context(
            base_url=server, locale="zh-CN", accept_downloads=True, viewport={"width": 1366, "height": 900}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        pages.append(page)
        return page, PageWatch(page)

    yield open_new
    if request.node.stash.get(_call_failed_key, False):
        for number, page in enumerate(pages, start=1):
            shots.take(page, f"FAILED-{request.node.name}-{number}")
    for context in contexts:
        context.close()
