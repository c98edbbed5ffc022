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


def import_positions(store: Store, positions: list[Position]) -> None:
    """Record positions as each actor's baseline (replacing the stance in force)."""
    with store.transaction():
        for position in positions:
            decision = ShiftDecision(Decision.BASELINE, position.verdict.explanation)
            store.positions.record(position, decision, prior=None)
