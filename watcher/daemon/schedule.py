"""When to poll a feed next: pure decisions over plain data.

No clock, no randomness, no I/O: the caller passes ``now`` and a random fraction in [0, 1), so
every decision can be replayed in a test. The rules, in order:

- 410 Gone: never again (the feed is disabled and the operator told).
- Success (new content or 304): the feed's interval, raised to the feed's own hints (RSS ``<ttl>``
  or ``sy:updatePeriod``, ``Cache-Control: max-age``) up to ``max_feed_hint``.
- Failure: exponential backoff from the interval (x1, x2, x4 ... for 1, 2, 3 ... failures in a
  row), capped at ``max_backoff``; a 429/503's ``Retry-After`` is honoured as a floor.
- Every wait gets up to ``jitter`` of itself added at random (after the caps).
- Startup and misfires: a poll that is late by more than the grace period (the machine slept, the
  process stalled, the daemon was down) moves to a random point within one interval, so a
  wake-up does not poll every feed at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from watcher.config import FeedSettings, FetchSettings
from watcher.fetch import cache_max_age
from watcher.models import FetchResult
from watcher.timeutil import to_iso

GONE = 410
_MAX_DOUBLINGS = 60  # 2**60 intervals is beyond any cap; keeps the float finite


@dataclass(frozen=True)
class Politeness:
    """The settings one feed's decisions depend on, in seconds."""

    interval: float
    jitter: float = 0.0  # share of the wait added at random
    max_backoff: float = 6 * 3600.0
    max_feed_hint: float = 24 * 3600.0

    @classmethod
    def for_feed(cls, feed: FeedSettings, fetch: FetchSettings) -> Politeness:
        """The feed's interval (its own, or the default) with the ``[fetch]`` limits."""
        return cls(
            interval=feed.interval or fetch.default_interval,
            jitter=fetch.jitter,
            max_backoff=fetch.max_backoff,
            max_feed_hint=fetch.max_feed_hint,
        )


@dataclass(frozen=True)
class PollOutcome:
    """What one poll of a feed said about when to come back."""

    ok: bool
    status: int | None = None
    consecutive_failures: int = 0  # counting this poll
    retry_after: float | None = None  # seconds, from a 429/503
    max_age: float | None = None  # seconds, from Cache-Control
    ttl_minutes: int | None = None  # the feed's own update period, as last parsed

    @classmethod
    def of(
        cls, result: FetchResult, consecutive_failures: int, ttl_minutes: int | None
    ) -> PollOutcome:
        """The outcome of a fetch, with what the store counted and remembered about the feed."""
        return cls(
            ok=result.ok,
            status=result.status,
            consecutive_failures=consecutive_failures,
            retry_after=result.retry_after,
            max_age=cache_max_age(result.headers) if result.ok else None,
            ttl_minutes=ttl_minutes,
        )


@dataclass(frozen=True)
class NextPoll:
    """A decision: poll again at ``at`` (None: never, the feed is disabled), and why."""

    at: datetime | None
    reason: str

    @property
    def disabled(self) -> bool:
        """True when the feed must not be polled again."""
        return self.at is None


def after_poll(now: datetime, outcome: PollOutcome, rules: Politeness, rand: float) -> NextPoll:
    """When to poll again after a poll with ``outcome``; ``rand`` is uniform in [0, 1)."""
    if outcome.status == GONE:
        return NextPoll(None, "HTTP 410 Gone: the publisher removed this feed")
    if outcome.ok:
        wait, reason = rules.interval, f"interval {format_duration(rules.interval)}"
        ttl = outcome.ttl_minutes * 60 if outcome.ttl_minutes else None
        hints = (("the feed's ttl", ttl), ("Cache-Control max-age", outcome.max_age))
    else:
        failures = max(1, outcome.consecutive_failures)
        cap = max(rules.max_backoff, rules.interval)  # failing never polls more often than healthy
        wait = min(cap, rules.interval * 2.0 ** min(failures - 1, _MAX_DOUBLINGS))
        reason = f"backoff after {failures} failure{'s' if failures > 1 else ''} in a row"
        hints = (("Retry-After", outcome.retry_after),)
    # The publisher's own word is a floor: never sooner than it asked, within reason.
    hint_cap = max(rules.interval, rules.max_feed_hint)
    for name, hint in hints:
        if hint is not None and min(hint, hint_cap) > wait:
            wait = min(hint, hint_cap)
            reason = f"{name} {format_duration(hint)}"
            if hint > hint_cap:
                reason += f", capped at {format_duration(hint_cap)}"
    # Jitter only ever adds, so no floor is undercut; it keeps feeds from falling into step.
    return NextPoll(now + timedelta(seconds=wait * (1 + rules.jitter * rand)), reason)


def catch_up(now: datetime, rules: Politeness, rand: float) -> NextPoll:
    """A late poll's new time: a random point within one interval, so late polls spread out."""
    return NextPoll(
        now + timedelta(seconds=rules.interval * rand), "late (sleep or stall): spread out"
    )


def first_poll(
    now: datetime, due: datetime | None, grace: float, rules: Politeness, rand: float
) -> NextPoll:
    """When to poll a feed the daemon starts with: ``due`` is the stored next poll, if any.

    A stored time in the future is kept, so a backoff or a Retry-After survives a restart.
    """
    if due is None:
        return NextPoll(now, "first poll")
    if due > now:
        return NextPoll(due, "as scheduled before the restart")
    if (now - due).total_seconds() <= grace:
        return NextPoll(now, "due")
    return catch_up(now, rules, rand)


# Reasons a stored next poll is the feed's or its publisher's demand, not only its interval.
_HOLDING = ("backoff", "Retry-After")


def held_back(row: dict | None, now: datetime) -> str | None:
    """Why a feed must not be polled now according to its stored state (``feeds`` row): it is
    gone (410), backing off after failures, or the publisher asked to wait (Retry-After);
    None when it may be polled."""
    if row is None:
        return None
    if row.get("disabled_reason"):
        return str(row["disabled_reason"])
    due = row.get("next_poll_at")
    reason = row.get("next_poll_reason") or ""
    if due and due > to_iso(now) and reason.startswith(_HOLDING):
        return f"{reason}: next poll at {due}"
    return None


def format_duration(seconds: float) -> str:
    """A short human duration, its two largest units: "45s", "15m", "2h 30m", "3d 4h"."""
    rest = max(0, round(seconds))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts[:2]) or "0s"
