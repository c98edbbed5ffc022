"""The feedparser project's corpus (~2,100 real feed documents) through fetch + parse + store.

Every document must come through the real pipeline into a real SQLite file without an unhandled
exception; ill-formed ones are recorded as feed errors with their entries kept. The corpus lives
in ../shared, beside the repository; without it the test is skipped.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest
from conftest import require_shared

from watcher.config import Config, FeedSettings
from watcher.pipeline import Pipeline
from watcher.store import Store

FEED_SUFFIXES = frozenset({".xml", ".json"})  # the folder also holds the corpus's LICENSE
# Each document states what feedparser should make of it, e.g. "Expect: not bozo and ...";
# "Header:" lines simulate HTTP headers that a read from disk cannot have.
_EXPECT_BOZO = re.compile(r"Expect:\s*(not\s+)?bozo")
_SIMULATED_HEADER = re.compile(r"^\s*Header:", re.MULTILINE)


def expected_bozo(path: Path) -> bool | None:
    """Whether the document says it is malformed; None when it says nothing usable here."""
    text = path.read_bytes().decode("latin-1")
    found = _EXPECT_BOZO.search(text)
    if found is None or _SIMULATED_HEADER.search(text):
        return None
    return found.group(1) is None


@pytest.mark.slow
def test_every_corpus_document_goes_through_fetch_parse_and_store(tmp_path: Path) -> None:
    corpus = require_shared("eval", "feeds", "feedparser")
    paths = sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix in FEED_SUFFIXES)
    config = Config(feeds=[FeedSettings(url=str(path)) for path in paths])
    started = time.monotonic()
    with Store(tmp_path / "corpus.db") as store:
        report = asyncio.run(Pipeline(config, store).poll())
        took = time.monotonic() - started
        feeds = {row["url"]: row for row in store.feeds.all()}
        parse_errors = {e["feed_url"] for e in store.feeds.errors() if e["stage"] == "parse"}
        fetch_errors = {e["feed_url"] for e in store.feeds.errors() if e["stage"] == "fetch"}
        stories = store.stories.count()
        json_feed_items = feeds[str(corpus / "json" / "example.json")]["items_seen"]

    with_entries = sum(1 for row in feeds.values() if row["items_seen"])
    print(
        f"\nfeed corpus: {len(paths)} files, {with_entries} produced entries "
        f"({stories} distinct stories stored), {len(parse_errors)} recorded as feed errors, "
        f"{len(fetch_errors)} unreadable, {took:.1f} s"
    )
    assert len(paths) > 2_000
    assert report.feeds == len(paths) == len(feeds)
    assert fetch_errors == set()
    assert report.feed_errors == len(parse_errors) > 200
    assert with_entries > 400 and json_feed_items == 2
    # Recorded as malformed exactly when the document says so (those that say, without
    # simulated headers), and a malformed document's readable entries are stored anyway.
    disagreements = [
        path.relative_to(corpus).as_posix()
        for path in paths
        if (expected := expected_bozo(path)) is not None and expected != (str(path) in parse_errors)
    ]
    assert disagreements == []
    assert any(feeds[url]["items_seen"] for url in parse_errors)
