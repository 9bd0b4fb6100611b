"""Concurrent load through the production server: gunicorn with several workers.

The load generator is plain Python: a number of client processes, each with
one keep-alive `http.client` connection, send requests back to back for a
fixed time and record each latency. The clients run on the same 2-core
machine as the server, so they take CPU from it; the figures are a lower
bound of what the server alone would do.
"""

from __future__ import annotations

import http.client
import logging
import multiprocessing
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from .dataset import REPO_DIR
from .measure import BENCH_PASSWORD, PROVINCE_REVIEWER
from .stats import median, percentile

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
MINIMAL_PATH = "/health/live"
# Used as the minimal endpoint while the server has no /health/live.
FALLBACK_MINIMAL_PATH = "/static/js/platform.js"
STARTUP_SECONDS = 60


@dataclass(frozen=True)
class LoadResult:
    """Requests per second and latencies of one endpoint under load."""

    label: str
    path: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def p50(self) -> float:
        return median(self.latencies_ms)

    @property
    def p95(self) -> float:
        return percentile(self.latencies_ms, 0.95)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """A gunicorn process serving the app on the benchmark database."""

    def __init__(self, database_url: str, workers: int, upload_folder: str) -> None:
        self.port = free_port()
        self.database_url = database_url
        self.upload_folder = upload_folder
        self.workers = workers
        self.process: subprocess.Popen | None = None
        self.log_file = tempfile.NamedTemporaryFile(
            prefix="bench-gunicorn-", suffix=".log", delete=False
        )

    def __enter__(self) -> "Server":
        command = [sys.executable, "-m", "gunicorn"]
        if (REPO_DIR / "gunicorn.conf.py").exists():
            command += ["-c", "gunicorn.conf.py"]
        command += [
            "--workers", str(self.workers),
            "--bind", f"{HOST}:{self.port}",
            "--access-logfile", os.devnull,
            "run:app",
        ]
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "UPLOAD_FOLDER": self.upload_folder,
            "SECRET_KEY": secrets.token_urlsafe(32),
            "RATELIMIT_ENABLED": "0",
            "LOG_LEVEL": "warning",
        }
        self.process = subprocess.Popen(
            command, cwd=REPO_DIR, env=env, stdout=self.log_file, stderr=subprocess.STDOUT
        )
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_file.name}")
            try:
                status, _, _ = request(self.port, "GET", "/login/")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer within {STARTUP_SECONDS} s; see {self.log_file.name}")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()
        if exc[0] is None:
            Path(self.log_file.name).unlink(missing_ok=True)


def request(port: int, method: str, path: str, body: str | None = None,
            headers: dict | None = None) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        cookies = [value for name, value in response.getheaders() if name.lower() == "set-cookie"]
        return response.status, {"set-cookie": cookies, "location": response.getheader("Location", "")}, data
    finally:
        connection.close()


def _cookie(headers: dict) -> str:
    return "; ".join(value.split(";", 1)[0] for value in headers["set-cookie"])


def login_cookie(port: int, username: str) -> str:
    """Log in through the real form, CSRF token included; return the session cookie."""
    status, headers, body = request(port, "GET", "/login/")
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body)
    if status != 200 or token is None:
        raise RuntimeError(f"login page returned HTTP {status} without a CSRF token")
    form = urllib.parse.urlencode(
        {"username": username, "password": BENCH_PASSWORD, "csrf_token": token.group(1).decode()}
    )
    status, answer, _ = request(
        port,
        "POST",
        "/login/",
        body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": _cookie(headers)},
    )
    if status != 302 or "/login" in answer["location"]:
        raise RuntimeError(f"login of {username} failed: HTTP {status}")
    return _cookie(answer)


def _client(port: int, path: str, cookie: str, seconds: float, queue) -> None:
    """Send requests on one keep-alive connection for `seconds`; report latencies."""
    headers = {"Cookie": cookie} if cookie else {}
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    latencies, errors = [], 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                errors += 1
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
        except (OSError, http.client.HTTPException):
            errors += 1
            connection.close()
            continue
        latencies.append((time.perf_counter() - started) * 1000)
    connection.close()
    queue.put((latencies, errors))


def run_load(port: int, label: str, path: str, cookie: str, clients: int,
             seconds: float) -> LoadResult:
    """Run `clients` concurrent client processes against one path."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes = [
        context.Process(target=_client, args=(port, path, cookie, seconds, queue))
        for _ in range(clients)
    ]
    for process in processes:
        process.start()
    latencies, errors = [], 0
    for _ in processes:
        part, failed = queue.get(timeout=seconds + 120)
        latencies.extend(part)
        errors += failed
    for process in processes:
        process.join()
    return LoadResult(label, path, len(latencies), errors, seconds, latencies)


def measure_load(database_url: str, workers: int, clients: int, seconds: float,
                 upload_folder: str, employee_username: str) -> list[LoadResult]:
    """Start gunicorn on the database and load the minimal endpoint and two pages."""
    with Server(database_url, workers, upload_folder) as server:
        minimal = MINIMAL_PATH
        if request(server.port, "GET", minimal)[0] != 200:
            minimal = FALLBACK_MINIMAL_PATH
        employee = login_cookie(server.port, employee_username)
        reviewer = login_cookie(server.port, PROVINCE_REVIEWER)
        targets = [
            ("最小端点", minimal, ""),
            ("员工首页", "/", employee),
            ("审核列表（省公司）", "/review/", reviewer),
        ]
        for _, path, cookie in targets:
            status = request(server.port, "GET", path, headers={"Cookie": cookie})[0]
            if status != 200:
                raise RuntimeError(f"GET {path} returned HTTP {status} before the load")
        return [
            run_load(server.port, label, path, cookie, clients, seconds)
            for label, path, cookie in targets
        ]
