"""Acknowledge or reject a detected shift.

A rejected shift no longer sets the actor's stance: the stance before it is back in force, and
its deliveries not yet sent are cancelled. Acknowledging a shift (also one rejected before)
confirms it. Every action is kept in ``corrections``; the latest sets ``shifts.status``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from watcher.store import Store
from watcher.timeutil import utc_now

# The shift status each action leaves behind.
STATUS_AFTER = {"ack": "acknowledged", "reject": "rejected"}


class CorrectionError(ValueError):
    """A correction that cannot be made: an unknown shift, a missing reason or name."""


def ack_shift(
    store: Store, shift_id: int, *, by: str, now: datetime | None = None
) -> dict[str, Any]:
    """Confirm a shift; returns the correction (with the shift's new ``status``)."""
    return _correct(store, shift_id, "ack", "", by, now)


def reject_shift(
    store: Store, shift_id: int, *, why: str, by: str, now: datetime | None = None
) -> dict[str, Any]:
    """Reject a shift as wrong, for the reason ``why``.

    The actor's stance before it is back in force, and its deliveries not yet sent are
    cancelled (``cancelled`` in the result says how many); one being sent at this moment
    finishes.
    """
    if not why.strip():
        raise CorrectionError(f"rejecting shift #{shift_id} needs a reason")
    return _correct(store, shift_id, "reject", why.strip(), by, now)


def shift_status(store: Store, shift_id: int) -> str:
    """A shift's status: open, acknowledged, rejected or superseded."""
    return _shift(store, shift_id)["status"]


def shift_corrections(store: Store, shift_id: int) -> dict[str, Any]:
    """A shift's status and its corrections, oldest first (``action``, ``reason``, ``made_by``,
    ``made_at``)."""
    shift = _shift(store, shift_id)
    return {
        "shift_id": shift_id,
        "status": shift["status"],
        "corrections": store.corrections.of_shift(shift_id),
    }


def _shift(store: Store, shift_id: int) -> dict[str, Any]:
    shift = store.positions.find_shift(shift_id)
    if shift is None:
        raise CorrectionError(f"no shift #{shift_id}")
    return shift


def _correct(
    store: Store, shift_id: int, action: str, reason: str, by: str, now: datetime | None
) -> dict[str, Any]:
    if not by.strip():
        raise CorrectionError("a correction needs the name of who makes it")
    now = now or utc_now()
    with store.transaction():
        shift = _shift(store, shift_id)
        if shift["status"] == "superseded":
            raise CorrectionError(
                f"shift #{shift_id} was superseded by an earlier report; correct the shift that "
                "replaced it"
            )
        correction = store.corrections.add(shift_id, action, reason, by.strip(), now)
        status = STATUS_AFTER[action]
        store.corrections.set_status(shift_id, status)
        cancelled = (
            store.deliveries.cancel(shift_id, f"shift rejected by {by.strip()}: {reason}")
            if action == "reject"
            else 0
        )
    return {**correction, "status": status, "cancelled": cancelled}
