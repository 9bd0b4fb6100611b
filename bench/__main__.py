"""Run the benchmark: `.venv/bin/python -m bench` (what `make bench` does).

Settings, read from the environment:

| variable | default | meaning |
| --- | --- | --- |
| `DATABASE_URL` | unset (SQLite) | a PostgreSQL URL: benchmark `<its database>_bench` on that server |
| `BENCH_SCALE` | 1.0 | dataset size, 1.0 being national size (200,000 employees) |
| `BENCH_SEED` | 2026 | seed of the generated dataset |
| `BENCH_REPEAT` | 30 | timed runs of the list pages and 预算学时; bulk 合格 gets a sixth, the export a tenth (at least 1) |
| `BENCH_REPORT` | docs/benchmarks.md | the report to update |
| `BENCH_SQLITE_PATH` | instance/bench-national.db | the SQLite benchmark database |
| `BENCH_UPLOAD_FOLDER` | instance/bench-uploads | the dataset's evidence files |
| `BENCH_LOAD_SECONDS` | 10 | seconds of load per endpoint (PostgreSQL only); 0 skips the load |
| `BENCH_LOAD_CLIENTS` | 8 | concurrent client processes |
| `BENCH_WORKERS` | 4 | gunicorn worker processes |
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import sys
from pathlib import Path

from . import dataset, load, measure, report

log = logging.getLogger("bench")

# Explanations of missed targets by figure key, shown beside them in the report.
_PAGE_COST = (
    "Most of the request is the session, FAB's access check and the page "
    "template rather than its queries, which the line of its query layer times alone."
)
REASONS = {
    "list_province_first": _PAGE_COST,
    "list_province_deep": _PAGE_COST,
    "list_talent_first": _PAGE_COST,
    "list_talent_deep": _PAGE_COST,
}


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def upload_folder() -> str:
    return os.environ.get("BENCH_UPLOAD_FOLDER", str(dataset.DEFAULT_UPLOAD_FOLDER))


def make_app(url: str):
    """Build the app on the benchmark database, as a production process would run."""
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_FOLDER": upload_folder(),
            "SECRET_KEY": secrets.token_urlsafe(32),
            "RATELIMIT_ENABLED": False,
            # The test client posts forms without a token; CSRF is checked by
            # the load part, which logs in through the real form.
            "WTF_CSRF_ENABLED": False,
        }
    )


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    log.setLevel(logging.INFO)
    sqlite_path = os.environ.get("BENCH_SQLITE_PATH")
    target = dataset.bench_target(
        os.environ.get("DATABASE_URL"), Path(sqlite_path) if sqlite_path else None
    )
    seed = _env_int("BENCH_SEED", dataset.DEFAULT_SEED)
    scale = _env_float("BENCH_SCALE", 1.0)
    repeat = max(_env_int("BENCH_REPEAT", 30), 1)
    settings = measure.Settings(repeat, max(repeat // 6, 1), max(repeat // 10, 1))
    report_path = Path(os.environ.get("BENCH_REPORT", dataset.REPO_DIR / "docs" / "benchmarks.md"))
    load_seconds = _env_float("BENCH_LOAD_SECONDS", 10)
    load_settings = {
        "clients": _env_int("BENCH_LOAD_CLIENTS", 8),
        "workers": _env_int("BENCH_WORKERS", 4),
        "seconds": load_seconds,
    }

    # SIGTERM unwinds like Ctrl+C, so the blocks that restore the dataset and
    # stop the load's gunicorn still run.
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"基准测试数据库：{target.label}", flush=True)
    marker = dataset.prepare(make_app, target, seed, scale)
    app = make_app(target.url)
    with app.app_context():
        from app.extensions import db

        counts = measure.dataset_counts(db.engine)
        version = measure.database_version(db.engine)
        state_before = dataset.fingerprint(db.engine)
    # Requests run outside any app context: inside one, every request of the
    # test client would share its `g`, the logged-in user included.
    run = measure.Run(app, settings, marker["employee"])
    figures = []
    for figure in run.figures():
        print(f"  {figure.label}: 中位数 {figure.median:.1f} ms", flush=True)
        figures.append(figure)

    results = None
    if target.dialect != "postgresql":
        load_settings["skipped"] = "PostgreSQL only: the load runs on the PostgreSQL run."
    elif load_seconds <= 0:
        load_settings["skipped"] = "Skipped (BENCH_LOAD_SECONDS=0)."
    else:
        print("并发负载（gunicorn）…", flush=True)
        results = load.measure_load(
            target.url,
            load_settings["workers"],
            load_settings["clients"],
            load_seconds,
            upload_folder(),
            marker["employee"],
        )
        for result in results:
            print(f"  {result.label}: {result.rps:.1f} 次/秒，p95 {result.p95:.1f} ms", flush=True)

    text = report.section(
        target.dialect,
        date=measure.today(),
        database_version=version,
        counts=counts,
        marker=marker,
        settings={"repeat": settings.repeat, "bulk_repeat": settings.bulk_repeat,
                  "export_repeat": settings.export_repeat},
        figures=figures,
        load=results,
        load_settings=load_settings,
        reasons=REASONS,
    )
    with app.app_context():
        from app.extensions import db

        state_after = dataset.fingerprint(db.engine)
        if state_after != state_before:
            print(f"基准测试没有恢复数据：{state_before} → {state_after}", file=sys.stderr)
            return 1
        dataset.write_state(db.engine, state_after)
    report.write(report_path, target.dialect, text)
    print(f"报告已写入 {report_path}", flush=True)
    return 0


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


if __name__ == "__main__":
    sys.exit(main())
