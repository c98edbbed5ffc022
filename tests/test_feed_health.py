"""Feeds that answer 200 but bring nothing are recorded as feed problems, not left "healthy".

An empty body, a document with no entries, a JSON Feed whose items are not objects and an XML
document nested 100,000 deep each leave a warning on the feed, shown by ``watcher status``.
"""

from __future__ import annotations

import asyncio

import pytest
from feedserver import FeedServer
from rss import Item, rss

from watcher.config import config_from_dict
from watcher.daemon.status import read_status, render_text
from watcher.pipeline import Pipeline, PollReport
from watcher.store import Store
from watcher.timeutil import utc_now

XML = {"Content-Type": "application/rss+xml"}
JSON = {"Content-Type": "application/feed+json"}
DATE = "Wed, 11 Jun 2025 18:20:00 GMT"
EMPTY_RSS = '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'
WRONG_ITEMS = '{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [1, "a"]}'
DEEP = "<rss>" + "<a>" * 100_000 + "</a>" * 100_000 + "</rss>"


def poll(server: FeedServer, store: Store) -> PollReport:
    config = config_from_dict({"feeds": [{"url": server.url("/feed.xml")}]}, source="test")
    return asyncio.run(Pipeline(config, store).poll())


@pytest.mark.parametrize(
    ("body", "headers", "warning"),
    [
        ("", XML, "empty body"),
        ("  \n", XML, "empty body"),
        (EMPTY_RSS, XML, "no entries"),
        (WRONG_ITEMS, JSON, "2 of 2 JSON Feed items are not objects"),
        (DEEP, XML, "no entries"),
    ],
    ids=["empty", "blank", "zero-entries", "json-wrong-type", "100k-deep"],
)
def test_a_feed_that_brings_nothing_is_a_warning_shown_in_status(
    server: FeedServer, store: Store, body: str, headers: dict[str, str], warning: str
) -> None:
    server.set("/feed.xml", body, headers=headers)
    report = poll(server, store)
    assert (report.failed, report.new_stories) == (0, 0)
    [problem] = store.feeds.errors()
    assert problem["stage"] == "warning" and warning in problem["message"]
    feed = store.feeds.get(server.url("/feed.xml"))
    assert warning in feed["last_error"]
    assert f"warning: {warning}" in render_text(read_status(store, utc_now()))


def test_a_feed_with_entries_has_no_warning(server: FeedServer, store: Store) -> None:
    server.set("/feed.xml", rss("Wire", [Item("g1", "Story", "Text.", DATE)]), headers=XML)
    assert poll(server, store).new_stories == 1
    assert store.feeds.errors() == []


def test_some_json_items_of_the_wrong_type_are_a_warning_beside_the_good_ones(
    server: FeedServer, store: Store
) -> None:
    items = '[{"id": "1", "title": "A story", "content_text": "Text."}, 7]'
    body = f'{{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": {items}}}'
    server.set("/feed.xml", body, headers=JSON)
    assert poll(server, store).new_stories == 1
    [problem] = store.feeds.errors()
    assert (problem["stage"], problem["message"]) == (
        "warning",
        "warning: 1 of 2 JSON Feed items are not objects (skipped)",
    )
