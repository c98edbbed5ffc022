"""Position records: the append-only history of stances, and the shifts detected in it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from watcher.models import Decision, Position, ShiftDecision, Stance, StanceVerdict
from watcher.store.sql import insert
from watcher.timeutil import from_iso, to_iso, utc_now

# An actor's positions in force on a topic, with when each was said: every position but late
# ones and those of rejected or superseded shifts, up to ``:until``.
TIMELINE_SQL = """timeline AS (
    SELECT p.*, COALESCE(p.published, p.recorded_at) AS said_at FROM positions p
    WHERE p.topic_id = :topic AND p.actor_id = :actor AND p.decision != :late
      AND COALESCE(p.published, p.recorded_at) <= :until
      AND NOT EXISTS (
          SELECT 1 FROM shifts void WHERE void.after_position_id = p.id
          AND void.status IN ('rejected', 'superseded'))
)"""

# The position that set the stance in force: the last baseline or shift of the timeline.
ANCHOR_SQL = """anchor AS (
    SELECT * FROM timeline WHERE decision IN (:base, :shift) ORDER BY said_at DESC, id DESC LIMIT 1
)"""


def timeline_params(topic_id: str, actor_id: str, until: datetime | None) -> dict[str, Any]:
    """Parameters of ``TIMELINE_SQL``; ``until`` None: up to the end of time."""
    return {
        "topic": topic_id,
        "actor": actor_id,
        "until": to_iso(until) if until else "9999",
        "base": Decision.BASELINE.value,
        "shift": Decision.SHIFT.value,
        "late": Decision.LATE.value,
    }


@dataclass(frozen=True)
class StoredPosition:
    """A position as stored, with its row id."""

    id: int
    position: Position


def position_from_row(row: dict[str, Any]) -> Position:
    """Rebuild a :class:`Position` from a ``positions`` row."""
    return Position(
        topic_id=row["topic_id"],
        actor_id=row["actor_id"],
        story_id=row["story_id"] or "",
        verdict=StanceVerdict(
            stance=Stance(row["stance"]),
            confidence=row["confidence"],
            evidence=tuple(json.loads(row["evidence"])),
            cues=tuple(json.loads(row["cues"])),
            explanation=row["explanation"],
        ),
        published=from_iso(row["published"]),
        link=row["link"],
        source_title=row["source_title"],
        evidence_from=row["evidence_from"],
    )


class PositionRecords:
    """Reads and writes ``positions`` and ``shifts``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def current(
        self, topic_id: str, actor_id: str, at: datetime | None = None
    ) -> StoredPosition | None:
        """The actor's current position: the freshest statement of the stance in force.

        In event time: the stance in force was set by the baseline or the shift stated last
        (``at``: last by that moment), unless an analyst rejected that shift; later positions
        that restate it carry fresher wording, so the newest of them is what a new position is
        compared with (and what an alert shows as "before").
        """
        rows = list(
            self.db.query(
                f"""
                WITH {TIMELINE_SQL}, {ANCHOR_SQL}
                SELECT t.* FROM timeline t JOIN anchor a ON (t.said_at, t.id) >= (a.said_at, a.id)
                WHERE t.stance = a.stance ORDER BY t.said_at DESC, t.id DESC LIMIT 1
                """,
                timeline_params(topic_id, actor_id, at),
            )
        )
        return StoredPosition(rows[0]["id"], position_from_row(rows[0])) if rows else None

    def after(self, topic_id: str, actor_id: str, at: datetime) -> list[dict[str, Any]]:
        """The positions in force stated after ``at``, in event order (rows with ``said_at``)."""
        return list(
            self.db.query(
                f"WITH {TIMELINE_SQL} SELECT * FROM timeline WHERE said_at > :after "
                "ORDER BY said_at, id",
                {**timeline_params(topic_id, actor_id, None), "after": to_iso(at)},
            )
        )

    def earliest(self, topic_id: str, actor_id: str) -> dict[str, Any] | None:
        """The first position in force in event order (the baseline, normally), or None."""
        rows = list(
            self.db.query(
                f"WITH {TIMELINE_SQL} SELECT * FROM timeline ORDER BY said_at, id LIMIT 1",
                timeline_params(topic_id, actor_id, None),
            )
        )
        return rows[0] if rows else None

    def get(self, position_id: int) -> Position:
        """One position by id."""
        return position_from_row(self.db["positions"].get(position_id))

    def record(
        self,
        position: Position,
        decision: ShiftDecision,
        prior: StoredPosition | None,
        moving: int | None = None,
    ) -> tuple[int, int | None]:
        """Append a position with its decision; add a shift row when it is one.

        ``moving``: a shift this position reports earlier than its story did; the shift's
        evidence moves to this position instead of a new shift being added. Returns (position
        id, shift id or None). Call inside a transaction so the position, the shift and its
        deliveries land together.
        """
        verdict = position.verdict
        position_id = insert(
            self.db,
            "positions",
            {
                "topic_id": position.topic_id,
                "actor_id": position.actor_id,
                "story_id": position.story_id or None,
                "stance": verdict.stance.value,
                "confidence": round(verdict.confidence, 4),
                "evidence": json.dumps(list(verdict.evidence)),
                "cues": json.dumps(list(verdict.cues)),
                "explanation": verdict.explanation,
                "published": to_iso(position.published),
                "link": position.link,
                "source_title": position.source_title,
                "evidence_from": position.evidence_from,
                "decision": decision.decision.value,
                "decision_reason": decision.reason,
                "compared_to": prior.id if prior else None,
                "recorded_at": to_iso(utc_now()),
            },
        )
        if not decision.is_shift:
            return position_id, None
        return position_id, self.save_shift(position_id, position, decision, prior, moving)

    def save_shift(
        self,
        position_id: int,
        position: Position,
        decision: ShiftDecision,
        prior: StoredPosition | None,
        shift_id: int | None = None,
    ) -> int:
        """Add the shift a stored position makes, or (``shift_id``) re-point an existing shift
        at it and at its new prior; returns the shift id."""
        fields = _shift_fields(position_id, position, decision, prior)
        if shift_id is not None:
            assignments = ", ".join(f"{column} = :{column}" for column in fields)
            self.db.execute(
                f"UPDATE shifts SET {assignments} WHERE id = :id", {**fields, "id": shift_id}
            )
            return shift_id
        fields |= {"topic_id": position.topic_id, "actor_id": position.actor_id}
        return insert(self.db, "shifts", fields | {"detected_at": to_iso(utc_now())})

    def has_starting(self, position: Position) -> bool:
        """Whether this starting position (imported or set by an analyst) is already recorded."""
        return bool(
            list(
                self.db.query(
                    "SELECT 1 FROM positions WHERE story_id IS NULL AND topic_id = ? "
                    "AND actor_id = ? AND stance = ? AND published IS ? AND evidence = ? "
                    "AND source_title = ? AND link IS ? AND decision = ? LIMIT 1",
                    [
                        position.topic_id,
                        position.actor_id,
                        position.stance.value,
                        to_iso(position.published),
                        json.dumps(list(position.verdict.evidence)),
                        position.source_title,
                        position.link,
                        Decision.BASELINE.value,
                    ],
                )
            )
        )

    def in_force(self, topic_id: str | None = None) -> list[dict[str, Any]]:
        """The stance in force for every actor with a position (on ``topic_id``, or on every
        topic): the row of the position that set it (baseline or shift), with ``said_at``."""
        pairs = self.db.execute(
            "SELECT DISTINCT topic_id, actor_id FROM positions "
            + ("WHERE topic_id = ? " if topic_id else "")
            + "ORDER BY topic_id, actor_id",
            [topic_id] if topic_id else [],
        ).fetchall()
        rows = []
        for topic, actor in pairs:
            found = list(
                self.db.query(
                    f"WITH {TIMELINE_SQL}, {ANCHOR_SQL} SELECT * FROM anchor",
                    timeline_params(topic, actor, None),
                )
            )
            rows += found
        return rows

    def redecide(self, position_id: int, decision: ShiftDecision, prior_id: int | None) -> None:
        """Replace a stored position's decision (the timeline before it changed)."""
        self.db.execute(
            "UPDATE positions SET decision = ?, decision_reason = ?, compared_to = ? WHERE id = ?",
            [decision.decision.value, decision.reason, prior_id, position_id],
        )

    def shift_of(self, position_id: int) -> dict[str, Any] | None:
        """The shift a position made, or None."""
        rows = list(
            self.db.query("SELECT * FROM shifts WHERE after_position_id = ?", [position_id])
        )
        return rows[0] if rows else None

    def shift(self, shift_id: int) -> dict[str, Any]:
        """One ``shifts`` row."""
        return self.db["shifts"].get(shift_id)

    def find_shift(self, shift_id: int) -> dict[str, Any] | None:
        """One ``shifts`` row, or None when there is no such shift."""
        rows = list(self.db.query("SELECT * FROM shifts WHERE id = ?", [shift_id]))
        return rows[0] if rows else None

    def shifts(self) -> list[dict[str, Any]]:
        """Every shift, oldest first."""
        return list(self.db.query("SELECT * FROM shifts ORDER BY id"))

    def history(self, topic_id: str, actor_id: str | None = None) -> list[dict[str, Any]]:
        """Positions on a topic (optionally one actor's), in the order recorded."""
        sql, params = "SELECT * FROM positions WHERE topic_id = ?", [topic_id]
        if actor_id:
            sql, params = sql + " AND actor_id = ?", [*params, actor_id]
        return list(self.db.query(sql + " ORDER BY id", params))


def _shift_fields(
    position_id: int, position: Position, decision: ShiftDecision, prior: StoredPosition | None
) -> dict[str, Any]:
    """The columns of a ``shifts`` row that the shift's two positions decide."""
    return {
        "before_position_id": prior.id if prior else None,
        "after_position_id": position_id,
        "before_stance": prior.position.stance.value if prior else None,
        "after_stance": position.verdict.stance.value,
        "reason": decision.reason,
        "similarity": round(decision.similarity, 1),
        "diff": json.dumps([[op.tag, op.before, op.after] for op in decision.diff]),
    }
