"""Real server processes for tests: start, wait, stop, and a small HTTP client.

The tests that need more than Flask's test client (several processes sharing
Redis, gunicorn's workers) start the app as it is served and talk HTTP to it
over loopback.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest

REPO = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/15"


def redis_client():
    """Return a client of Redis database 15.

    Without Redis the test is skipped, unless REQUIRE_SERVICES is set (as CI
    sets it), where a missing service must fail the run instead.
    """
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        message = f"Redis is not reachable at {REDIS_URL}: {error}"
        if os.environ.get("REQUIRE_SERVICES"):
            pytest.fail(message)
        pytest.skip(message)
    return client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    """A minimal HTTP client of one local server that keeps its session cookie.

    Every request opens a new connection, so a server with several workers
    may hand each one to a different worker. Each request carries its own
    X-Request-ID, which the server logs next to the worker's process id.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = None
        self.last_request_id = None

    def request(self, method, path, body=None, content_type=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        self.last_request_id = uuid.uuid4().hex
        sent = {"X-Request-ID": self.last_request_id, **(headers or {})}
        if self.cookie:
            sent["Cookie"] = self.cookie
        if body is not None:
            sent["Content-Type"] = content_type or "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        self.last_headers = dict(response.getheaders())
        return response.status, data

    def text(self, method, path, body=None):
        status, data = self.request(method, path, body)
        return status, data.decode("utf-8", "replace")

    def csrf_token(self, path: str) -> str:
        status, page = self.text("GET", path)
        assert status == 200, page[:500]
        # WTForms writes type before name, the platform's templates after.
        field = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page).group(0)
        return re.search(r'value="([^"]+)"', field).group(1)

    def login(self, username, password):
        """Post the login form with its CSRF token, as a browser does."""
        token = self.csrf_token("/login/")
        form = urlencode({"username": username, "password": password, "csrf_token": token})
        return self.text("POST", "/login/", form)

    def upload(self, path, fields: dict, file_field: str, file_name: str, data: bytes):
        """POST a multipart form with one file, as a browser's file input does."""
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
            f'filename="{file_name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(
            "POST", path, b"".join(parts), f"multipart/form-data; boundary={boundary}"
        )


def server_env(tmp_path: Path, database_url: str, **settings: str) -> dict:
    """The environment of a served app: the caller's, minus Flask and limiter settings."""
    inherited = {
        k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "RATELIMIT_"))
    }
    return {
        **inherited,
        "SECRET_KEY": "shared-secret-of-the-test-servers",
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "PYTHONUNBUFFERED": "1",
        **settings,
    }


def start(command: list[str], env: dict, log_path: Path) -> subprocess.Popen:
    with open(log_path, "wb") as log_file:
        return subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def flask_command(port: int) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "run", "run",
            "--host", "127.0.0.1", "--port", str(port), "--no-reload", "--no-debugger"]


def gunicorn_command(port: int, workers: int) -> list[str]:
    """gunicorn as `make serve` runs it, on a port and worker count of the test's."""
    return [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "run:app"]


def wait_until_serving(process, port, log_path, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server on port {port} exited:\n{log_path.read_text()[-3000:]}")
        try:
            status, _ = Browser(port).request("GET", "/health/live")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"server on port {port} did not start:\n{log_path.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    """Stop the server and every worker it started."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, 15)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        process.wait()
