"""Helpers for the alert tests: stories, positions and shifts written straight into a store.

They do what ``Pipeline.record_position`` does for one position (record it, queue the shift or
corroborate it), without the fetch and stance stages, so outbox tests need no feeds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from watcher.alert.base import MAX_BATCH
from watcher.alert.message import Envelope
from watcher.alert.outbox import corroborate, queue_shift
from watcher.config import AlertSettings, FeedSettings, ShiftSettings
from watcher.dedup import story_keys
from watcher.diff import decide_shift
from watcher.models import Actor, Position, Stance, StanceVerdict, Story, Topic
from watcher.store import Store
from watcher.timeutil import utc_now

TOPIC = Topic(
    id="air",
    claim="The US will provide air cover",
    terms=("air cover",),
    actors=(Actor("US", "United States"),),
)
BEFORE = "The US has not ruled out air cover."
AFTER = "The US has refused air cover."


def day(n: int, hour: int = 12) -> datetime:
    """A June 2025 date."""
    return datetime(2025, 6, n, hour, tzinfo=UTC)


def add_story(
    store: Store,
    story_id: str,
    feed: str = "https://outlet.example/feed.xml",
    outlet: str = "Outlet",
    title: str = "US refuses air cover",
    link: str | None = None,
    published: datetime | None = None,
) -> Story:
    """A story from one feed (the feed row carries the outlet's name)."""
    store.feeds.sync([FeedSettings(url=feed, name=outlet)])
    story = Story(
        id=story_id,
        feed_url=feed,
        title=title,
        text=AFTER,
        link=link or f"https://{story_id}.example/story",
        published=published,
        content_hash=f"hash-{story_id}",
    )
    store.stories.add(story, story_keys(story))
    return story


def position(
    stance: Stance,
    sentence: str,
    published: datetime | None,
    story_id: str = "",
    actor: str = "US",
    cues: tuple[str, ...] = (),
    confidence: float = 0.9,
    topic: str = "air",
) -> Position:
    """A position of ``actor`` on ``topic``."""
    return Position(
        topic_id=topic,
        actor_id=actor,
        story_id=story_id,
        verdict=StanceVerdict(stance, confidence, (sentence,), cues, "explained"),
        published=published,
        link=f"https://{story_id or 'seed'}.example/story",
        source_title=f"Outlet {story_id or 'seed'}",
    )


def record(
    store: Store, new: Position, settings: AlertSettings | None = None
) -> tuple[int, int | None]:
    """Record a position as a polling round does (no settle window: the round is complete);
    returns (position id, shift id or None)."""
    settings = settings or AlertSettings()
    with store.transaction():
        prior = store.positions.current(new.topic_id, new.actor_id)
        decision = decide_shift(prior.position if prior else None, new, ShiftSettings())
        position_id, shift_id = store.positions.record(new, decision, prior)
        if shift_id is not None:
            queue_shift(store, settings, shift_id, new)
            # as at the end of a polling round: nothing else is on its way
            store.deliveries.end_settling([shift_id], utc_now())
        elif prior is not None:
            corroborate(store, settings, position_id, new)
    return position_id, shift_id


def shift(
    store: Store,
    actor: str = "US",
    settings: AlertSettings | None = None,
    story_id: str | None = None,
    topic: str = "air",
) -> int:
    """A baseline then a shift (observing -> against) for ``actor``, queued; returns its id."""
    story_id = story_id or f"s-{topic}-{actor}"
    add_story(store, story_id, published=day(11))
    record(store, position(Stance.OBSERVING, BEFORE, day(1), actor=actor, topic=topic), settings)
    after = position(
        Stance.AGAINST, AFTER, day(11), story_id, actor=actor, cues=("refused",), topic=topic
    )
    _, shift_id = record(store, after, settings)
    assert shift_id is not None
    return shift_id


class Recorder:
    """A channel that keeps what it is given, or fails as told."""

    def __init__(
        self, name: str = "rec", fail: Callable[[Envelope], Any] | None = None, max_batch=MAX_BATCH
    ) -> None:
        self.name = name
        self.max_batch = max_batch
        self.fail = fail
        self.sent: list[Envelope] = []

    def send(self, envelope: Envelope) -> None:
        """Record the envelope, unless ``fail`` raises."""
        if self.fail:
            self.fail(envelope)
        self.sent.append(envelope)
