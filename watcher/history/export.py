"""Export positions, shifts and stories (their documented views) as CSV or JSON lines."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

from watcher.history.connection import iter_rows
from watcher.history.filters import EVERYTHING, HistoryFilter
from watcher.history.output import write_csv, write_jsonl


@dataclass(frozen=True)
class ExportKind:
    """What one kind of export reads and how it is filtered and ordered."""

    view: str
    time_column: str  # what --since compares
    order: str
    topic_sql: str = "topic_id = ?"
    actor_sql: str | None = "actor_id = ?"


KINDS: dict[str, ExportKind] = {
    "positions": ExportKind("position_timeline", "said_at", "said_at, position_id"),
    "shifts": ExportKind("shift_log", "shifted_at", "shifted_at, shift_id"),
    "stories": ExportKind(
        "story_log",
        "COALESCE(published, first_seen_at)",
        "COALESCE(published, first_seen_at), story_id",
        topic_sql="EXISTS (SELECT 1 FROM json_each(topics) WHERE value = ?)",
        actor_sql=None,
    ),
}
FORMATS = ("csv", "jsonl")


def view_columns(connection: sqlite3.Connection, view: str) -> list[str]:
    """The columns of a view (or table), in order."""
    return [row[1] for row in connection.execute("SELECT * FROM pragma_table_info(?)", [view])]


def export_rows(
    connection: sqlite3.Connection, kind: str, selection: HistoryFilter = EVERYTHING
) -> Iterator[dict]:
    """The rows of one export kind, oldest first, streamed from its view."""
    spec = KINDS[kind]
    where, params = selection.where(spec.time_column, spec.topic_sql, spec.actor_sql)
    return iter_rows(connection, f"SELECT * FROM {spec.view} {where} ORDER BY {spec.order}", params)


def export(
    connection: sqlite3.Connection,
    kind: str,
    fmt: str,
    out: TextIO,
    selection: HistoryFilter = EVERYTHING,
) -> int:
    """Write one kind as ``fmt`` (csv or jsonl) to ``out``; return the number of rows.

    CSV keeps list columns (evidence, cues, diff, sources, topics) as JSON text; JSON lines nest
    them. Both carry every column of the view, so the export reads back into the same records.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    rows = export_rows(connection, kind, selection)
    if fmt == "csv":
        return write_csv(rows, out, view_columns(connection, KINDS[kind].view))
    return write_jsonl(rows, out)
