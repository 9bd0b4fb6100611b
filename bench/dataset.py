"""The benchmark's own database: where it lives, and generating the dataset once.

The benchmark never touches the user's database. It uses
`instance/bench-national.db` on SQLite, or `<name>_bench` on the server of
`DATABASE_URL` when that is a PostgreSQL URL. A marker table records the seed
and scale of the generated dataset, so a later run with the same seed and
scale reuses it instead of generating again.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

log = logging.getLogger(__name__)

REPO_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = REPO_DIR / "instance" / "bench-national.db"
# The dataset's evidence files, apart from the user's uploads.
DEFAULT_UPLOAD_FOLDER = REPO_DIR / "instance" / "bench-uploads"
MARKER_TABLE = "bench_dataset"
# How the last complete run left the data it changes and restores; a run
# that was interrupted before restoring leaves a different state.
STATE_TABLE = "bench_dataset_state"
DEFAULT_SEED = 2026


@dataclass(frozen=True)
class Target:
    """The database a run benchmarks: its SQLAlchemy URL and its dialect."""

    url: str
    dialect: str

    @property
    def label(self) -> str:
        return "PostgreSQL" if self.dialect == "postgresql" else "SQLite"


def bench_target(database_url: str | None, sqlite_path: Path | None = None) -> Target:
    """Return the benchmark database for the user's `DATABASE_URL`, if any.

    A PostgreSQL URL names the user's database; the benchmark uses the
    database of the same name with `_bench` appended on the same server.
    Anything else, or no URL, means the SQLite file (default
    `instance/bench-national.db`).
    """
    if database_url and database_url.startswith(("postgresql", "postgres://")):
        url = sa.make_url(driver_url(database_url))
        name = f"{url.database or 'platform'}_bench"
        return Target(url.set(database=name).render_as_string(hide_password=False), "postgresql")
    path = sqlite_path or DEFAULT_SQLITE_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    return Target(f"sqlite:///{path}", "sqlite")


def driver_url(url: str) -> str:
    """Return a PostgreSQL URL with the psycopg 3 driver named, as config.py does."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def ensure_database(target: Target) -> None:
    """Create the PostgreSQL database of `target` when it does not exist yet."""
    if target.dialect != "postgresql":
        return
    url = sa.make_url(target.url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            found = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": url.database},
            )
            if not found:
                log.info("creating database %s", url.database)
                connection.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    finally:
        admin.dispose()


def drop_database(target: Target) -> None:
    """Drop the benchmark database of `target` (the tests' cleanup)."""
    if target.dialect == "postgresql":
        url = sa.make_url(target.url)
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(
                    sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
                )
        finally:
            admin.dispose()
        return
    Path(sa.make_url(target.url).database).unlink(missing_ok=True)


def read_marker(engine: sa.Engine) -> dict | None:
    """Return the seed, scale and summary recorded with the dataset, or None."""
    if not sa.inspect(engine).has_table(MARKER_TABLE):
        return None
    with engine.connect() as connection:
        row = connection.execute(
            sa.text(
                f"SELECT seed, scale, generated_on, seconds, employee FROM {MARKER_TABLE} "
                "ORDER BY generated_on DESC LIMIT 1"
            )
        ).first()
    if row is None:
        return None
    return {
        "seed": row.seed,
        "scale": float(row.scale),
        "generated_on": row.generated_on,
        "seconds": float(row.seconds),
        "employee": row.employee,
    }


def fingerprint(engine: sa.Engine) -> str:
    """Summarise what a run changes and restores: review events, audit entries, versions."""
    with engine.connect() as connection:
        row = connection.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM review_event), "
                "(SELECT coalesce(max(id), 0) FROM review_event), "
                "(SELECT count(*) FROM audit_entry), "
                "(SELECT coalesce(sum(version), 0) FROM application), "
                "(SELECT count(*) FROM application WHERE province_decision IS NOT NULL)"
            )
        ).one()
    return "/".join(str(int(value)) for value in row)


def read_state(engine: sa.Engine) -> str | None:
    if not sa.inspect(engine).has_table(STATE_TABLE):
        return None
    with engine.connect() as connection:
        return connection.scalar(sa.text(f"SELECT state FROM {STATE_TABLE}"))


