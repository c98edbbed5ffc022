"""The alert (everything a channel needs to tell a user about one shift) and the envelope
(one message: a single alert, or a digest of several, with its stable key and routing rules)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from watcher.models import DiffOp, Position, Topic
from watcher.redact import redact_url
from watcher.store import Store
from watcher.store.positions import PositionRecords
from watcher.store.shift_sources import ShiftSourceRecords
from watcher.timeutil import from_iso

# How a stance reads in a sentence, now and before: "United States now refuses air cover
# (was: undecided)". One place, so every plain-text surface words a stance alike.
STANCE_NOW = {"for": "supports", "against": "refuses", "observing": "is undecided on"}
STANCE_WAS = {"for": "supporting", "against": "refusing", "observing": "undecided"}


@dataclass(frozen=True)
class Source:
    """One outlet's report of the new position."""

    feed_url: str
    link: str | None
    published: datetime | None
    outlet: str = ""  # the feed's configured name
    title: str = ""  # the story's title, as the feed gave it
    corroborating: bool = False  # a later outlet's own report, not the story that showed the shift
    second_hand: bool = False  # the outlet knew the statement only through someone else


@dataclass(frozen=True)
class SecondOpinion:
    """What the language-model judge said about the shift (``[stance.judge]``)."""

    outcome: str  # confirmed | disputed | failed (no answer: ``reason`` says why)
    model: str | None
    before: str | None  # the stances as the model read them
    after: str | None
    reason: str

    @property
    def summary(self) -> str:
        """One line, e.g. "llama3.1 confirms: observing -> against. The US now refuses ..."."""
        if self.outcome == "failed":
            return f"the judge gave no answer, sent without it ({self.reason})"
        verb = "confirms" if self.outcome == "confirmed" else "disputes the shift"
        return f"{self.model} {verb}: {self.before} -> {self.after}. {self.reason}"


def second_opinion(row: dict[str, object]) -> SecondOpinion | None:
    """The judge's ruling stored on a ``shifts`` row, or None when it was not judged."""
    if not row.get("judge_outcome"):
        return None
    return SecondOpinion(
        outcome=str(row["judge_outcome"]),
        model=_text(row.get("judge_model")),
        before=_text(row.get("judge_before")),
        after=_text(row.get("judge_after")),
        reason=str(row.get("judge_reason") or ""),
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class Alert:
    """A detected shift, ready to render."""

    shift_id: int
    topic_id: str
    topic_title: str  # the topic's human title, else its id
    claim: str
    actor_id: str
    actor_name: str
    before: Position | None  # None when a baseline is alerted
    after: Position
    reason: str
    similarity: float
    diff: tuple[DiffOp, ...]
    sources: tuple[Source, ...]
    detected_at: datetime
    judge: SecondOpinion | None = None  # the language model's ruling, when one is configured

    @property
    def headline(self) -> str:
        """One line: who moved, on what, from what to what."""
        before = self.before.stance if self.before else "no position"
        return f"{self.actor_name} shifted on {self.topic_title}: {before} -> {self.after.stance}"

    @property
    def summary(self) -> str:
        """One line in words, e.g. "United States now refuses air cover (was: undecided)"."""
        after = STANCE_NOW.get(self.after.stance, self.after.stance)
        before = (
            STANCE_WAS.get(self.before.stance, self.before.stance) if self.before else "no position"
        )
        return f"{self.actor_name} now {after} {self.topic_title} (was: {before})"


@dataclass(frozen=True)
class Envelope:
    """One message to one channel: its alerts, its stable key and the rules that routed it."""

    key: str  # the delivery's key, or the digest batch's: the same on every retry
    channel: str
    alerts: tuple[Alert, ...]
    rules: tuple[str, ...]
    # a follow-up of an alert already sent: the outlets that reported the shift since
    update: tuple[str, ...] = ()
    # an earlier attempt was interrupted (the dispatcher died mid-send): it may have arrived
    possible_repeat: bool = False

    @property
    def is_digest(self) -> bool:
        """True when the message carries more than one alert."""
        return len(self.alerts) > 1

    @property
    def subject(self) -> str:
        """The message's title: the alert's headline (a follow-up's says who else reported
        it), or the digest's count."""
        if self.update:
            return f"{self.alerts[0].headline}: now also reported by {', '.join(self.update)}"
        if not self.is_digest:
            return self.alerts[0].headline
        actors = sorted({alert.actor_name for alert in self.alerts})
        return f"{len(self.alerts)} stance shifts ({', '.join(actors)})"

    @property
    def banner(self) -> str | None:
        """The line a digest or a follow-up opens with; None for a single alert."""
        if self.update:
            return f"watcher update: now also reported by {', '.join(self.update)}"
        return f"watcher digest: {self.subject}" if self.is_digest else None


def load_alert(store: Store, shift_id: int, topics: dict[str, Topic]) -> Alert:
    """Assemble the alert for a stored shift (topics give the claim and actor names).

    The sources are read now, at send time, so outlets that corroborated the shift after it was
    detected are listed too.
    """
    return read_alert(store.db, shift_id, topics)


def read_alert(db: Database, shift_id: int, topics: dict[str, Topic]) -> Alert:
    """:func:`load_alert` over any connection to the database, also a read-only one (the
    browser view reads through Datasette's)."""
    positions, shift_sources = PositionRecords(db), ShiftSourceRecords(db)
    row = positions.shift(shift_id)
    topic = topics.get(row["topic_id"])
    actor_name = next(
        (a.name for a in (topic.actors if topic else ()) if a.id == row["actor_id"]),
        row["actor_id"],
    )
    sources = tuple(
        Source(
            feed_url=redact_url(s["feed_url"]),  # shown to readers: no token, no password
            link=s["link"],
            published=from_iso(s["published"]),
            outlet=s["feed_name"],
            title=s["title"],
            corroborating=bool(s["corroborating"]),
            second_hand=bool(s["second_hand"]),
        )
        for s in shift_sources.sources(shift_id)
    )
    return Alert(
        shift_id=shift_id,
        topic_id=row["topic_id"],
        topic_title=(topic.title if topic else "") or row["topic_id"],
        claim=topic.claim if topic else "",
        actor_id=row["actor_id"],
        actor_name=actor_name,
        before=positions.get(row["before_position_id"]) if row["before_position_id"] else None,
        after=positions.get(row["after_position_id"]),
        reason=row["reason"],
        similarity=row["similarity"],
        diff=tuple(DiffOp(*op) for op in json.loads(row["diff"])),
        sources=sources,
        detected_at=from_iso(row["detected_at"]),
        judge=second_opinion(row),
    )
