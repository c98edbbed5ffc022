"""The alert outbox: one delivery per (shift, channel), written with the shift it announces.

A dispatcher *claims* deliveries before sending them (one UPDATE that only succeeds on rows
nobody holds), opening an attempt row in the same transaction; it then *finishes* the claim with
the outcome. A claim left behind by a dispatcher that died is released by the next pass, its open
attempt closed as ``interrupted``. Timestamps are ISO 8601 UTC text, so they compare as strings.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from watcher.redact import error_text
from watcher.store.sql import write_transaction
from watcher.timeutil import from_iso, to_iso, utc_now

# cancelled: never to be sent (its shift was rejected or superseded, or muted); reason in last_error
# withheld: the judge disputed the shift; `watcher alerts retry ID` sends it all the same
STATUSES = ("pending", "sent", "dead", "cancelled", "withheld")


@dataclass(frozen=True)
class Claim:
    """Deliveries one dispatcher holds while it sends them as one message."""

    worker: str
    batch: str | None  # digest batch key; None for a single delivery
    deliveries: tuple[dict[str, Any], ...]  # the rows as they were when claimed

    @property
    def ids(self) -> list[int]:
        """The claimed delivery ids."""
        return [row["id"] for row in self.deliveries]

    @property
    def key(self) -> str:
        """The message's stable key: the batch's, or the single delivery's."""
        return self.batch or self.deliveries[0]["key"]


class _AlreadyTaken(Exception):
    """Raised inside a claim's transaction to roll it back."""


def _placeholders(values: Iterable[Any]) -> str:
    return ", ".join("?" for _ in values)


