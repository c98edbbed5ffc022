"""Politeness at the edges: what the store remembers about each feed between polls, and the
fetch limits shared by all of them. Real HTTP on 127.0.0.1 and a real SQLite file throughout."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from feedserver import FeedServer
from rss import Item, rss

from watcher.config import FeedSettings, FetchSettings
from watcher.fetch import FetchLimits, cache_max_age, fetch_all, make_client
from watcher.models import FeedState, FetchResult, ParsedFeed
from watcher.parse import parse_feed
from watcher.store import Store

DATE = "Wed, 11 Jun 2025 18:20:00 GMT"
FEED = rss("News", [Item("a1", "Air cover talks", "Talks on air cover went on.", DATE)])
SETTINGS = FetchSettings(timeout=5)


def fetch_and_record(store: Store, url: str, settings: FetchSettings = SETTINGS) -> FetchResult:
    """One fetch of ``url`` from its stored state, recorded, as a poll does."""
    (result,) = asyncio.run(fetch_all([store.feeds.state(url)], settings))
    store.feeds.record_fetch(result)
    return result


# --- permanent redirects ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 308])
def test_a_permanent_redirect_moves_the_feed_but_keeps_its_identity(
    store: Store, server: FeedServer, status: int
) -> None:
    server.set("/new.xml", FEED)
    server.redirect("/old.xml", "/new.xml", status=status)
    old, new = server.url("/old.xml"), server.url("/new.xml")
    store.feeds.sync([FeedSettings(url=old)])

    first = fetch_and_record(store, old)
    assert store.feeds.state(old).location == new
    assert store.feeds.get(old)["moved_at"] is not None
    server.set("/new.xml", FEED.replace("went on", "go on"))  # new content, same entry
    second = fetch_and_record(store, old)

    # The second poll goes straight to the new address...
    assert len(server.requests_to("/old.xml")) == 1
    assert len(server.requests_to("/new.xml")) == 2
    # ... and the feed is still the configured URL: same row, same story ids.
    assert (first.url, second.url, second.final_url) == (old, old, new)
    assert [s.id for s in parse_feed(first).stories] == [s.id for s in parse_feed(second).stories]
    assert [row["url"] for row in store.feeds.all()] == [old]


def test_a_temporary_redirect_does_not_move_the_feed(store: Store, server: FeedServer) -> None:
    server.set("/new.xml", FEED)
    server.redirect("/old.xml", "/new.xml", status=302)
    url = server.url("/old.xml")
    store.feeds.sync([FeedSettings(url=url)])
    fetch_and_record(store, url)
    fetch_and_record(store, url)
    assert store.feeds.state(url).location is None
    assert len(server.requests_to("/old.xml")) == 2


def test_a_feed_moved_back_home_forgets_its_location(store: Store, server: FeedServer) -> None:
    server.set("/home.xml", FEED)
    server.set("/away.xml", FEED)
    home = server.url("/home.xml")
    store.feeds.sync([FeedSettings(url=home)])
    server.redirect("/home.xml", "/away.xml", status=301)
    fetch_and_record(store, home)
    assert store.feeds.state(home).location == server.url("/away.xml")
    server.redirect("/away.xml", "/home.xml", status=301)
    server.set("/home.xml", FEED)
    fetch_and_record(store, home)
    assert store.feeds.state(home).location is None


def test_a_move_to_a_failing_location_is_not_followed_next_time(
    store: Store, server: FeedServer
) -> None:
    server.set("/broken.xml", status=500)
    server.redirect("/old.xml", "/broken.xml", status=301)
    url = server.url("/old.xml")
    store.feeds.sync([FeedSettings(url=url)])
    assert not fetch_and_record(store, url).ok
    assert store.feeds.state(url).location is None


# --- what else the store remembers ----------------------------------------------------------------


def test_the_feeds_ttl_is_remembered_until_the_next_parse(store: Store) -> None:
    url = "https://news.example/rss"
    store.feeds.sync([FeedSettings(url=url)])
    store.feeds.record_parse(ParsedFeed(url=url, stories=(), ttl_minutes=60))
    assert store.feeds.get(url)["ttl_minutes"] == 60
    store.feeds.record_parse(ParsedFeed(url=url, stories=()))  # the feed dropped its <ttl>
    assert store.feeds.get(url)["ttl_minutes"] is None


def test_a_gone_feed_stays_disabled_whatever_the_config_says(store: Store) -> None:
    url = "https://news.example/rss"
    store.feeds.sync([FeedSettings(url=url)])
    store.feeds.schedule(url, datetime(2025, 6, 1, tzinfo=UTC), "interval 15m")
    store.feeds.disable(url, "HTTP 410 Gone")
    store.feeds.sync([FeedSettings(url=url, name="renamed", enabled=True)])
    row = store.feeds.get(url)
    assert (row["name"], row["disabled_reason"], row["next_poll_at"]) == (
        "renamed",
        "HTTP 410 Gone",
        None,
    )


def test_sync_marks_feeds_no_longer_configured(store: Store) -> None:
    a, b = "https://a.example/rss", "https://b.example/rss"
    store.feeds.sync([FeedSettings(url=a), FeedSettings(url=b)])
    store.feeds.sync([FeedSettings(url=b)])
    assert {row["url"]: row["configured"] for row in store.feeds.all()} == {a: 0, b: 1}
    store.feeds.sync([FeedSettings(url=a), FeedSettings(url=b)])
    assert {row["configured"] for row in store.feeds.all()} == {1}


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("max-age=3600", 3600.0),
        ("public, max-age=60, must-revalidate", 60.0),
        ('max-age="120"', 120.0),
        ("no-cache, max-age=3600", None),  # revalidate every time: says nothing about polling
        ("max-age=soon", None),
        ("private", None),
        ("", None),
    ],
)
def test_cache_max_age(header: str, seconds: float | None) -> None:
    assert cache_max_age({"cache-control": header} if header else {}) == seconds


# --- limits shared by every fetch -----------------------------------------------------------------


def test_fetch_limits_hold_across_separate_fetches(server: FeedServer) -> None:
    """The daemon fetches each feed in its own job: the limits must hold across them."""
    for n in range(4):
        server.set(f"/feed{n}.xml", FEED, delay=0.3)
    settings = FetchSettings(concurrency=8, per_host_concurrency=1, timeout=5)
    limits = FetchLimits(settings)
    local = [FeedState(server.url(f"/feed{n}.xml")) for n in range(2)]
    other_host = [FeedState(server.url(f"/feed{n}.xml", host="localhost")) for n in (2, 3)]

    async def jobs() -> list[FetchResult]:
        async with make_client(settings) as client:
            # One job per feed, as the daemon runs them, started independently.
            tasks = [asyncio.create_task(limits.fetch(client, s)) for s in local + other_host]
            return list(await asyncio.gather(*tasks))

    results = asyncio.run(jobs())
    assert all(r.ok for r in results)
    assert server.max_active == 2  # one per host, two hosts


def test_a_moved_feed_counts_against_its_new_host(store: Store, server: FeedServer) -> None:
    server.set("/feed.xml", FEED, delay=0.3)
    state = FeedState("https://gone-host.example/rss", location=server.url("/feed.xml"))
    settings = FetchSettings(per_host_concurrency=1, timeout=5)
    results = asyncio.run(fetch_all([state, FeedState(server.url("/feed.xml"))], settings))
    assert [r.ok for r in results] == [True, True]
    assert results[0].url == "https://gone-host.example/rss"
    assert server.max_active == 1


def test_a_gone_feed_that_comes_back_is_enabled_again(store: Store, server: FeedServer) -> None:
    server.set("/feed.xml", status=410)
    url = server.url("/feed.xml")
    store.feeds.sync([FeedSettings(url=url)])
    assert not fetch_and_record(store, url).ok
    store.feeds.disable(url, "HTTP 410 Gone")
    server.set("/feed.xml", FEED)  # the publisher restored it; the operator polls it by hand
    assert fetch_and_record(store, url).ok
    assert store.feeds.get(url)["disabled_reason"] is None
