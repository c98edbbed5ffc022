"""The alert outbox: one delivery per (shift, channel), written with the shift it announces."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from watcher.timeutil import to_iso, utc_now


class DeliveryRecords:
    """Reads and writes ``deliveries``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def enqueue(self, shift_id: int, channels: Iterable[str]) -> None:
        """Queue a shift for each channel; a (shift, channel) pair is queued at most once."""
        now = to_iso(utc_now())
        for channel in channels:
            self.db.execute(
                "INSERT OR IGNORE INTO deliveries (shift_id, channel, created_at) VALUES (?, ?, ?)",
                [shift_id, channel, now],
            )

    def pending(self) -> list[dict[str, Any]]:
        """Deliveries still to send, oldest first."""
        return list(self.db.query("SELECT * FROM deliveries WHERE status = 'pending' ORDER BY id"))

    def mark_sent(self, delivery_id: int) -> None:
        """Record a successful send."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE deliveries SET status = 'sent', attempts = attempts + 1, sent_at = ? "
                "WHERE id = ?",
                [to_iso(utc_now()), delivery_id],
            )

    def mark_failed(self, delivery_id: int, error: str) -> None:
        """Record a failed attempt; the delivery stays pending for the next dispatch."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE deliveries SET attempts = attempts + 1, last_error = ? WHERE id = ?",
                [error, delivery_id],
            )

    def all(self) -> list[dict[str, Any]]:
        """Every delivery, oldest first."""
        return list(self.db.query("SELECT * FROM deliveries ORDER BY id"))
