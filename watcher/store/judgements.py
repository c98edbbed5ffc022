"""The judge's records: cached answers, the log of calls, and each shift's ruling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from watcher.store.sql import insert, write_transaction
from watcher.timeutil import from_iso, to_iso

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class CachedAnswer:
    """A stored answer of the model."""

    model: str
    before: str
    after: str
    shifted: bool
    reason: str


class JudgeRecords:
    """Reads and writes ``judge_answers``, ``judge_calls`` and the ``judge_*`` shift columns."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def cached(self, key: str) -> CachedAnswer | None:
        """The answer stored under ``key``, or None."""
        row = self.db.execute(
            "SELECT model, before_stance, after_stance, shifted, reason FROM judge_answers "
            "WHERE key = ?",
            [key],
        ).fetchone()
        return CachedAnswer(row[0], row[1], row[2], bool(row[3]), row[4]) if row else None

    def remember(self, key: str, answer: CachedAnswer, now: datetime) -> None:
        """Store an answer under ``key`` (the first one stays if two dispatchers raced)."""
        with write_transaction(self.db):
            self.db.execute(
                "INSERT OR IGNORE INTO judge_answers "
                "(key, model, before_stance, after_stance, shifted, reason, answered_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    key,
                    answer.model,
                    answer.before,
                    answer.after,
                    answer.shifted,
                    answer.reason,
                    to_iso(now),
                ],
            )

    def log_call(
        self,
        shift_id: int | None,
        model: str,
        now: datetime,
        seconds: float,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        """Record one request sent to the model and how it ended."""
        with write_transaction(self.db):
            insert(
                self.db,
                "judge_calls",
                {
                    "shift_id": shift_id,
                    "model": model,
                    "called_at": to_iso(now),
                    "seconds": round(seconds, 3),
                    "outcome": "failed" if error else "answered",
                    "error": error,
                    "retry_at": to_iso(retry_at),
                },
            )

    def calls_since(self, since: datetime) -> int:
        """Requests sent to the model since ``since``."""
        return self.db.execute(
            "SELECT COUNT(*) FROM judge_calls WHERE called_at > ?", [to_iso(since)]
        ).fetchone()[0]

    def cap_frees_at(self, now: datetime, cap: int) -> datetime | None:
        """When the hourly cap lets another call through; None when it does now."""
        row = self.db.execute(
            "SELECT called_at FROM judge_calls WHERE called_at > ? "
            "ORDER BY called_at DESC LIMIT 1 OFFSET ?",
            [to_iso(now - HOUR), cap - 1],
        ).fetchone()
        return from_iso(row[0]) + HOUR if row else None

    def blocked_until(self, now: datetime) -> datetime | None:
        """The latest time the server asked not to be called before, if still ahead."""
        row = self.db.execute(
            "SELECT MAX(retry_at) FROM judge_calls WHERE retry_at > ?", [to_iso(now)]
        ).fetchone()
        return from_iso(row[0]) if row and row[0] else None

    def unjudged(self, shift_ids: list[int]) -> list[int]:
        """Those of ``shift_ids`` never judged and with no delivery sent yet."""
        if not shift_ids:
            return []
        marks = ", ".join("?" for _ in shift_ids)
        return [
            row[0]
            for row in self.db.execute(
                f"SELECT id FROM shifts s WHERE id IN ({marks}) AND judge_outcome IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.shift_id = s.id "
                "AND d.status = 'sent') ORDER BY id",
                shift_ids,
            )
        ]

    def rule(
        self, shift_id: int, outcome: str, answer: CachedAnswer | None, note: str, now: datetime
    ) -> None:
        """Record the judge's ruling on a shift: its answer, or (``failed``) why there is none."""
        with write_transaction(self.db):
            self.db.execute(
                "UPDATE shifts SET judge_outcome = ?, judge_model = ?, judge_before = ?, "
                "judge_after = ?, judge_reason = ?, judged_at = ? WHERE id = ?",
                [
                    outcome,
                    answer.model if answer else None,
                    answer.before if answer else None,
                    answer.after if answer else None,
                    answer.reason if answer else note,
                    to_iso(now),
                    shift_id,
                ],
            )

    def failed(self, shift_id: int, error: str) -> int:
        """Count a failure to judge a shift; returns its failures so far."""
        with write_transaction(self.db):
            self.db.execute(
                "UPDATE shifts SET judge_failures = judge_failures + 1, judge_error = ? "
                "WHERE id = ?",
                [error, shift_id],
            )
            return self.db.execute(
                "SELECT judge_failures FROM shifts WHERE id = ?", [shift_id]
            ).fetchone()[0]

    def summary(self, now: datetime) -> dict[str, Any]:
        """What ``watcher status`` shows: calls and failures in the last hour and day, the last
        error, the rulings so far, and the shifts waiting for the judge."""
        hour, day = to_iso(now - HOUR), to_iso(now - timedelta(days=1))
        calls = self.db.execute(
            "SELECT SUM(called_at > :hour), SUM(called_at > :hour AND outcome = 'failed'), "
            "SUM(called_at > :day), SUM(called_at > :day AND outcome = 'failed') "
            "FROM judge_calls",
            {"hour": hour, "day": day},
        ).fetchone()
        last_error = self.db.execute(
            "SELECT called_at, error FROM judge_calls WHERE outcome = 'failed' "
            "ORDER BY id DESC LIMIT 1"
        ).fetchone()
        outcomes = dict(
            self.db.execute(
                "SELECT judge_outcome, COUNT(*) FROM shifts WHERE judge_outcome IS NOT NULL "
                "GROUP BY judge_outcome"
            )
        )
        waiting = self.db.execute(
            "SELECT COUNT(DISTINCT s.id) FROM shifts s JOIN deliveries d ON d.shift_id = s.id "
            "WHERE s.judge_outcome IS NULL AND s.judge_failures > 0 AND d.status = 'pending'"
        ).fetchone()[0]
        return {
            "calls_last_hour": calls[0] or 0,
            "failures_last_hour": calls[1] or 0,
            "calls_last_day": calls[2] or 0,
            "failures_last_day": calls[3] or 0,
            "last_error": last_error[1] if last_error else None,
            "last_error_at": from_iso(last_error[0]) if last_error else None,
            "blocked_until": self.blocked_until(now),
            "outcomes": {name: outcomes.get(name, 0) for name in OUTCOMES},
            "held": waiting,
        }


OUTCOMES = ("confirmed", "disputed", "failed")
