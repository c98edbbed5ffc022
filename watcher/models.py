"""Plain data passed between the pipeline stages.

Data flows one way: fetch -> parse -> dedup -> match -> stance -> diff -> alert. Each stage takes
and returns these frozen dataclasses, so every stage can be tested without a network or a database.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class Stance(enum.StrEnum):
    """An actor's position on a topic's claim."""

    FOR = "for"  # commits to / supports the claim
    AGAINST = "against"  # refuses / denies / rules out the claim
    OBSERVING = "observing"  # reports, hedges or discusses without committing
    UNRELATED = "unrelated"  # the text is not about the claim at all

    @property
    def is_committed(self) -> bool:
        """True for the two polar stances."""
        return self in (Stance.FOR, Stance.AGAINST)

    @property
    def meaning(self) -> str:
        """What the stance says about the claim, in plain words."""
        return _MEANINGS[self]


_MEANINGS = {
    Stance.FOR: "commits to or supports the claim",
    Stance.AGAINST: "refuses, denies or rules out the claim",
    Stance.OBSERVING: "reports or weighs the claim without taking a side",
    Stance.UNRELATED: "is not about the claim",
}


class Decision(enum.StrEnum):
    """What the diff stage concluded about a new position."""

    BASELINE = "baseline"  # first position seen for this actor on this topic
    SHIFT = "shift"  # the stance changed
    SAME = "same"  # same stance, practically the same statement (a repeat)
    RESTATED = "restated"  # same stance in different words
    LATE = "late"  # older than the stored prior: kept as history, never alerted


@dataclass(frozen=True)
class FeedState:
    """What the store remembers about a feed between polls (used for conditional GET)."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    location: str | None = None  # where to fetch after a permanent redirect; ``url`` stays the id

    @property
    def fetch_url(self) -> str:
        """The address to request: the feed's new location if it moved, else its URL."""
        return self.location or self.url


@dataclass(frozen=True)
class FetchResult:
    """Outcome of fetching one feed. ``body`` is None when there is nothing new to parse."""

    url: str
    final_url: str
    status: int | None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    error: str | None = None
    elapsed: float = 0.0
    retry_after: float | None = None
    permanent_redirect: bool = False

    @property
    def ok(self) -> bool:
        """True when the fetch succeeded (with or without new content)."""
        return self.error is None

    @property
    def unchanged(self) -> bool:
        """True for a 304 or a body byte-identical to the last one: nothing to do downstream."""
        return self.ok and self.body is None


@dataclass(frozen=True)
class Story:
    """One news item, normalised from a feed entry."""

    id: str  # stable: derived from the feed URL and the entry's guid / link / content
    feed_url: str
    title: str
    text: str  # plain text of title-less summary/content
    link: str | None = None  # canonical: tracking parameters removed
    guid: str | None = None
    published: datetime | None = None  # UTC
    content_hash: str = ""  # of the normalised title + text, for cross-feed dedup
    # The linked page's main text, when it was read (watcher.article); the feed's own text stays
    # in ``text``. Matching, stance and diff read the article when there is one.
    article: str = ""
    article_hash: str = ""  # of the normalised title + article, for cross-feed dedup
    article_error: str | None = None  # why the article was not read: the feed's text is used
    author: str | None = None  # from the article page

    @property
    def body(self) -> str:
        """The text the stages analyse: the article when it was read, else the feed's text."""
        return self.article or self.text

    @property
    def full_text(self) -> str:
        """Title and body as one text, the title first."""
        return f"{self.title}.\n{self.body}" if self.title else self.body

    def evidence_source(self, evidence: tuple[str, ...]) -> str:
        """Which text ``evidence`` came from: ``"article"`` or ``"feed"`` (title or summary)."""
        if self.article and any(sentence in self.article for sentence in evidence):
            return "article"
        return "feed"


@dataclass(frozen=True)
class ParsedFeed:
    """Entries read from one fetched feed, plus the parse problem if the feed was malformed."""

    url: str
    stories: tuple[Story, ...]
    title: str | None = None
    error: str | None = None  # malformed feed: recorded, never fatal
    ttl_minutes: int | None = None  # RSS <ttl> or sy:updatePeriod, a floor for the interval
    # well-formed but suspicious: an empty body, no entries, items of the wrong type
    warning: str | None = None


@dataclass(frozen=True)
class Actor:
    """Someone whose position on a topic matters, with the names the press uses for them."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Every surface form that refers to this actor, longest first."""
        return tuple(sorted({self.name, *self.aliases}, key=len, reverse=True))


@dataclass(frozen=True)
class Topic:
    """A tracked proposition and the actors whose stance on it is followed."""

    id: str
    claim: str
    terms: tuple[str, ...] = ()
    actors: tuple[Actor, ...] = ()
    title: str = ""  # how people call it, for subjects and headings (default: the id)
    min_score: float = 0.0  # extra per-topic threshold on top of the matcher's own


@dataclass(frozen=True)
class TopicMatch:
    """A story found to be about a topic."""

    topic_id: str
    story_id: str
    score: float  # 0..100
    terms: tuple[str, ...]  # the topic terms found (fuzzily) in the story
    sentences: tuple[str, ...]  # sentences that mention the topic


@dataclass(frozen=True)
class StanceVerdict:
    """The stance decision on one text, with what decided it."""

    stance: Stance
    confidence: float  # 0..1
    evidence: tuple[str, ...] = ()  # sentences the decision rests on
    cues: tuple[str, ...] = ()  # words/phrases that decided it ("refused", "will not", ...)
    explanation: str = ""  # one line a human can check
    # P(for) - P(against), -1..1: which side the text takes and how surely; None when unknown
    # (a position imported or stored without it: the stance and confidence stand in for it)
    polarity: float | None = None
    # P(the text takes a side at all), 0..1; None when unknown, as for polarity
    commitment: float | None = None


@dataclass(frozen=True)
class Position:
    """An actor's stance on a topic as reported in one story."""

    topic_id: str
    actor_id: str
    story_id: str
    verdict: StanceVerdict
    published: datetime | None = None
    link: str | None = None
    source_title: str = ""
    evidence_from: str = "feed"  # "article" when the evidence is from the linked article's text

    @property
    def stance(self) -> Stance:
        """Shortcut to the verdict's stance."""
        return self.verdict.stance

    @property
    def statement(self) -> str:
        """The evidence as one text, used for the word-level diff."""
        return " ".join(self.verdict.evidence)


@dataclass(frozen=True)
class DiffOp:
    """One word-level edit: ``equal``, ``insert``, ``delete`` or ``replace``."""

    tag: str
    before: str
    after: str


@dataclass(frozen=True)
class ShiftDecision:
    """Outcome of comparing a new position with the stored prior one."""

    decision: Decision
    reason: str
    similarity: float = 0.0  # 0..100 over the two statements' words
    diff: tuple[DiffOp, ...] = ()

    @property
    def is_shift(self) -> bool:
        """True when this decision should produce an alert."""
        return self.decision is Decision.SHIFT
