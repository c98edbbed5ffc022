"""What each page shows, read from the database: plain data, no HTML beyond the reused alert.

Every function takes a read-only ``sqlite3`` connection (Datasette's own) and reads through the
documented views or the store's record classes, the same queries the command line runs.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from sqlite_utils import Database

from watcher.alert.html_render import render_alert_html
from watcher.alert.message import Alert, read_alert
from watcher.daemon.schedule import held_back
from watcher.daemon.status import FeedStatus
from watcher.history.connection import fetch_rows
from watcher.history.filters import HistoryFilter
from watcher.history.search import search_stories
from watcher.history.timeline import shift_log, timeline
from watcher.models import Topic
from watcher.redact import redact
from watcher.store.corrections import CorrectionRecords
from watcher.store.feeds import FeedRecords
from watcher.store.positions import PositionRecords
from watcher.timeutil import from_iso
from watcher.view.svg import Lane, Mark

# Search hits are marked with private-use characters, which no story contains, then turned into
# <mark> after the snippet was escaped.
_HIT_OPEN, _HIT_CLOSE = "\ue000", "\ue001"


@dataclass(frozen=True)
class ActorStance:
    """An actor's stance in force on a topic, and since when."""

    actor_id: str
    name: str
    stance: str | None  # None: no position recorded
    since: str | None  # when the position that set it was stated (ISO 8601)
    by_shift: bool  # set by a shift (not a baseline)


@dataclass(frozen=True)
class TopicView:
    """A topic with its actors' stances, their timelines and its shifts (newest first)."""

    id: str
    title: str
    claim: str
    actors: tuple[ActorStance, ...]
    lanes: tuple[Lane, ...]
    shifts: tuple[dict[str, Any], ...]

    @property
    def last_shift(self) -> dict[str, Any] | None:
        """The most recent shift still standing (not superseded), or None."""
        return next((s for s in self.shifts if s["status"] != "superseded"), None)


def topic_ids(connection: sqlite3.Connection, topics: dict[str, Topic]) -> list[str]:
    """The configured topics in config order, then any other topic the history knows."""
    recorded = [
        row["topic_id"]
        for row in fetch_rows(
            connection, "SELECT DISTINCT topic_id FROM position_timeline ORDER BY topic_id"
        )
    ]
    return [*topics, *(topic for topic in recorded if topic not in topics)]


def read_topic(
    connection: sqlite3.Connection, topic_id: str, topics: dict[str, Topic]
) -> TopicView | None:
    """Everything the topic pages show about ``topic_id``; None when it is neither configured
    nor in the history."""
    topic = topics.get(topic_id)
    rows = timeline(connection, HistoryFilter(topic=topic_id))
    if topic is None and not rows:
        return None
    names = {actor.id: actor.name for actor in (topic.actors if topic else ())}
    order = [
        *names,
        *dict.fromkeys(row["actor_id"] for row in rows if row["actor_id"] not in names),
    ]
    in_force = {
        row["actor_id"]: row for row in PositionRecords(Database(connection)).in_force(topic_id)
    }
    actors = tuple(
        ActorStance(
            actor_id=actor,
            name=names.get(actor) or actor,
            stance=in_force[actor]["stance"] if actor in in_force else None,
            since=in_force[actor]["said_at"] if actor in in_force else None,
            by_shift=actor in in_force and in_force[actor]["decision"] == "shift",
        )
        for actor in order
    )
    lanes = tuple(
        Lane(
            actor.actor_id,
            actor.name,
            tuple(_mark(row) for row in rows if row["actor_id"] == actor.actor_id),
        )
        for actor in actors
    )
    return TopicView(
        id=topic_id,
        title=(topic.title if topic else "") or topic_id,
        claim=topic.claim if topic else "",
        actors=actors,
        lanes=lanes,
        shifts=tuple(shift_log(connection, HistoryFilter(topic=topic_id))),
    )


