"""The fast parse path: plain feeds read by fastfeedparser exactly as feedparser reads them.

Only documents ``watcher.feedshape.plain_feed`` accepts take it; everything else must still go to
feedparser, so that malformed feeds are recorded as such. Equivalence is checked against
feedparser itself on the shared feed corpus and on realistic synthetic feeds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, require_shared

import watcher.parse
from bench.synthetic import build_feeds, load_corpus
from watcher.feedshape import plain_feed
from watcher.models import FetchResult, ParsedFeed
from watcher.parse import parse_feed

URL = "https://news.example.org/feed.xml"
XML_TYPE = {"content-type": "application/rss+xml; charset=utf-8"}
ITEM = (
    "<item><title>Minister rules out air cover</title><link>https://e.org/{n}</link>"
    '<guid isPermaLink="false">g{n}</guid><pubDate>Tue, 10 Jun 2025 14:30:00 +0200</pubDate>'
    "<description>Short &lt;b&gt;summary&lt;/b&gt;.</description>{extra}</item>"
)
# Hostile markup on which feedparser's sanitizer and watcher.text.html_to_text keep different
# scraps (the fast path drops more of the script, and keeps the text of a broken comment).
HOSTILE_MARKUP = {
    "wellformed/sanitize/item_description_crazy.xml",
    "wellformed/sanitize/xml_malicious_comment.xml",
    "wellformed/sanitize/xml_unclosed_comment.xml",
}


def rss(*items: str, head: str = "", channel: str = "") -> bytes:
    body = f'{head}<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
    body += f"<channel><title>Wire</title>{channel}{''.join(items)}</channel></rss>"
    return body.encode("utf-8")


def item(n: int = 1, extra: str = "") -> str:
    return ITEM.format(n=n, extra=extra)


def both_ways(
    body: bytes, headers: dict[str, str], monkeypatch: Any, url: str = URL
) -> tuple[ParsedFeed, ...]:
    """The feed parsed as it is, and parsed with the fast path turned off."""
    result = FetchResult(url=url, final_url=url, status=200, body=body, headers=headers)
    fast = parse_feed(result)
    with monkeypatch.context() as patched:
        patched.setattr(watcher.parse, "plain_feed", lambda *_, **__: None)
        slow = parse_feed(result)
    return fast, slow


def test_a_plain_feed_takes_the_fast_path_and_reads_the_same(monkeypatch: Any) -> None:
    content = "<content:encoded><![CDATA[<p>The full <em>text</em>.</p>]]></content:encoded>"
    body = rss(item(1, content), item(2), channel="<ttl>30</ttl>")
    shape = plain_feed(body, XML_TYPE, over_http=True)
    assert shape is not None and shape.own_ids and [e.summary for e in shape.entries] == [1, 1]

    fast, slow = both_ways(body, XML_TYPE, monkeypatch)
    assert fast == slow
    assert fast.ttl_minutes == 30 and fast.stories[0].text == "The full text."
    assert [s.guid for s in fast.stories] == ["g1", "g2"]


def test_fastfeedparser_reads_what_the_check_lets_through(monkeypatch: Any) -> None:
    def no_feedparser(*args: object, **kwargs: object) -> None:
        raise AssertionError("feedparser was used for a plain feed")

    monkeypatch.setattr(watcher.parse.feedparser, "parse", no_feedparser)
    result = FetchResult(url=URL, final_url=URL, status=200, body=rss(item()), headers=XML_TYPE)
    feed = parse_feed(result)
    assert [s.title for s in feed.stories] == ["Minister rules out air cover"]


def test_entries_without_guids_get_none_not_their_link(monkeypatch: Any) -> None:
    bare = item().replace('<guid isPermaLink="false">g1</guid>', "")
    assert plain_feed(rss(bare), XML_TYPE, over_http=True) is not None
    fast, slow = both_ways(rss(bare), XML_TYPE, monkeypatch)
    assert fast == slow and fast.stories[0].guid is None


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (rss(item()).replace(b"</channel>", b""), {}),  # malformed: feedparser records why
        (rss(item(), head='<?xml version="1.0" encoding="iso-8859-1"?>'), {}),
        (rss(item(), head='<!DOCTYPE rss [<!ENTITY a "b">]>'), {}),
        (rss(item()), {"content-type": "text/xml"}),  # US-ASCII by RFC 3023
        (rss(item()), {"content-type": "text/html; charset=utf-8"}),
        (rss(item()), {"content-type": "application/rss+xml; charset=koi8-r"}),
        (rss(item()), {"content-location": "/elsewhere/", **XML_TYPE}),
        (rss(item()), {}),  # served without a Content-Type: feedparser calls that a fault
        (rss(item(1), item(2).replace('<guid isPermaLink="false">g2</guid>', "")), {}),
        (rss(item(extra="<other:description xmlns:other='urn:x'>clash</other:description>")), {}),
        (rss(item(extra="<dc:title xmlns:dc='http://purl.org/dc/elements/1.1/'>t</dc:title>")), {}),
        (rss(item(extra="<id>urn:x</id>")), {}),
        (rss(item()).replace(b"Short", b"Don\xc2\x92t"), {}),  # Windows-1252 as Latin-1
        (rss(item()).replace(b'version="2.0"', b'version="2.0" xml:base="https://b.org/"'), {}),
        (
            b'<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>t</title>'
            b"<entry><title>Atom 0.3</title></entry></feed>",
            {},
        ),
        (
            b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><id>i</id>'
            b'<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">X</div></title>'
            b"</entry></feed>",
            {},
        ),
        (b"<html><body>not a feed</body></html>", {}),
    ],
)
def test_what_is_not_plain_goes_to_feedparser(body: bytes, headers: dict[str, str]) -> None:
    assert plain_feed(body, headers, over_http=True) is None


def test_synthetic_news_feeds_all_take_the_fast_path_with_the_same_stories(
    monkeypatch: Any,
) -> None:
    feeds = build_feeds(load_corpus(), 200)  # RSS summaries, RSS full text and Atom
    for feed in feeds:
        assert plain_feed(feed.body, XML_TYPE, over_http=True) is not None, feed.url
        fast, slow = both_ways(feed.body, XML_TYPE, monkeypatch)
        assert fast == slow, feed.url


def test_the_demo_snapshots_read_the_same_either_way(monkeypatch: Any) -> None:
    for path in sorted((ROOT / "seeds" / "snapshots").rglob("*.xml")):
        assert plain_feed(path.read_bytes(), XML_TYPE, over_http=True) is not None, path
        fast, slow = both_ways(path.read_bytes(), XML_TYPE, monkeypatch)
        assert fast == slow, path


def test_corpus_documents_on_the_fast_path_are_well_formed_and_read_the_same(
    monkeypatch: Any,
) -> None:
    corpus = require_shared("eval", "feeds", "feedparser")
    accepted = []
    for path in sorted(corpus.rglob("*.xml")):
        body = path.read_bytes()
        if plain_feed(body, {}, over_http=False) is None:
            continue
        accepted.append(path)
        fast, slow = both_ways(body, {}, monkeypatch, url=str(path))  # read from disk
        assert slow.error is None, f"{path}: feedparser calls it malformed: {slow.error}"
        if _name(path, corpus) not in HOSTILE_MARKUP:
            assert fast == slow, path
    assert len(accepted) > 20


def _name(path: Path, corpus: Path) -> str:
    return path.relative_to(corpus).as_posix()


@pytest.mark.parametrize(
    "date",
    [
        "Tue, 10 Jun 2025 14:30:00 EDT",
        "Tuesday, June 10, 2025 2:30 PM",  # fastfeedparser alone reads 02:30
        "Mon, 10 Jun 2025 24:00:00 GMT",
        "Tue, 10 Jun 2025 14:30:00 CEST",
        "Di, 10 Jun 2025 14:30:00 +0200",
        "2025-06-10T14:30:00.5+02:00",
    ],
)
def test_odd_dates_are_read_as_feedparser_reads_them(date: str, monkeypatch: Any) -> None:
    body = rss(item().replace("Tue, 10 Jun 2025 14:30:00 +0200", date))
    assert plain_feed(body, XML_TYPE, over_http=True) is not None
    fast, slow = both_ways(body, XML_TYPE, monkeypatch)
    assert fast.stories[0].published == slow.stories[0].published
