"""Analysts' corrections of shifts (``corrections``, ``shifts.status``) and mutes (``mutes``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlite_utils import Database

from watcher.store.sql import insert
from watcher.timeutil import to_iso


class CorrectionRecords:
    """Reads and writes ``corrections``, ``shifts.status`` and ``mutes``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(
        self, shift_id: int, action: str, reason: str, made_by: str, made_at: datetime
    ) -> dict[str, Any]:
        """Record one correction and set the shift's status; returns the correction row."""
        correction_id = insert(
            self.db,
            "corrections",
            {
                "shift_id": shift_id,
                "action": action,
                "reason": reason,
                "made_by": made_by,
                "made_at": to_iso(made_at),
            },
        )
        return self.db["corrections"].get(correction_id)

    def set_status(self, shift_id: int, status: str) -> None:
        """Set a shift's status."""
        self.db.execute("UPDATE shifts SET status = ? WHERE id = ?", [status, shift_id])

    def of_shift(self, shift_id: int) -> list[dict[str, Any]]:
        """A shift's corrections, oldest first."""
        return list(
            self.db.query("SELECT * FROM corrections WHERE shift_id = ? ORDER BY id", [shift_id])
        )

    def all(self) -> list[dict[str, Any]]:
        """Every correction with its shift, oldest first."""
        return list(
            self.db.query(
                "SELECT c.*, s.topic_id, s.actor_id, s.before_stance, s.after_stance, "
                "s.after_position_id, s.status FROM corrections c "
                "JOIN shifts s ON s.id = c.shift_id ORDER BY c.id"
            )
        )

    def mute(
        self, topic_id: str, actor_id: str, until: datetime, made_by: str, made_at: datetime
    ) -> None:
        """Mute a topic ('' actor: every actor on it) until ``until``, replacing an earlier mute."""
        self.db.execute(
            "INSERT OR REPLACE INTO mutes (topic_id, actor_id, until, made_by, made_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [topic_id, actor_id, to_iso(until), made_by, to_iso(made_at)],
        )

    def unmute(self, topic_id: str, actor_id: str) -> int:
        """Lift a mute; returns how many were lifted (0 or 1)."""
        return self.db.execute(
            "DELETE FROM mutes WHERE topic_id = ? AND actor_id = ?", [topic_id, actor_id]
        ).rowcount

    def muted(self, topic_id: str, actor_id: str, now: datetime) -> dict[str, Any] | None:
        """The mute in force for an actor on a topic (its own or the topic's), or None."""
        rows = list(
            self.db.query(
                "SELECT * FROM mutes WHERE topic_id = ? AND actor_id IN ('', ?) AND until > ? "
                "ORDER BY until DESC LIMIT 1",
                [topic_id, actor_id, to_iso(now)],
            )
        )
        return rows[0] if rows else None

    def mutes(self, now: datetime) -> list[dict[str, Any]]:
        """Mutes still in force."""
        return list(
            self.db.query(
                "SELECT * FROM mutes WHERE until > ? ORDER BY topic_id, actor_id", [to_iso(now)]
            )
        )
