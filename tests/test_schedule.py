"""The next-poll decision: pure rules, replayed with a fixed clock and fixed random draws."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from watcher.config import FeedSettings, FetchSettings
from watcher.daemon.schedule import (
    NextPoll,
    Politeness,
    PollOutcome,
    after_poll,
    catch_up,
    first_poll,
    format_duration,
)
from watcher.models import FetchResult

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
RULES = Politeness(interval=600, jitter=0.1, max_backoff=3600, max_feed_hint=86400)
OK = PollOutcome(ok=True, status=200)


def wait(plan: NextPoll) -> float:
    assert plan.at is not None
    return (plan.at - NOW).total_seconds()


def failed(failures: int, **fields: object) -> PollOutcome:
    return PollOutcome(ok=False, status=500, consecutive_failures=failures, **fields)


def test_a_healthy_feed_waits_its_interval_plus_at_most_the_jitter() -> None:
    assert wait(after_poll(NOW, OK, RULES, rand=0.0)) == 600
    assert wait(after_poll(NOW, OK, RULES, rand=0.999)) == pytest.approx(600 * 1.0999)
    assert after_poll(NOW, OK, RULES, rand=0.5).reason == "interval 10m"
    # A 304 is a success like any other.
    assert wait(after_poll(NOW, PollOutcome(ok=True, status=304), RULES, 0.0)) == 600


@pytest.mark.parametrize(
    ("outcome", "seconds", "reason"),
    [
        (PollOutcome(ok=True, ttl_minutes=60), 3600, "the feed's ttl 1h"),
        (PollOutcome(ok=True, max_age=1800), 1800, "Cache-Control max-age 30m"),
        (PollOutcome(ok=True, ttl_minutes=60, max_age=7200), 7200, "Cache-Control max-age 2h"),
        (PollOutcome(ok=True, ttl_minutes=5, max_age=60), 600, "interval 10m"),  # below: no effect
        (PollOutcome(ok=True, ttl_minutes=7 * 24 * 60), 86400, "the feed's ttl 7d, capped at 1d"),
    ],
)
def test_the_feeds_own_hints_are_a_floor_up_to_the_cap(
    outcome: PollOutcome, seconds: float, reason: str
) -> None:
    plan = after_poll(NOW, outcome, RULES, rand=0.0)
    assert (wait(plan), plan.reason) == (seconds, reason)


def test_a_hint_cap_below_the_interval_never_shortens_the_interval() -> None:
    rules = Politeness(interval=600, max_feed_hint=1)
    assert wait(after_poll(NOW, PollOutcome(ok=True, ttl_minutes=30), rules, 0.0)) == 600


def test_failures_back_off_exponentially_up_to_the_cap() -> None:
    waits = [wait(after_poll(NOW, failed(n), RULES, rand=0.0)) for n in range(1, 7)]
    assert waits == [600, 1200, 2400, 3600, 3600, 3600]
    assert after_poll(NOW, failed(3), RULES, 0.0).reason == "backoff after 3 failures in a row"
    # Jitter is added after the cap, so feeds failing for long do not fall into step.
    assert 3600 < wait(after_poll(NOW, failed(9), RULES, rand=0.5)) <= 3600 * 1.1


def test_backoff_survives_months_of_failures_and_never_beats_the_interval() -> None:
    assert wait(after_poll(NOW, failed(10_000), RULES, 0.0)) == 3600
    tight_cap = Politeness(interval=600, max_backoff=60)
    assert wait(after_poll(NOW, failed(5), tight_cap, 0.0)) == 600


def test_success_resets_the_backoff() -> None:
    assert wait(after_poll(NOW, failed(5), RULES, 0.0)) == 3600
    assert wait(after_poll(NOW, OK, RULES, 0.0)) == 600


def test_retry_after_is_honoured_as_a_floor() -> None:
    limited = PollOutcome(ok=False, status=429, consecutive_failures=1, retry_after=1800)
    plan = after_poll(NOW, limited, RULES, rand=0.0)
    assert (wait(plan), plan.reason) == (1800, "Retry-After 30m")
    assert wait(after_poll(NOW, limited, RULES, rand=0.99)) > 1800  # jitter only adds
    # Shorter than the backoff: the backoff stands.
    short = PollOutcome(ok=False, status=503, consecutive_failures=3, retry_after=5)
    assert wait(after_poll(NOW, short, RULES, 0.0)) == 2400
    # A server asking for a week gets the cap, and the reason says so.
    week = PollOutcome(ok=False, status=503, consecutive_failures=1, retry_after=7 * 86400)
    plan = after_poll(NOW, week, RULES, 0.0)
    assert (wait(plan), plan.reason) == (86400, "Retry-After 7d, capped at 1d")


def test_410_gone_disables_the_feed() -> None:
    plan = after_poll(NOW, PollOutcome(ok=False, status=410, consecutive_failures=1), RULES, 0.3)
    assert plan.disabled and plan.at is None
    assert "410 Gone" in plan.reason


def test_first_poll_continues_a_stored_schedule() -> None:
    later = NOW + timedelta(minutes=45)
    assert first_poll(NOW, None, 60, RULES, 0.5) == NextPoll(NOW, "first poll")
    assert first_poll(NOW, later, 60, RULES, 0.5).at == later  # a backoff survives a restart
    recent = NOW - timedelta(seconds=30)
    assert first_poll(NOW, recent, 60, RULES, 0.5) == NextPoll(NOW, "due")
    overdue = first_poll(NOW, NOW - timedelta(hours=5), 60, RULES, 0.5)
    assert wait(overdue) == 300 and "late" in overdue.reason


def test_late_polls_spread_over_one_interval() -> None:
    draws = [i / 20 for i in range(20)]
    waits = sorted(wait(catch_up(NOW, RULES, rand)) for rand in draws)
    assert waits[0] == 0 and waits[-1] < RULES.interval
    assert len(set(waits)) == len(draws)  # one per draw: no two late feeds in step


def test_politeness_for_a_feed_uses_its_own_interval_or_the_default() -> None:
    fetch = FetchSettings(default_interval=900, jitter=0.2, max_backoff=7200, max_feed_hint=3600)
    own = Politeness.for_feed(FeedSettings(url="https://a.example/rss", interval=60), fetch)
    default = Politeness.for_feed(FeedSettings(url="https://b.example/rss"), fetch)
    assert (own.interval, default.interval) == (60, 900)
    assert (own.jitter, own.max_backoff, own.max_feed_hint) == (0.2, 7200, 3600)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (45.4, "45s"), (60, "1m"), (90, "1m 30s"), (3600, "1h"), (5400, "1h 30m"),
     (86400 + 3 * 3600 + 59, "1d 3h"), (-5, "0s")],
)  # fmt: skip
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_the_outcome_of_a_fetch() -> None:
    ok = FetchResult("u", "u", 304, headers={"cache-control": "max-age=900"})
    assert PollOutcome.of(ok, 0, 30) == PollOutcome(
        ok=True, status=304, consecutive_failures=0, max_age=900, ttl_minutes=30
    )
    limited = FetchResult("u", "u", 429, error="HTTP 429", retry_after=60.0,
                          headers={"cache-control": "max-age=900"})  # fmt: skip
    assert PollOutcome.of(limited, 2, None) == PollOutcome(
        ok=False, status=429, consecutive_failures=2, retry_after=60.0
    )  # an error page's max-age says nothing about the feed
