"""Run a user's SQL on a read-only connection, with a time limit."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from watcher.history.connection import Params

DEFAULT_TIME_LIMIT = 30.0  # seconds; a runaway recursive CTE should not hang the terminal


class QueryError(Exception):
    """SQLite refused the query: a syntax error, a write, or the time limit."""


@dataclass(frozen=True)
class QueryResult:
    """Rows of a query; repeated column names get a suffix (``id``, ``id_2``) to stay keys."""

    columns: list[str]
    rows: list[dict[str, Any]]


def run_query(
    connection: sqlite3.Connection,
    sql: str,
    params: Params = (),
    *,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
) -> QueryResult:
    """Run one SQL statement and return every row; writes fail on a read-only connection."""
    if time_limit is not None:
        deadline = time.monotonic() + time_limit
        # SQLite calls this every N virtual-machine steps; a true result interrupts the query.
        connection.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
    try:
        cursor = connection.execute(sql, params)
        columns = _unique_names([column[0] for column in cursor.description or ()])
        rows = [dict(zip(columns, row, strict=True)) for row in cursor]
    except sqlite3.OperationalError as exc:
        if str(exc) == "interrupted":
            raise QueryError(f"the query ran longer than {time_limit:g}s and was stopped") from None
        raise QueryError(str(exc)) from None
    except (sqlite3.DatabaseError, sqlite3.ProgrammingError) as exc:
        raise QueryError(str(exc)) from None
    finally:
        connection.set_progress_handler(None, 0)
    return QueryResult(columns, rows)


def _unique_names(names: list[str]) -> list[str]:
    taken: set[str] = set()
    unique = []
    for name in names:
        candidate, number = name, 1
        while candidate in taken:
            number += 1
            candidate = f"{name}_{number}"
        taken.add(candidate)
        unique.append(candidate)
    return unique