def _mark(row: dict[str, Any]) -> Mark:
    when = row["said_at"][:10]
    label = f"{when} {row['stance']} ({row['decision']}"
    label += f", {row['shift_status']})" if row["shift_status"] else ")"
    if row["statement"]:
        label += f": {row['statement'][:200]}"
    return Mark(
        at=from_iso(row["said_at"]),
        stance=row["stance"],
        decision=row["decision"],
        shift_id=row["shift_id"],
        shift_status=row["shift_status"],
        label=label,
    )


def read_topics(connection: sqlite3.Connection, topics: dict[str, Topic]) -> list[TopicView]:
    """Every topic (:func:`topic_ids`) as :func:`read_topic` reads it."""
    found = (read_topic(connection, topic_id, topics) for topic_id in topic_ids(connection, topics))
    return [topic for topic in found if topic is not None]


@dataclass(frozen=True)
class ShiftView:
    """One shift: its alert (as the email renders it), its row, deliveries and corrections."""

    alert: Alert
    alert_html: str  # sanitised: the email's HTML fragment for this shift
    row: dict[str, Any]  # its shift_log row
    deliveries: tuple[dict[str, Any], ...]
    corrections: tuple[dict[str, Any], ...]


def read_shift(
    connection: sqlite3.Connection, shift_id: int, topics: dict[str, Topic]
) -> ShiftView | None:
    """Everything the shift page shows; None when there is no such shift."""
    rows = fetch_rows(connection, "SELECT * FROM shift_log WHERE shift_id = ?", [shift_id])
    if not rows:
        return None
    db = Database(connection)
    alert = read_alert(db, shift_id, topics)
    deliveries = fetch_rows(
        connection,
        "SELECT id, channel, status, attempts, last_error, sent_at, dead_at, follow_up, rule "
        "FROM deliveries WHERE shift_id = ? ORDER BY id",
        [shift_id],
    )
    return ShiftView(
        alert=alert,
        alert_html=render_alert_html(alert),
        row=rows[0],
        # a channel's error may quote a server's reply: redacted like every other way out
        deliveries=tuple(
            row | {"last_error": redact(row["last_error"]) if row["last_error"] else None}
            for row in deliveries
        ),
        corrections=tuple(CorrectionRecords(db).of_shift(shift_id)),
    )


@dataclass(frozen=True)
class FeedView:
    """A configured feed's health as the Feeds page shows it (URL and errors redacted)."""

    status: FeedStatus
    health: str


def feed_health(row: dict[str, Any], now: datetime) -> str:
    """``ok``, ``empty`` (polled, no item yet), ``new`` (never polled), ``failing``,
    ``backing off`` (waiting after failures or for Retry-After), ``gone`` (the server said so)
    or ``off`` (disabled in the config), from a ``feeds`` row."""
    if row["disabled_reason"]:
        return "gone"
    if not row["enabled"]:
        return "off"
    if held_back(row, now):
        return "backing off"
    if row["consecutive_failures"]:
        return "failing"
    if not row["last_polled_at"]:
        return "new"
    return "ok" if row["items_seen"] else "empty"


def read_feeds(connection: sqlite3.Connection, now: datetime) -> list[FeedView]:
    """Every configured feed with its health as of ``now``."""
    return [
        FeedView(FeedStatus.from_row(row), feed_health(row, now))
        for row in FeedRecords(Database(connection)).all()
        if row["configured"]
    ]


def search(connection: sqlite3.Connection, text: str) -> list[dict[str, Any]]:
    """Stories matching ``text`` (every word, "quoted phrases"), best first, each with
    ``snippet_html``: the snippet escaped, its hits in ``<mark>``."""
    rows = search_stories(connection, text, limit=50, marks=(_HIT_OPEN, _HIT_CLOSE))
    return [row | {"snippet_html": highlight(row["snippet"] or "")} for row in rows]


def highlight(snippet: str) -> str:
    """A snippet with hits between the private marks as escaped HTML with ``<mark>`` tags."""
    return escape(snippet).replace(_HIT_OPEN, "<mark>").replace(_HIT_CLOSE, "</mark>")
