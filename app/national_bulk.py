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

    def begin_load(self) -> None:
        """Relax SQLite's durability for this connection during the load.

        WAL with synchronous=OFF can lose the last transactions on a power
        failure but does not corrupt the file. `end_load` restores both.
        """
        if self.dialect != "sqlite":
            return
        for name in ("journal_mode", "synchronous"):
            self._saved_pragmas[name] = self.connection.exec_driver_sql(
                f"PRAGMA {name}"
            ).scalar()
        self.connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        self.connection.exec_driver_sql("PRAGMA synchronous=OFF")

    def end_load(self) -> None:
        if self.dialect != "sqlite":
            return
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
