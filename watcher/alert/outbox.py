"""Filling the outbox, inside the transaction that records a position.

``queue_shift`` writes a shift's deliveries (one per routed channel); ``corroborate`` attaches a
later outlet's report of the same new stance to the shift instead of alerting again (and, on a
channel with ``updates = true`` whose alert went out, queues one follow-up).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from watcher.alert.routing import route_shift
from watcher.config import AlertSettings
from watcher.models import Position
from watcher.store import Store
from watcher.timeutil import from_iso, utc_now

log = logging.getLogger(__name__)


def queue_shift(
    store: Store,
    settings: AlertSettings,
    shift_id: int,
    position: Position,
    now: datetime | None = None,
) -> list[int]:
    """Queue a new shift for every channel a route sends it to; returns the delivery ids.

    The deliveries are due once the settle window has passed. While the topic or actor is
    muted they are written as cancelled, so the outbox shows why nothing was sent.
    """
    now = now or utc_now()
    routed = route_shift(settings, position.topic_id, position.verdict.confidence)
    if not routed:
        log.info("shift %s on %s matches no alert route", shift_id, position.topic_id)
    muted = store.corrections.muted(position.topic_id, position.actor_id, now)
    reason = f"muted until {muted['until']} by {muted['made_by']}" if muted else None
    due = now + timedelta(seconds=settings.settle)
    return store.deliveries.enqueue(shift_id, routed, now, due=due, cancelled=reason)


def within_window(
    shift_published: datetime | None,
    shift_detected: datetime,
    published: datetime | None,
    now: datetime,
    window: float,
) -> bool:
    """Whether a report belongs to the shift: published within ``window`` seconds of the shift's
    story (either side: outlets are polled in any order), or, when either date is unknown,
    recorded within ``window`` of the shift's detection."""
    span = timedelta(seconds=window)
    if shift_published and published:
        return abs(published - shift_published) <= span
    return now - shift_detected <= span


def corroborate(
    store: Store,
    settings: AlertSettings,
    position_id: int,
    position: Position,
    now: datetime | None = None,
) -> int | None:
    """Attach a position's story to the shift that set the stance it reports; return that shift.

    Only when the actor's stance in force was set by a shift to the same stance, the story is
    not the shift's own, and it falls within the corroboration window. The alert lists these
    sources if it has not gone yet; once sent, the shift's record still gains them, and no new
    alert is sent.
    """
    now = now or utc_now()
    # the shift in force when the report was published: reports arrive in any order
    shift = store.shift_sources.stance_in_force(
        position.topic_id, position.actor_id, at=position.published
    )
    if (
        shift is None
        or not position.story_id
        or shift["after_stance"] != position.stance.value
        or shift["story_id"] == position.story_id
        or not within_window(
            from_iso(shift["published"]),
            from_iso(shift["detected_at"]),
            position.published,
            now,
            settings.corroboration_window,
        )
    ):
        return None
    if store.shift_sources.add(shift["id"], position.story_id, position_id, now):
        log.info("shift %s corroborated by story %s", shift["id"], position.story_id)
        updating = [channel.name for channel in settings.channels if channel.updates]
        due = now + timedelta(seconds=settings.settle)  # later reports join the same follow-up
        if store.deliveries.queue_follow_up(shift["id"], updating, due):
            log.info("shift %s: a follow-up is queued", shift["id"])
    return shift["id"]
