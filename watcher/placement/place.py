"""Record a position where it belongs in the actor's timeline, and alert on what it changes.

Feeds are polled one by one, so a report published before the actor's current position can
arrive after it. Such a report is compared with the stance in force *when it was published*:

- nothing in force yet, but later positions known: it is older than the baseline and cannot
  change anything (``late``);
- the same stance as then: a restatement, as if it had arrived in order;
- the first report of the actor's next shift (same new stance, nothing in between that says
  otherwise): the shift's evidence moves to it, and the story that showed the shift first
  becomes one of its sources, so its alert names the earlier outlet;
- otherwise a shift at its time: it is recorded and alerted, and the positions after it are
  decided again (``redecide_after``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from watcher.alert.outbox import corroborate, queue_shift
from watcher.config import Config
from watcher.diff import decide_shift, stance_changed
from watcher.models import Decision, Position, ShiftDecision
from watcher.placement.redecide import redecide_after
from watcher.store import Store, StoredPosition
from watcher.store.positions import position_from_row
from watcher.timeutil import from_iso, utc_now

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Placed:
    """What recording one position did."""

    position_id: int
    decision: ShiftDecision
    shift_id: int | None  # the shift it made, or whose earliest report it became


def place_position(store: Store, config: Config, position: Position) -> Placed:
    """Record ``position`` in event time, queue or update the alerts it affects.

    Call inside the transaction that records its story.
    """
    said_at = position.published or utc_now()
    topic, actor = position.topic_id, position.actor_id
    prior = store.positions.current(topic, actor, at=said_at)
    later = store.positions.after(topic, actor, said_at)
    if prior is None and later:
        first = later[0]
        decision = ShiftDecision(
            Decision.LATE,
            f"published {said_at:%Y-%m-%d %H:%M}, before the first position known "
            f"({first['said_at'][:16].replace('T', ' ')}): it cannot change anything",
        )
        stored = StoredPosition(first["id"], position_from_row(first))
        position_id, _ = store.positions.record(position, decision, stored)
        return Placed(position_id, decision, None)
    decision = decide_shift(prior.position if prior else None, position, config.shifts)
    if not decision.is_shift or not later:
        return _append(store, config, position, decision, prior)
    next_shift = _next_shift_reported_earlier(store, config, position, later)
    if next_shift is not None:
        return _move_shift(store, config, position, decision, prior, *next_shift)
    placed = _append(store, config, position, decision, prior)
    log.info(
        "%s on %s: a report published %s shifts the stance at its time; deciding %d later "
        "positions again",
        actor,
        topic,
        said_at,
        len(later),
    )
    redecide_after(store, config, StoredPosition(placed.position_id, position), later)
    return placed


def _append(
    store: Store,
    config: Config,
    position: Position,
    decision: ShiftDecision,
    prior: StoredPosition | None,
) -> Placed:
    """Record a position whose decision changes nothing after it; queue or corroborate."""
    position_id, shift_id = store.positions.record(position, decision, prior)
    if shift_id is not None:
        queue_shift(store, config.alerts, shift_id, position)
    elif decision.decision is Decision.BASELINE:
        log.info("baseline for %s on %s: %s", position.actor_id, position.topic_id, position.stance)
    else:  # another outlet reporting a shift's new stance is a source of it, not an alert
        corroborate(store, config.alerts, position_id, position)
    return Placed(position_id, decision, shift_id)


def _next_shift_reported_earlier(
    store: Store, config: Config, position: Position, later: list[dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(the next shift, its position's row) when ``position`` is an earlier report of it: the
    same new stance, and nothing stated in between that would be a change from it."""
    for row in later:
        stated = position_from_row(row)
        if row["decision"] == Decision.SHIFT.value:
            shift = store.positions.shift_of(row["id"])
            if shift is None or stated.stance != position.stance:
                return None
            return shift, row
        if stance_changed(position.verdict, stated.verdict, config.shifts)[0]:
            return None
    return None


def _move_shift(
    store: Store,
    config: Config,
    position: Position,
    decision: ShiftDecision,
    prior: StoredPosition | None,
    shift: dict[str, Any],
    reported: dict[str, Any],
) -> Placed:
    """Make ``position`` the shift's evidence; the report it replaces becomes a source."""
    position_id, shift_id = store.positions.record(position, decision, prior, moving=shift["id"])
    stated = position_from_row(reported)
    store.positions.redecide(
        reported["id"], decide_shift(position, stated, config.shifts), position_id
    )
    if stated.story_id:
        store.shift_sources.add(shift["id"], stated.story_id, reported["id"])
    log.info(
        "shift %s of %s on %s: an earlier report (%s) is now its evidence, %s is a source",
        shift["id"],
        position.actor_id,
        position.topic_id,
        position.published,
        from_iso(reported["published"]),
    )
    return Placed(position_id, decision, shift_id)
