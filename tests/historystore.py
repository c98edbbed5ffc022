"""Stores with a known history, for the history, search, export, query, Atom and serve tests.

``build_history`` writes a small hand-made history through the store's own API (no stance
engine involved), so every expected value is known; ``demo_database`` is the offline demo's
database, built once per test session and shared read-only.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from watcher.config import FeedSettings
from watcher.diff import word_diff
from watcher.models import (
    Decision,
    Position,
    ShiftDecision,
    Stance,
    StanceVerdict,
    Story,
    TopicMatch,
)
from watcher.store import Store, StoredPosition

TOPIC = "coalition-air-cover"
WIRE = "http://wire.example/feed.xml"
BRIEFING = "http://briefing.example/rss"
DAILY = "http://daily.example/rss"
FEEDS = {WIRE: "Eastern Europe Wire", BRIEFING: "Ukraine Briefing", DAILY: "Continental Daily"}

REFUSAL = (
    "The US has refused to provide aerial cover for the deterrent force that Britain and "
    "France plan to deploy in Ukraine."
)
STORIES = {
    "march": Story(
        id="story-march",
        feed_url=WIRE,
        title="Washington weighs air support for European force",
        text="The White House has not ruled out providing air support; no decision yet.",
        link="https://wire.example/news/weighs-air-support",
        published=datetime(2025, 3, 3, 9, 0, tzinfo=UTC),
        content_hash="h-march",
    ),
    "june": Story(
        id="story-june",
        feed_url=BRIEFING,
        title="US refuses to provide aerial cover for European deterrent forces",
        text=REFUSAL + " Keir Starmer believes the guarantee is necessary, Bloomberg reports.",
        link="https://briefing.example/news/us-refuses-aerial-cover",
        published=datetime(2025, 6, 11, 18, 20, tzinfo=UTC),
        content_hash="h-june",
    ),
    "reworded": Story(
        id="story-reworded",
        feed_url=DAILY,
        title="Washington turns down request for air defence backstop",
        text="The United States declined to give air defence to the European force, "
        'officials said, "for now".',
        link="https://daily.example/news/turns-down-backstop",
        published=datetime(2025, 6, 12, 7, 0, tzinfo=UTC),
        content_hash="h-reworded",
    ),
    "grain": Story(
        id="story-grain",
        feed_url=BRIEFING,
        title="Black Sea grain corridor handled record volumes",
        text="Ports in the Odesa region shipped record volumes of grain in February.",
        link="https://briefing.example/news/grain",
        published=datetime(2025, 3, 1, 8, 0, tzinfo=UTC),
        content_hash="h-grain",
    ),
}
# The wire syndicated the June story fifteen minutes before the briefing that it came from.
WIRE_COPY_OF_JUNE = Story(
    id="wire-entry-june",
    feed_url=WIRE,
    title=STORIES["june"].title,
    text=STORIES["june"].text,
    link="https://wire.example/news/us-aerial-cover",
    published=datetime(2025, 6, 11, 18, 5, tzinfo=UTC),
    content_hash="h-june",
)


def _position(actor: str, stance: Stance, sentence: str, story: Story | None, day: datetime):
    return Position(
        topic_id=TOPIC,
        actor_id=actor,
        story_id=story.id if story else "",
        verdict=StanceVerdict(stance, 0.9, evidence=(sentence,), cues=("cue",), explanation="ok"),
        published=day,
        link=story.link if story else None,
        source_title=FEEDS[story.feed_url] if story else "Analyst note",
    )


def build_history(path: Path) -> Path:
    """Write the hand-made history to a new database at ``path``; return ``path``.

    US: observing (analyst note, Feb) -> observing restated (March) -> SHIFT to against (June,
    first carried by the wire at 18:05, then the briefing at 18:20; corroborated by the daily
    on 12 June). UK: for, a baseline. One unrelated story about grain.
    """
    with Store(path) as store, store.transaction():
        store.feeds.sync([FeedSettings(url=url, name=name) for url, name in FEEDS.items()])
        for story in STORIES.values():
            store.stories.add(story, [f"key:{story.id}"])
        store.stories.add_source(STORIES["june"].id, WIRE_COPY_OF_JUNE, ["key:wire-june"])
        for name in ("march", "june", "reworded"):
            match = TopicMatch(TOPIC, STORIES[name].id, 90.0, ("air cover",), ())
            store.stories.record_topics(STORIES[name].id, [match])

        def record(position: Position, decision: Decision, prior: int | None) -> int:
            before = StoredPosition(prior, store.positions.get(prior)) if prior else None
            shift = decision is Decision.SHIFT and before is not None
            diff = word_diff(before.position.statement, position.statement) if shift else ()
            similarity = 40.0 if decision is Decision.SHIFT else 0.0
            verdict = ShiftDecision(decision, f"{decision} in test", similarity, diff)
            return store.positions.record(position, verdict, before)[0]

        note = "Donald Trump has not committed to a US backstop."
        first = record(
            _position("US", Stance.OBSERVING, note, None, datetime(2025, 2, 24, tzinfo=UTC)),
            Decision.BASELINE,
            None,
        )
        weighs = "The White House has not ruled out providing air support."
        march = record(
            _position("US", Stance.OBSERVING, weighs, STORIES["march"], STORIES["march"].published),
            Decision.RESTATED,
            first,
        )
        june = record(
            _position("US", Stance.AGAINST, REFUSAL, STORIES["june"], STORIES["june"].published),
            Decision.SHIFT,
            march,
        )
        declined = "The United States declined to give air defence to the European force."
        reworded = STORIES["reworded"]
        later = record(
            _position("US", Stance.AGAINST, declined, reworded, reworded.published),
            Decision.RESTATED,
            june,
        )
        shift_id = store.db.execute(
            "SELECT id FROM shifts WHERE after_position_id = ?", [june]
        ).fetchone()[0]
        store.shift_sources.add(shift_id, reworded.id, later)
        backstop = "Keir Starmer said a US security backstop was essential."
        record(
            _position("UK", Stance.FOR, backstop, None, datetime(2025, 2, 24, tzinfo=UTC)),
            Decision.BASELINE,
            None,
        )
    return path


_demo: Path | None = None


def demo_database(factory: pytest.TempPathFactory) -> Path:
    """The demo's database, built once per session; treat it as read-only (copy to change it)."""
    global _demo
    if _demo is None:
        from watcher.demo import find_seeds, run_demo

        _demo = run_demo(find_seeds(), factory.mktemp("demo"), io.StringIO()).database
    return _demo
