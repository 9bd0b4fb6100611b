"""Bulk loading for the national dataset: COPY on PostgreSQL, executemany on SQLite.

Rows are tuples in column order whose values both drivers take as they are:
integers, strings, booleans, None, dates and timestamps as ISO strings and
JSON as serialised text. That keeps SQLAlchemy's per-value type processing
out of a load of millions of rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

CHUNK_ROWS = 10_000

# Tables whose ids the generator assigns itself, so PostgreSQL's sequences
# must be moved past them afterwards.
SERIAL_TABLES = (
    "unit",
    "ab_user",
    "ab_user_role",
    "activity",
    "evidence",
    "application",
    "review_event",
)


def iso_timestamp(value) -> str:
    """Format a naive datetime the way SQLAlchemy stores it on SQLite."""
    return value.isoformat(" ", "microseconds")


class BulkWriter:
    """Insert rows into one connection's tables, in chunks, with the fastest path."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect.name
        self._saved_pragmas: dict[str, Any] = {}
        self._replica = False

    def begin_load(self) -> None:
        """Relax checks and durability for this connection during the load.

        On PostgreSQL, session_replication_role=replica skips the foreign-key
        triggers (a full-scale load on PostgreSQL 15 and 2 shared cores took
        243 s with them, 162 s without). The generator builds every reference
        from rows it wrote, and tests/test_national_dataset.py checks every
        foreign key of a small load. The setting needs a superuser or the SET
        privilege on it, and without one the load keeps the checks.

        On SQLite, WAL with synchronous=OFF can lose the last transactions on
        a power failure but does not corrupt the file. `end_load` restores
        every setting.
        """
        if self.dialect == "postgresql":
            self._skip_foreign_key_checks()
            return
        for name in ("journal_mode", "synchronous"):
            self._saved_pragmas[name] = self.connection.exec_driver_sql(
                f"PRAGMA {name}"
            ).scalar()
        self.connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        self.connection.exec_driver_sql("PRAGMA synchronous=OFF")

    def _skip_foreign_key_checks(self) -> None:
        try:
            self.connection.exec_driver_sql("SET session_replication_role = replica")
        except DBAPIError as error:
            self.connection.rollback()
            log.info("national dataset: foreign keys stay checked: %s", error.orig)
            return
        self.connection.commit()
        self._replica = True

    def end_load(self, failed: bool = False) -> None:
        """Restore the connection's settings; after a failure, drop the uncommitted rows."""
        if self.dialect == "postgresql":
            if self._replica:
                self.connection.rollback()
                self.connection.exec_driver_sql("RESET session_replication_role")
                self.connection.commit()
            return
        if failed:
            self.connection.rollback()
        else:
            self.connection.commit()
        for name, value in self._saved_pragmas.items():
            self.connection.exec_driver_sql(f"PRAGMA {name}={value}")

    def insert(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> int:
        """Insert the rows and return their count. The caller commits."""
        driver = self.connection.connection.driver_connection
        column_list = ", ".join(columns)
        count = 0
        if self.dialect == "postgresql":
            with driver.cursor() as cursor:
                with cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            return count

        placeholders = ", ".join("?" for _ in columns)
        statement = f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})"
        cursor = driver.cursor()
        chunk: list[Sequence[Any]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= CHUNK_ROWS:
                cursor.executemany(statement, chunk)
                count += len(chunk)
                chunk = []
        if chunk:
            cursor.executemany(statement, chunk)
            count += len(chunk)
        cursor.close()
        return count

    def next_id(self, table: str) -> int:
        """Return the first id above every row of a table."""
        return self.connection.execute(
            text(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
        ).scalar_one()

    def finish(self) -> None:
        """Move PostgreSQL's id sequences past the loaded rows and run ANALYZE."""
        if self.dialect == "postgresql":
            for table in SERIAL_TABLES:
                self.connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                    )
                )
        self.connection.commit()
        self.connection.exec_driver_sql("ANALYZE")
        self.connection.commit()
        log.info("national dataset: sequences reset and statistics refreshed")
