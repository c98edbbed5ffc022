"""Mute a topic, or one actor on it, for a while: shifts are still recorded, not sent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from watcher.store import Store
from watcher.timeutil import to_iso, utc_now


def mute(
    store: Store,
    topic_id: str,
    actor_id: str = "",
    *,
    duration: float,
    by: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Mute ``topic_id`` (``actor_id`` '' : every actor on it) for ``duration`` seconds.

    Returns the mute (``until`` ISO 8601 UTC). A new mute of the same topic and actor replaces
    the old one.
    """
    now = now or utc_now()
    until = now + timedelta(seconds=duration)
    with store.transaction():
        store.corrections.mute(topic_id, actor_id, until, by, now)
    return {"topic_id": topic_id, "actor_id": actor_id, "until": to_iso(until), "made_by": by}


def unmute(store: Store, topic_id: str, actor_id: str = "") -> bool:
    """Lift a mute; False when there was none."""
    with store.transaction():
        return bool(store.corrections.unmute(topic_id, actor_id))
