"""The benchmark runs end to end on a tiny dataset and leaves the dataset as it was.

It is a check that `make bench` works, not a measurement: the figures of
such a small dataset mean nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench import dataset

REPO = Path(__file__).resolve().parent.parent

FIGURE_LABELS = (
    "省公司审核列表 第1页",
    "人才中心审核列表 第1页",
    "人才中心审核列表 第1页：查询层",
    "批量合格",
    "导出",
    "预算学时（GET /budget/）",
)


@pytest.fixture
def bench_env(tmp_path):
    """Environment of a tiny run, on PostgreSQL when the suite runs there."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("BENCH_") and key != "DATABASE_URL"
    }
    env.update(
        BENCH_SCALE="0.0005",
        BENCH_REPEAT="2",
        BENCH_REPORT=str(tmp_path / "benchmarks.md"),
        BENCH_SQLITE_PATH=str(tmp_path / "bench.db"),
        BENCH_UPLOAD_FOLDER=str(tmp_path / "uploads"),
        BENCH_LOAD_SECONDS="1",
        BENCH_LOAD_CLIENTS="2",
        BENCH_WORKERS="2",
    )
    server = os.environ.get("TEST_DATABASE_URL")
    target = None
    if server and server.startswith("postgresql"):
        name = f"ce_test_bench_{uuid.uuid4().hex[:8]}"
        env["DATABASE_URL"] = sa.make_url(server).set(database=name).render_as_string(
            hide_password=False
        )
        target = dataset.bench_target(env["DATABASE_URL"])
    yield env, target or dataset.bench_target(None, Path(env["BENCH_SQLITE_PATH"]))
    if target is not None:
        dataset.drop_database(target)


def _run(env) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "bench"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result.stdout


def _state(target) -> dict:
    engine = sa.create_engine(dataset.driver_url(target.url))
    try:
        with engine.connect() as connection:
            return {
                "applications": connection.execute(
                    sa.text(
                        "SELECT id, status, version, review_unit_id, city_decision, "
                        "province_decision, final_result FROM application ORDER BY id"
                    )
                ).all(),
                "events": connection.scalar(sa.text("SELECT count(*) FROM review_event")),
                "audit": connection.scalar(sa.text("SELECT count(*) FROM audit_entry")),
            }
    finally:
        engine.dispose()


def test_bench_tiny_run(bench_env):
    env, target = bench_env

    first = _run(env)
    before = _state(target)
    second = _run(env)
    after = _state(target)

    report = Path(env["BENCH_REPORT"]).read_text(encoding="utf-8")
    section = "PostgreSQL" if target.dialect == "postgresql" else "SQLite"
    assert "生成全国数据集" in first
    assert "生成全国数据集" not in second
    assert f"## {section}" in report
    assert "reused by this run" in report
    for label in FIGURE_LABELS:
        assert label in report, label
    assert "Not run yet." in report
    if target.dialect == "postgresql":
        assert "`/health/live`" in report
        assert "| 员工首页 | `/` |" in report
    else:
        assert "PostgreSQL only" in report
    assert after == before


def test_bench_regenerates_after_interrupted_run(bench_env):
    """A run cut off before restoring leaves other data; the next run starts anew."""
    env, target = bench_env
    _run(env)
    engine = sa.create_engine(dataset.driver_url(target.url))
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE application SET version = version + 1 WHERE id = "
                        "(SELECT min(id) FROM application)")
            )
    finally:
        engine.dispose()

    output = _run(env)

    assert "生成全国数据集" in output
