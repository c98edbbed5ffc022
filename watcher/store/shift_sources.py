"""Corroborating sources: other outlets' stories that reported a shift's new stance.

A shift is detected once, from the first story that showed the new stance; outlets that report
the same stance later (in their own words) are attached here, so the shift's alert, or its record
once the alert has gone, lists every outlet.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlite_utils import Database

from watcher.store.positions import ANCHOR_SQL, TIMELINE_SQL, timeline_params
from watcher.timeutil import to_iso, utc_now


class ShiftSourceRecords:
    """Reads and writes ``shift_sources``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def stance_in_force(
        self, topic_id: str, actor_id: str, at: datetime | None = None
    ) -> dict[str, Any] | None:
        """The shift that set the actor's stance in force (``at``: at that moment), with its
        position's story and date.

        None when the stance in force was set by a baseline (or nothing is known yet).
        """
        rows = list(
            self.db.query(
                f"""
                WITH {TIMELINE_SQL}, {ANCHOR_SQL}
                SELECT s.*, anchor.story_id, anchor.published FROM anchor
                JOIN shifts s ON s.after_position_id = anchor.id
                """,
                timeline_params(topic_id, actor_id, at),
            )
        )
        return rows[0] if rows else None

    def add(
        self, shift_id: int, story_id: str, position_id: int, now: datetime | None = None
    ) -> bool:
        """Attach a story to a shift; False when it was already attached."""
        return bool(
            self.db.execute(
                "INSERT OR IGNORE INTO shift_sources (shift_id, story_id, position_id, added_at) "
                "VALUES (?, ?, ?, ?)",
                [shift_id, story_id, position_id, to_iso(now or utc_now())],
            ).rowcount
        )

    def outlets_since(self, shift_id: int, since: str) -> list[str]:
        """The outlets (feed name, else URL) whose stories joined the shift at or after
        ``since`` (ISO 8601), in the order they joined."""
        return [
            row[0]
            for row in self.db.execute(
                "SELECT COALESCE(NULLIF(f.name, ''), ss.feed_url) AS outlet FROM shift_sources src "
                "JOIN story_sources ss ON ss.story_id = src.story_id "
                "LEFT JOIN feeds f ON f.url = ss.feed_url "
                "WHERE src.shift_id = ? AND src.added_at >= ? "
                "GROUP BY outlet ORDER BY MIN(src.added_at), MIN(ss.rowid)",
                [shift_id, since],
            )
        ]

    def sources(self, shift_id: int) -> list[dict[str, Any]]:
        """Every feed entry that reported the shift, earliest first; at the same time a
        first-hand report before a second-hand one, the shift's own story before the others.

        Each row has ``feed_url``, ``feed_name``, ``title`` (the story's), ``link``,
        ``published``, ``corroborating`` (0 for the shift's own story) and ``second_hand``
        (1 when the statement was known only through someone else).
        """
        return list(
            self.db.query(
                """
                WITH reporting AS (
                    SELECT p.story_id, 0 AS corroborating, p.explanation FROM shifts s
                    JOIN positions p ON p.id = s.after_position_id
                    WHERE s.id = :shift AND p.story_id IS NOT NULL
                    UNION ALL
                    SELECT source.story_id, 1, p.explanation FROM shift_sources source
                    JOIN positions p ON p.id = source.position_id
                    WHERE source.shift_id = :shift
                )
                SELECT ss.feed_url, COALESCE(f.name, '') AS feed_name, st.title, ss.link,
                       ss.published, r.corroborating,
                       r.explanation LIKE '%second-hand%' AS second_hand
                FROM reporting r
                JOIN stories st ON st.id = r.story_id
                JOIN story_sources ss ON ss.story_id = r.story_id
                LEFT JOIN feeds f ON f.url = ss.feed_url
                ORDER BY COALESCE(ss.published, ss.seen_at), second_hand, r.corroborating,
                         ss.seen_at, ss.rowid
                """,
                {"shift": shift_id},
            )
        )