def write_state(engine: sa.Engine, state: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.text(f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (state VARCHAR(200) NOT NULL)")
        )
        connection.execute(sa.text(f"DELETE FROM {STATE_TABLE}"))
        connection.execute(
            sa.text(f"INSERT INTO {STATE_TABLE} (state) VALUES (:state)"), {"state": state}
        )


def _write_marker(
    engine: sa.Engine, seed: int, scale: float, seconds: float, employee: str
) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (seed INTEGER NOT NULL, "
                "scale FLOAT NOT NULL, generated_on VARCHAR(32) NOT NULL, "
                "seconds FLOAT NOT NULL, employee VARCHAR(64) NOT NULL)"
            )
        )
        connection.execute(sa.text(f"DELETE FROM {MARKER_TABLE}"))
        connection.execute(
            sa.text(
                f"INSERT INTO {MARKER_TABLE} (seed, scale, generated_on, seconds, employee) "
                "VALUES (:seed, :scale, :generated_on, :seconds, :employee)"
            ),
            {
                "seed": seed,
                "scale": scale,
                "generated_on": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "seconds": round(seconds, 1),
                "employee": employee,
            },
        )


def _reset(target: Target) -> None:
    """Empty the benchmark database before generating into it again."""
    if target.dialect == "postgresql":
        drop_database(target)
        ensure_database(target)
        return
    Path(sa.make_url(target.url).database).unlink(missing_ok=True)


def prepare(app_factory, target: Target, seed: int, scale: float) -> dict:
    """Make sure the benchmark database holds the dataset of `seed` and `scale`.

    `app_factory(url)` builds an app on the database. A dataset recorded with
    the same seed and scale is reused; any other content is replaced by a new
    one: migrations to head, then the national dataset, which loads the
    reference data itself.
    Returns the marker (seed, scale, generated_on, seconds, the username of
    the employee with 200 activities, reused).
    """
    ensure_database(target)
    engine = sa.create_engine(target.url)
    try:
        marker = read_marker(engine)
        state = read_state(engine)
        unchanged = marker is None or state is None or state == fingerprint(engine)
    finally:
        engine.dispose()
    if not unchanged:
        log.warning(
            "the dataset in %s is not as the last run left it (an interrupted run?); "
            "generating it anew",
            target.label,
        )
    if (
        unchanged
        and marker
        and marker["seed"] == seed
        and abs(marker["scale"] - scale) < 1e-9
    ):
        log.info("reusing the dataset seed=%s scale=%s in %s", seed, scale, target.label)
        app = app_factory(target.url)
        _upgrade(app)
        # Earlier runs changed and restored rows; autovacuum may not have
        # caught up, and a new migration may have added indexes.
        with app.app_context():
            from app.extensions import db

            _analyze(db.engine)
            db.engine.dispose()
        return {**marker, "reused": True}

    _reset(target)
    app = app_factory(target.url)
    started = time.perf_counter()
    _upgrade(app)
    with app.app_context():
        from app.extensions import db
        from app.national_dataset import generate

        print(f"生成全国数据集（seed={seed}, scale={scale}）…", flush=True)
        summary = generate(
            seed=seed, scale=scale, progress=lambda message: print(f"  {message}", flush=True)
        )
        db.session.remove()
        _analyze(db.engine)
        seconds = time.perf_counter() - started
        _write_marker(db.engine, seed, scale, seconds, summary.bench_employee_username)
        write_state(db.engine, fingerprint(db.engine))
        db.engine.dispose()
    engine = sa.create_engine(target.url)
    try:
        return {**read_marker(engine), "reused": False}
    finally:
        engine.dispose()


def _analyze(engine: sa.Engine) -> None:
    """Refresh the planner's statistics, as a database that has been in use would have.

    On PostgreSQL, VACUUM also fills the visibility map, without which index-only
    scans read the table anyway.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
        return
    with engine.begin() as connection:
        connection.execute(sa.text("ANALYZE"))


def _upgrade(app) -> None:
    """Upgrade the benchmark database to the newest migration (e.g. new indexes)."""
    from flask_migrate import upgrade

    from app.extensions import db

    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()
