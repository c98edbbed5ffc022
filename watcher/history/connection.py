"""Read-only access to a watcher database: a connection that cannot write, and rows as dicts."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from watcher.store import Store
from watcher.store.migrations import MIGRATIONS

Params = Sequence[Any] | dict[str, Any]


class NotAWatcherDatabase(Exception):
    """The file is missing or is not a database watcher created."""


def open_readonly(path: Path | str) -> sqlite3.Connection:
    """Open ``path`` so that the connection itself cannot write.

    SQLite's read-only URI mode refuses writes to the file; ``query_only`` also refuses temporary
    tables; an authorizer refuses ATTACH, which could otherwise create a file (``mode=rwc``). A
    database whose schema is behind this watcher is migrated first, so the documented views exist.
    """
    path = Path(path)
    if not path.is_file():
        raise NotAWatcherDatabase(f"{path}: no database here (run `watcher poll --once` first)")
    connection = _connect_readonly(path)
    try:
        missing = {m.version for m in MIGRATIONS} - _applied_versions(connection, path)
        if missing:
            connection.close()
            Store(path).close()  # migrates; the only write a read command ever makes
            connection = _connect_readonly(path)
        connection.execute("PRAGMA query_only = ON")
        connection.set_authorizer(_refuse_attach)
    except BaseException:
        connection.close()
        raise
    return connection


def _connect_readonly(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    connection.execute("PRAGMA busy_timeout = 10000")  # the daemon may be writing
    return connection


def _refuse_attach(action: int, *_: object) -> int:
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _applied_versions(connection: sqlite3.Connection, path: Path) -> set[int]:
    try:
        return {row[0] for row in connection.execute("SELECT version FROM schema_migrations")}
    except sqlite3.DatabaseError as exc:  # no such table, or not SQLite at all
        raise NotAWatcherDatabase(f"{path}: not a watcher database ({exc})") from None


def iter_rows(connection: sqlite3.Connection, sql: str, params: Params = ()) -> Iterator[dict]:
    """Run ``sql`` and yield each row as a dict keyed by column name, without loading them all."""
    cursor = connection.execute(sql, params)
    columns = [column[0] for column in cursor.description or ()]
    for row in cursor:
        yield dict(zip(columns, row, strict=True))


def fetch_rows(connection: sqlite3.Connection, sql: str, params: Params = ()) -> list[dict]:
    """Every row of ``sql`` as a dict keyed by column name."""
    return list(iter_rows(connection, sql, params))
