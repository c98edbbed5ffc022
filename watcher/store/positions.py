"""Position records: the append-only history of stances, and the shifts detected in it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from watcher.models import Decision, Position, ShiftDecision, Stance, StanceVerdict
from watcher.store.sql import insert
from watcher.timeutil import from_iso, to_iso, utc_now


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

    def current(self, topic_id: str, actor_id: str) -> StoredPosition | None:
        """The actor's current position: the freshest statement of the stance in force.

        The stance in force was set by the baseline or the latest shift; later positions that
        restate it carry fresher wording, so the newest of them is what a new position is
        compared with (and what an alert shows as "before").
        """
        rows = list(
            self.db.query(
                """
                WITH anchor AS (
                    SELECT id, stance FROM positions
                    WHERE topic_id = :topic AND actor_id = :actor AND decision IN (:base, :shift)
                    ORDER BY id DESC LIMIT 1
                )
                SELECT p.* FROM positions p JOIN anchor ON p.id >= anchor.id
                WHERE p.topic_id = :topic AND p.actor_id = :actor
                  AND p.stance = anchor.stance AND p.decision != :late
                ORDER BY p.id DESC LIMIT 1
                """,
                {
                    "topic": topic_id,
                    "actor": actor_id,
                    "base": Decision.BASELINE.value,
                    "shift": Decision.SHIFT.value,
                    "late": Decision.LATE.value,
                },
            )
        )
        return StoredPosition(rows[0]["id"], position_from_row(rows[0])) if rows else None

    def get(self, position_id: int) -> Position:
        """One position by id."""
        return position_from_row(self.db["positions"].get(position_id))

    def record(
        self, position: Position, decision: ShiftDecision, prior: StoredPosition | None
    ) -> tuple[int, int | None]:
        """Append a position with its decision; add a shift row when it is one.

        Returns (position id, shift id or None). Call inside a transaction so the position, the
        shift and its deliveries land together.
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
        shift_id = insert(
            self.db,
            "shifts",
            {
                "topic_id": position.topic_id,
                "actor_id": position.actor_id,
                "before_position_id": prior.id if prior else None,
                "after_position_id": position_id,
                "before_stance": prior.position.stance.value if prior else None,
                "after_stance": verdict.stance.value,
                "reason": decision.reason,
                "similarity": round(decision.similarity, 1),
                "diff": json.dumps([[op.tag, op.before, op.after] for op in decision.diff]),
                "detected_at": to_iso(utc_now()),
            },
        )
        return position_id, shift_id

    def shift(self, shift_id: int) -> dict[str, Any]:
        """One ``shifts`` row."""
        return self.db["shifts"].get(shift_id)

    def shifts(self) -> list[dict[str, Any]]:
        """Every shift, oldest first."""
        return list(self.db.query("SELECT * FROM shifts ORDER BY id"))

    def history(self, topic_id: str, actor_id: str | None = None) -> list[dict[str, Any]]:
        """Positions on a topic (optionally one actor's), in the order recorded."""
        sql, params = "SELECT * FROM positions WHERE topic_id = ?", [topic_id]
        if actor_id:
            sql, params = sql + " AND actor_id = ?", [*params, actor_id]
        return list(self.db.query(sql + " ORDER BY id", params))
