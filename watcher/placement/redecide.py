"""Decide again the positions stated after a report that arrived late and shifted the stance.

Each later position is compared, in event order, with the position current at its time, as if
every report had arrived in order. A position that becomes a shift is recorded and alerted as
one; a shift that no longer is one is ``superseded`` (it sets no stance, its unsent deliveries
are cancelled); one that stays a shift is re-pointed at its new prior.
"""

from __future__ import annotations

import logging
from typing import Any

from watcher.alert.outbox import corroborate, queue_shift
from watcher.config import Config
from watcher.diff import decide_shift
from watcher.store import Store, StoredPosition
from watcher.store.positions import position_from_row

log = logging.getLogger(__name__)


def redecide_after(
    store: Store, config: Config, start: StoredPosition, later: list[dict[str, Any]]
) -> None:
    """Re-decide ``later`` (rows in event order) from ``start``, the new stance setter."""
    current, anchor = start, start.position.stance
    for row in later:
        stated = position_from_row(row)
        decision = decide_shift(current.position, stated, config.shifts)
        shift = store.positions.shift_of(row["id"])
        store.positions.redecide(row["id"], decision, current.id)
        if decision.is_shift:
            shift_id = store.positions.save_shift(
                row["id"], stated, decision, current, shift["id"] if shift else None
            )
            if shift is None:
                queue_shift(store, config.alerts, shift_id, stated)
            current, anchor = StoredPosition(row["id"], stated), stated.stance
            continue
        if shift is not None:
            reason = (
                f"superseded: a report published before it, read later, re-decided the "
                f"timeline (shift #{shift['id']} is now {decision.decision})"
            )
            store.corrections.set_status(shift["id"], "superseded")
            store.deliveries.cancel(shift["id"], reason)
            log.info("shift %s superseded: %s", shift["id"], decision.reason)
        corroborate(store, config.alerts, row["id"], stated)
        if stated.stance == anchor:
            current = StoredPosition(row["id"], stated)