class DeliveryRecords:
    """Reads and writes ``deliveries`` and ``delivery_attempts``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def enqueue(
        self,
        shift_id: int,
        routed: Mapping[str, str],
        now: datetime | None = None,
        due: datetime | None = None,
        cancelled: str | None = None,
    ) -> list[int]:
        """Queue a shift for each channel (name -> rule that routed it); each pair at most once.

        ``due``: when it may first be sent (default ``now``: at once). ``cancelled``: record the
        deliveries as never to be sent, for this reason (a muted topic). Call inside the
        transaction that records the shift. Returns the new delivery ids.
        """
        when = to_iso(now or utc_now())
        status = "cancelled" if cancelled else "pending"
        ids = []
        for channel, rule in routed.items():
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO deliveries "
                "(shift_id, channel, key, rule, created_at, next_attempt_at, status, last_error) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    shift_id,
                    channel,
                    uuid.uuid4().hex,
                    rule,
                    when,
                    to_iso(due) or when,
                    status,
                    cancelled,
                ],
            )
            if cursor.rowcount:
                ids.append(cursor.lastrowid)
        return ids

    def due(self, now: datetime) -> list[dict[str, Any]]:
        """Pending deliveries nobody holds whose next attempt is due, oldest first."""
        return list(
            self.db.query(
                "SELECT * FROM deliveries WHERE status = 'pending' AND claimed_by IS NULL "
                "AND next_attempt_at <= ? ORDER BY id",
                [to_iso(now)],
            )
        )

    def next_due(self, now: datetime) -> datetime | None:
        """When the next pending delivery not due yet (settling, backing off) becomes due."""
        [(when,)] = self.db.execute(
            "SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending' "
            "AND claimed_by IS NULL AND next_attempt_at > ?",
            [to_iso(now)],
        ).fetchall()
        return from_iso(when)

    def digest_since(self, now: datetime) -> dict[str, datetime]:
        """Per channel, when the oldest due delivery not yet in a digest batch was queued."""
        return {
            channel: from_iso(created)
            for channel, created in self.db.execute(
                "SELECT channel, MIN(created_at) FROM deliveries WHERE status = 'pending' "
                "AND claimed_by IS NULL AND batch IS NULL AND next_attempt_at <= ? "
                "GROUP BY channel",
                [to_iso(now)],
            )
        }

    def claim(
        self, ids: list[int], worker: str, now: datetime, until: datetime, batch: str | None = None
    ) -> Claim | None:
        """Atomically take every delivery in ``ids``, or none (another dispatcher got one first)."""
        when = to_iso(now)
        marks = _placeholders(ids)
        try:
            with write_transaction(self.db):
                taken = self.db.execute(
                    f"UPDATE deliveries SET claimed_by = ?, claimed_until = ?, batch = ? "
                    f"WHERE id IN ({marks}) AND status = 'pending' AND claimed_by IS NULL "
                    f"AND next_attempt_at <= ?",
                    [worker, to_iso(until), batch, *ids, when],
                ).rowcount
                if taken != len(ids):
                    raise _AlreadyTaken
                rows = list(
                    self.db.query(
                        f"SELECT * FROM deliveries WHERE id IN ({marks}) ORDER BY id", ids
                    )
                )
                for row in rows:
                    self.db.execute(
                        "INSERT INTO delivery_attempts "
                        "(delivery_id, attempt, worker, batch, started_at) VALUES (?, ?, ?, ?, ?)",
                        [row["id"], row["attempts"] + 1, worker, batch, when],
                    )
        except _AlreadyTaken:
            return None  # the transaction was rolled back: nothing of this claim was written
        return Claim(worker, batch, tuple(rows))

    def finish_sent(self, claim: Claim, now: datetime) -> int:
        """Record that the claimed deliveries went out; returns how many were still ours.

        A follow-up keeps the alert's ``sent_at`` and is marked sent in ``follow_up``.
        """
        return self._finish(
            claim,
            now,
            "status = 'sent', last_error = NULL, "
            "sent_at = CASE WHEN follow_up = 'queued' THEN sent_at ELSE :now END, "
            "follow_up = CASE WHEN follow_up = 'queued' THEN 'sent' ELSE follow_up END",
            outcome="'sent'",
            params={"error": None},
        )

    def finish_failed(
        self,
        claim: Claim,
        now: datetime,
        error: str,
        retry_at: datetime,
        max_attempts: int,
        permanent: bool = False,
    ) -> int:
        """Record a failed attempt: retry at ``retry_at``, or dead once out of attempts."""
        dead = "(:permanent OR attempts + 1 >= :max)"
        return self._finish(
            claim,
            now,
            f"status = CASE WHEN {dead} THEN 'dead' ELSE 'pending' END, "
            f"dead_at = CASE WHEN {dead} THEN :now END, "
            "next_attempt_at = :retry, last_error = :error",
            outcome=f"CASE WHEN {dead} THEN 'dead' ELSE 'failed' END",
            params={
                "error": error_text(error),  # whatever the far end said: redacted, one line
                "retry": to_iso(retry_at),
                "max": max_attempts,
                "permanent": permanent,
            },
        )

    def _finish(
        self, claim: Claim, now: datetime, assignments: str, outcome: str, params: dict[str, Any]
    ) -> int:
        values = {**params, "now": to_iso(now), "worker": claim.worker}
        marks = ", ".join(f":id{i}" for i in range(len(claim.ids)))
        values |= {f"id{i}": delivery_id for i, delivery_id in enumerate(claim.ids)}
        with write_transaction(self.db):
            # The attempt row first: its outcome reads the delivery's attempts before the update.
            self.db.execute(
                f"UPDATE delivery_attempts SET finished_at = :now, error = :error, outcome = "
                f"(SELECT {outcome} FROM deliveries d WHERE d.id = delivery_id) "
                f"WHERE outcome IS NULL AND worker = :worker AND delivery_id IN ({marks}) "
                f"AND delivery_id IN (SELECT id FROM deliveries WHERE claimed_by = :worker)",
                values,
            )
            # Only rows still claimed by this worker: a claim taken over after its lease expired
            # belongs to the other dispatcher now.
            return self.db.execute(
                f"UPDATE deliveries SET {assignments}, attempts = attempts + 1, "
                f"claimed_by = NULL, claimed_until = NULL "
                f"WHERE id IN ({marks}) AND claimed_by = :worker",
                values,
            ).rowcount

    def release_stale(
        self, now: datetime, worker_alive: Callable[[str], bool], max_attempts: int
    ) -> int:
        """Free claims whose lease expired or whose dispatcher is gone; returns how many.

        Their open attempts are closed as ``interrupted`` and count as attempts; the delivery is
        due again at once (or dead once out of attempts).
        """
        when = to_iso(now)
        stale = [
            row
            for row in self.db.query(
                "SELECT id, claimed_by, claimed_until FROM deliveries "
                "WHERE status = 'pending' AND claimed_by IS NOT NULL"
            )
            if row["claimed_until"] < when or not worker_alive(row["claimed_by"])
        ]
        released = 0
        for row in stale:
            reason = (
                f"interrupted: dispatcher {row['claimed_by']} stopped before recording the outcome"
            )
            values = {
                "id": row["id"],
                "worker": row["claimed_by"],
                "until": row["claimed_until"],
                "now": when,
                "reason": reason,
                "max": max_attempts,
            }
            with write_transaction(self.db):
                freed = self.db.execute(
                    "UPDATE deliveries SET claimed_by = NULL, claimed_until = NULL, "
                    "attempts = attempts + 1, last_error = :reason, next_attempt_at = :now, "
                    "status = CASE WHEN attempts + 1 >= :max THEN 'dead' ELSE 'pending' END, "
                    "dead_at = CASE WHEN attempts + 1 >= :max THEN :now END "
                    "WHERE id = :id AND claimed_by = :worker AND claimed_until = :until",
                    values,
                ).rowcount
                if freed:
                    self.db.execute(
                        "UPDATE delivery_attempts SET outcome = 'interrupted', finished_at = :now, "
                        "error = :reason WHERE delivery_id = :id AND worker = :worker "
                        "AND outcome IS NULL",
                        values,
                    )
            released += freed
        return released

    def queue_follow_up(self, shift_id: int, channels: Iterable[str], due: datetime) -> int:
        """Make the shift's sent deliveries to ``channels`` pending again, once, for a follow-up
        due at ``due``; returns how many. A delivery followed up before is left alone."""
        names = list(channels)
        if not names:
            return 0
        return self.db.execute(
            "UPDATE deliveries SET status = 'pending', follow_up = 'queued', batch = NULL, "
            "next_attempt_at = ? WHERE shift_id = ? AND status = 'sent' AND follow_up IS NULL "
            f"AND channel IN ({_placeholders(names)})",
            [to_iso(due), shift_id, *names],
        ).rowcount

    def cancel(self, shift_id: int, reason: str) -> int:
        """Cancel a shift's deliveries not sent nor being sent; returns how many.

        A delivery a dispatcher holds right now is left to finish: it may already be on its way.
        """
        return self.db.execute(
            "UPDATE deliveries SET status = 'cancelled', last_error = ? "
            "WHERE shift_id = ? AND status IN ('pending', 'dead', 'withheld') "
            "AND claimed_by IS NULL",
            [reason, shift_id],
        ).rowcount

    def send_now(
        self, ids: Iterable[int] = (), every: bool = False, now: datetime | None = None
    ) -> int:
        """Make pending deliveries (the given ones, or all) due now, whatever their backoff."""
        ids = list(ids)
        where = "status = 'pending' AND claimed_by IS NULL" + (
            "" if every else f" AND id IN ({_placeholders(ids)})"
        )
        return self.db.execute(
            f"UPDATE deliveries SET next_attempt_at = ? WHERE {where}",
            [to_iso(now or utc_now()), *([] if every else ids)],
        ).rowcount

    def end_settling(self, shift_ids: Iterable[int], now: datetime) -> int:
        """Make the shifts' deliveries still waiting out their settle window due at ``now``."""
        ids = list(shift_ids)
        return self.db.execute(
            "UPDATE deliveries SET next_attempt_at = :now WHERE status = 'pending' "
            "AND attempts = 0 AND claimed_by IS NULL AND next_attempt_at > :now "
            f"AND shift_id IN ({', '.join(f':s{i}' for i in range(len(ids)))})",
            {"now": to_iso(now), **{f"s{i}": shift_id for i, shift_id in enumerate(ids)}},
        ).rowcount

    def hold(self, shift_id: int, until: datetime, reason: str) -> int:
        """Keep a shift's unclaimed pending deliveries queued until ``until`` (no attempt spent)."""
        with write_transaction(self.db):
            return self.db.execute(
                "UPDATE deliveries SET next_attempt_at = ?, last_error = ? "
                "WHERE shift_id = ? AND status = 'pending' AND claimed_by IS NULL",
                [to_iso(until), reason, shift_id],
            ).rowcount

    def withhold(self, shift_id: int, reason: str) -> int:
        """Set a shift's unclaimed pending deliveries aside as ``withheld``; returns how many."""
        with write_transaction(self.db):
            return self.db.execute(
                "UPDATE deliveries SET status = 'withheld', last_error = ? "
                "WHERE shift_id = ? AND status = 'pending' AND claimed_by IS NULL",
                [reason, shift_id],
            ).rowcount

    def requeue(self, ids: Iterable[int] = (), all_dead: bool = False) -> int:
        """Give dead deliveries (the given ones, or all) a fresh set of attempts, due now.

        Withheld deliveries named by id are queued too: the user overrules the judge.
        """
        ids = list(ids)
        where = (
            "status = 'dead'"
            if all_dead
            else f"status IN ('dead', 'withheld') AND id IN ({_placeholders(ids)})"
        )
        with write_transaction(self.db):
            return self.db.execute(
                "UPDATE deliveries SET status = 'pending', attempts = 0, dead_at = NULL, "
                f"batch = NULL, next_attempt_at = ? WHERE {where}",
                [to_iso(utc_now()), *([] if all_dead else ids)],
            ).rowcount

    def listing(self, status: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Deliveries newest first, with their shift's topic, actor and stances."""
        where, params = ("WHERE d.status = ?", [status]) if status else ("", [])
        return list(
            self.db.query(
                "SELECT d.*, s.topic_id, s.actor_id, s.before_stance, s.after_stance "
                f"FROM deliveries d JOIN shifts s ON s.id = d.shift_id {where} "
                "ORDER BY d.id DESC LIMIT ?",
                [*params, limit],
            )
        )

    def get(self, delivery_id: int) -> dict[str, Any] | None:
        """One delivery row, or None."""
        rows = list(self.db.query("SELECT * FROM deliveries WHERE id = ?", [delivery_id]))
        return rows[0] if rows else None

    def interrupted(self, ids: Iterable[int], since: str | None = None) -> bool:
        """Whether an attempt at any of ``ids`` (started after ``since``, if given) was
        interrupted: its dispatcher died mid-send, so the message may have arrived."""
        wanted = list(ids)
        if not wanted:
            return False
        row = self.db.execute(
            f"SELECT 1 FROM delivery_attempts WHERE delivery_id IN ({_placeholders(wanted)}) "
            "AND outcome = 'interrupted' AND started_at > ? LIMIT 1",
            [*wanted, since or ""],
        ).fetchone()
        return row is not None

    def attempts(self, delivery_id: int) -> list[dict[str, Any]]:
        """The attempt log of one delivery, oldest first."""
        return list(
            self.db.query(
                "SELECT * FROM delivery_attempts WHERE delivery_id = ? ORDER BY id", [delivery_id]
            )
        )

    def counts(self) -> dict[str, int]:
        """Number of deliveries per status (every status present, zero when none)."""
        found = dict(self.db.execute("SELECT status, COUNT(*) FROM deliveries GROUP BY status"))
        return {status: found.get(status, 0) for status in STATUSES}

    def pending(self) -> list[dict[str, Any]]:
        """Deliveries still to send, oldest first."""
        return list(self.db.query("SELECT * FROM deliveries WHERE status = 'pending' ORDER BY id"))

    def all(self) -> list[dict[str, Any]]:
        """Every delivery, oldest first."""
        return list(self.db.query("SELECT * FROM deliveries ORDER BY id"))
