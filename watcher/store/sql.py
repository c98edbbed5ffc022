"""SQL helpers for the store: the switch to WAL, write transactions, the hot path's inserts."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlite_utils import Database


def enable_wal(db: Database, wait_seconds: float) -> None:
    """Switch ``db`` to WAL, retrying for up to ``wait_seconds`` while another connection blocks it.

    SQLite does not always call the busy handler for the switch: while another connection is
    switching or recovering the same new file, ``PRAGMA journal_mode=wal`` fails at once with
    "database is locked", so several processes opening a new database together need the retry.
    """
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            db.enable_wal()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """A write transaction that holds SQLite's write lock from its start; nested: a savepoint.

    A plain (deferred) ``BEGIN`` starts as a reader and asks for the write lock at its first
    write; if another connection committed in between, SQLite refuses at once with "database is
    locked" (``busy_timeout`` cannot help: the transaction's snapshot is already stale).
    ``BEGIN IMMEDIATE`` takes the lock first, waiting up to ``busy_timeout`` for it, so every
    read inside sees what it writes against. Every multi-statement write in watcher goes
    through here; sqlite-utils' ``atomic()`` opens a deferred ``BEGIN``.
    """
    if db.conn.in_transaction:
        with db.atomic():  # a savepoint inside the enclosing immediate transaction
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:  # an error may have ended the transaction already
            db.conn.execute("ROLLBACK")
        raise
    try:
        db.conn.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise


def insert(db: Database, table: str, row: dict[str, Any]) -> int:
    """Insert ``row`` into ``table`` and return its rowid.

    sqlite-utils' ``db[table].insert`` looks the table up in ``sqlite_master`` on every call; a
    story's rows are inserted often enough for that to show. Table and column names come from
    the store's own code, never from input.
    """
    columns = ", ".join(row)
    marks = ", ".join("?" * len(row))
    cursor = db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values()))
    return int(cursor.lastrowid or 0)
