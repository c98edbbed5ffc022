"""Plain SQL helpers for the store's hot path."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database


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
