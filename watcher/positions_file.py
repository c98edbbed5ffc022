"""Starting positions from a TOML file: what an analyst knew before watcher began polling."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from watcher.config import ConfigError, describe_validation_error
from watcher.models import Decision, Position, ShiftDecision, Stance, StanceVerdict, Topic
from watcher.store import Store


class _PositionEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: str
    actor: str
    stance: Stance
    as_of: dt.date | dt.datetime
    evidence: list[str] = Field(min_length=1)
    source: str = ""
    link: str | None = None


class _PositionsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    positions: list[_PositionEntry]


def load_positions(path: Path, topics: dict[str, Topic]) -> list[Position]:
    """Read and check a positions file against the configured topics and actors."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        entries = _PositionsFile.model_validate(raw).positions
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, str(path))) from None
    positions = []
    for index, entry in enumerate(entries):
        where = f"{path}: positions[{index}]"
        topic = topics.get(entry.topic)
        if topic is None:
            raise ConfigError(f"{where}.topic: no topic {entry.topic!r} in the config")
        if entry.actor not in {a.id for a in topic.actors}:
            raise ConfigError(f"{where}.actor: topic {topic.id!r} has no actor {entry.actor!r}")
        if entry.stance is Stance.UNRELATED:
            raise ConfigError(f"{where}.stance: a position cannot be 'unrelated'")
        as_of = entry.as_of
        if not isinstance(as_of, dt.datetime):
            as_of = dt.datetime.combine(as_of, dt.time())
        positions.append(
            Position(
                topic_id=topic.id,
                actor_id=entry.actor,
                story_id="",
                verdict=StanceVerdict(
                    stance=entry.stance,
                    confidence=1.0,
                    evidence=tuple(entry.evidence),
                    explanation=f"imported from {path.name}",
                ),
                published=as_of if as_of.tzinfo else as_of.replace(tzinfo=dt.UTC),
                link=entry.link,
                source_title=entry.source,
            )
        )
    return positions


def analyst_position(
    topic: Topic,
    actor_id: str,
    stance: Stance,
    evidence: str,
    as_of: dt.datetime,
    by: str,
) -> Position:
    """A position an analyst sets by hand (``watcher positions set``), checked like a file's."""
    where = "positions set"
    if actor_id not in {a.id for a in topic.actors}:
        raise ConfigError(f"{where}: topic {topic.id!r} has no actor {actor_id!r}")
    if stance is Stance.UNRELATED:
        raise ConfigError(f"{where}: a position cannot be 'unrelated'")
    if not evidence.strip():
        raise ConfigError(f"{where}: --evidence must say what the position rests on")
    return Position(
        topic_id=topic.id,
        actor_id=actor_id,
        story_id="",
        verdict=StanceVerdict(
            stance=stance, confidence=1.0, evidence=(evidence.strip(),), explanation=f"set by {by}"
        ),
        published=as_of if as_of.tzinfo else as_of.replace(tzinfo=dt.UTC),
        source_title=f"analyst: {by}",
    )


def import_positions(store: Store, positions: list[Position]) -> int:
    """Record positions as each actor's baseline from their date on; returns how many were new.

    A position already recorded (same topic, actor, stance, date, evidence and source) is
    skipped, so importing the same file twice adds nothing.
    """
    added = 0
    with store.transaction():
        for position in positions:
            if store.positions.has_starting(position):
                continue
            decision = ShiftDecision(Decision.BASELINE, position.verdict.explanation)
            store.positions.record(position, decision, prior=None)
            added += 1
    return added
