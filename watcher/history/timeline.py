"""Timelines of positions and the log of shifts, read from the documented views."""

from __future__ import annotations

import sqlite3

from watcher.history.connection import fetch_rows
from watcher.history.filters import HistoryFilter

# The language-model judge's ruling, joined from ``shifts`` onto the views' rows (NULL when the
# shift was not judged, or the row is no shift).
JUDGE_COLUMNS = ("judge_outcome", "judge_model", "judge_before", "judge_after", "judge_reason")
_JUDGE_SELECT = ", ".join(f"sh.{column}" for column in JUDGE_COLUMNS)
# Where a position's evidence came from (``feed`` or ``article``), and why its story's article
# could not be read (NULL when it was, or was not tried), joined onto ``position_timeline``.
ARTICLE_COLUMNS = ("evidence_from", "article_error")
_ARTICLE_SELECT = "p.evidence_from, st.article_error"


def timeline(connection: sqlite3.Connection, selection: HistoryFilter) -> list[dict]:
    """Positions from ``position_timeline`` in the order they were said (then recorded).

    A position that shifted the actor's stance carries ``shift_id`` and ``shifted_from``, and
    the judge's ruling on it (:data:`JUDGE_COLUMNS`); every position says where its evidence
    came from and why its article was not read (:data:`ARTICLE_COLUMNS`).
    """
    where, params = selection.where("said_at")
    return fetch_rows(
        connection,
        f"SELECT * FROM (SELECT t.*, {_JUDGE_SELECT}, {_ARTICLE_SELECT} "
        "FROM position_timeline t LEFT JOIN shifts sh ON sh.id = t.shift_id "
        "LEFT JOIN positions p ON p.id = t.position_id LEFT JOIN stories st ON st.id = p.story_id"
        f") {where} ORDER BY said_at, position_id",
        params,
    )


def shift_log(
    connection: sqlite3.Connection, selection: HistoryFilter, limit: int | None = None
) -> list[dict]:
    """Shifts from ``shift_log`` with the judge's ruling, the most recent (by when the new
    position was said) first."""
    where, params = selection.where("shifted_at")
    sql = (
        f"SELECT * FROM (SELECT l.*, {_JUDGE_SELECT} FROM shift_log l "
        f"JOIN shifts sh ON sh.id = l.shift_id) {where} ORDER BY shifted_at DESC, shift_id DESC"
    )
    if limit is not None:
        sql, params = sql + " LIMIT ?", [*params, limit]
    return fetch_rows(connection, sql, params)


def known_topics(connection: sqlite3.Connection) -> list[str]:
    """Topics that have at least one recorded position, to suggest when a name matches none."""
    return [
        row["topic_id"]
        for row in fetch_rows(
            connection, "SELECT DISTINCT topic_id FROM position_timeline ORDER BY topic_id"
        )
    ]
