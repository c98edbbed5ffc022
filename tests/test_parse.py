"""Parse stage: RSS, Atom, JSON Feed, malformed and hostile input, normalisation of stories."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from watcher.models import FetchResult, ParsedFeed
from watcher.parse import MAX_TEXT_CHARS, MAX_TITLE_CHARS, canonical_link, parse_feed
from watcher.text import normalise

FEED_URL = "https://news.example.org/feed.xml"

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>Example &amp; News</title>
  <ttl>45</ttl>
  <item>
    <title>Minister &lt;b&gt;rules out&lt;/b&gt; air cover</title>
    <link>/world/air-cover?utm_source=rss&amp;id=7#xtor=RSS-3</link>
    <guid isPermaLink="false">story-7</guid>
    <pubDate>Tue, 10 Jun 2025 14:30:00 +0200</pubDate>
    <description>Short summary.</description>
    <content:encoded><![CDATA[<p>The minister said <em>no</em>.</p>
      <script>alert("x")</script><p>Talks go on.</p>]]></content:encoded>
  </item>
  <item>
    <title>Second story</title>
    <link>https://News.Example.org:443/b?fbclid=abc</link>
    <pubDate>not a date at all</pubDate>
  </item>
  <item><title></title><description>   </description></item>
</channel>
</rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="html">Atom &lt;i&gt;Wire&lt;/i&gt;</title>
  <id>urn:uuid:feed</id>
  <updated>2025-06-10T12:00:00Z</updated>
  <entry>
    <title>Atom entry</title>
    <id>urn:uuid:entry-1</id>
    <link rel="alternate" href="https://example.org/atom/1?gclid=x&amp;page=2"/>
    <updated>2025-06-10T08:15:00-04:00</updated>
    <summary>A summary.</summary>
    <content type="html">&lt;p&gt;The full &lt;b&gt;content&lt;/b&gt; of the entry.&lt;/p&gt;
    </content>
  </entry>
</feed>"""


def result(body: str | bytes, url: str = FEED_URL, **fields: Any) -> FetchResult:
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return FetchResult(
        url=url, final_url=fields.pop("final_url", url), status=200, body=raw, **fields
    )


def parse(body: str | bytes, **fields: Any) -> ParsedFeed:
    return parse_feed(result(body, **fields))


def test_rss_2() -> None:
    feed = parse(RSS, headers={"content-type": "application/rss+xml; charset=utf-8"})

    assert feed.error is None and feed.url == FEED_URL
    assert feed.title == "Example & News" and feed.ttl_minutes == 45
    assert len(feed.stories) == 2  # the entry with neither title nor text is skipped
    first, second = feed.stories
    assert first.title == "Minister rules out air cover"
    assert first.text == "The minister said no.\nTalks go on."  # content beats the shorter summary
    assert first.link == "https://news.example.org/world/air-cover?id=7"
    assert first.guid == "story-7" and first.feed_url == FEED_URL
    assert first.published == datetime(2025, 6, 10, 12, 30, tzinfo=UTC)
    assert second.link == "https://news.example.org/b" and second.published is None
    assert second.text == ""


def test_relative_links_resolve_against_the_final_url() -> None:
    item = "<item><title>x</title><link>../b/story.html?utm_campaign=z</link></item>"
    body = f'<rss version="2.0"><channel>{item}</channel></rss>'
    moved = parse(body, final_url="https://cdn.example.org/a/feed.xml")
    assert moved.stories[0].link == "https://cdn.example.org/b/story.html"
    located = parse(
        body, final_url="https://cdn.example.org/a/feed.xml", headers={"content-location": "/x/y/"}
    )
    assert located.stories[0].link == "https://cdn.example.org/x/b/story.html"  # HTTP's base


def test_atom_1() -> None:
    feed = parse(ATOM, headers={"content-type": "application/atom+xml"})

    assert feed.error is None and feed.title == "Atom Wire"
    (story,) = feed.stories
    assert story.title == "Atom entry"
    assert story.text == "The full content of the entry."
    assert story.guid == "urn:uuid:entry-1"
    assert story.link == "https://example.org/atom/1?page=2"
    assert story.published == datetime(2025, 6, 10, 12, 15, tzinfo=UTC)


def json_feed(*items: dict[str, Any], version: str = "https://jsonfeed.org/version/1.1") -> str:
    return json.dumps({"version": version, "title": "JSON <Wire>", "items": list(items)})


def test_json_feed() -> None:
    feed = parse(
        json_feed(
            {
                "id": 42,
                "url": "https://example.org/j/1?utm_medium=feed",
                "title": "Prices < costs",
                "content_html": "<p>Rich <b>text</b></p><script>evil()</script>",
                "summary": "Short",
                "date_published": "2025-06-10T10:00:00+02:00",
            },
            {"id": "2", "content_text": "Plain <b> stays & text", "date_modified": "2025-06-11"},
            {"id": "3"},  # neither title nor text: skipped
            "not an item",
        ),
        headers={"content-type": "application/feed+json"},
    )

    assert feed.error is None and feed.title == "JSON <Wire>"
    first, second = feed.stories
    assert (first.title, first.text, first.guid) == ("Prices < costs", "Rich text", "42")
    assert first.link == "https://example.org/j/1"
    assert first.published == datetime(2025, 6, 10, 8, 0, tzinfo=UTC)
    assert second.text == "Plain <b> stays & text" and second.title == ""
    assert second.published == datetime(2025, 6, 11, tzinfo=UTC)


def test_json_feed_1_0_with_a_bom_and_external_url() -> None:
    body = json_feed(
        {"id": "a", "external_url": "https://example.org/x", "title": "T"},
        version="https://jsonfeed.org/version/1",
    )
    (story,) = parse(b"\xef\xbb\xbf" + body.encode()).stories
    assert story.link == "https://example.org/x"


@pytest.mark.parametrize(
    ("body", "error_start"),
    [
        ('{"version": "https://jsonfeed.org/version/1", "items": [', "JSONDecodeError"),
        ('{"version": "https://jsonfeed.org/version/1", "items": 3}', "ValueError"),
        ('{"items": []}', "ValueError: not a JSON Feed"),
        ("[1, 2]", "SAXParseException"),  # not an object: handed to feedparser, which gives up
    ],
)
def test_broken_json_feeds_are_recorded(body: str, error_start: str) -> None:
    feed = parse(body)
    assert feed.stories == ()
    assert feed.error is not None and feed.error.startswith(error_start)


def test_a_malformed_feed_records_the_error_and_keeps_entries() -> None:
    body = RSS.replace("</channel>\n</rss>", "").replace("<title>Second story</title>", "<b>")
    feed = parse(body)
    assert feed.error is not None and "SAXParseException" in feed.error
    assert [s.title for s in feed.stories][:1] == ["Minister rules out air cover"]


def test_the_http_charset_is_honoured() -> None:
    body = '<?xml version="1.0"?><rss version="2.0"><channel><title>Новости</title><item>'
    body += "<title>Москва отвечает</title></item></channel></rss>"
    koi8 = body.encode("koi8-r")

    feed = parse(koi8, headers={"content-type": "application/rss+xml; charset=koi8-r"})
    assert feed.title == "Новости" and feed.stories[0].title == "Москва отвечает"
    assert feed.error is None

    undeclared = parse(koi8, headers={"content-type": "application/rss+xml"})
    assert undeclared.stories[0].title != "Москва отвечает"  # the charset made the difference


@pytest.mark.parametrize(
    ("link", "canonical"),
    [
        (
            "HTTPS://Example.ORG:443/a/b?x=1&utm_source=rss&y=2#xtor=RSS-3",
            "https://example.org/a/b?x=1&y=2",
        ),
        # a fragment naming a part of the page is the entry's own; one with parameters tracks
        ("https://e.org/live/summit#post-2", "https://e.org/live/summit#post-2"),
        ("https://e.org/a#utm_source=feed&utm_medium=rss", "https://e.org/a"),
        ("https://e.org/a#", "https://e.org/a"),
        ("http://example.org:80", "http://example.org/"),
        ("http://example.org:8080/p?ref=home", "http://example.org:8080/p"),
        ("https://e.org/p?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&ocid=5&cmpid=6", "https://e.org/p"),
        ("https://e.org/p?UTM_Campaign=x&q=a%20b&q=c", "https://e.org/p?q=a%20b&q=c"),
        ("https://e.org/p?b=2&a=1&flag", "https://e.org/p?b=2&a=1&flag"),  # order and form kept
        ("https://e.org/Case/Path?Q=V", "https://e.org/Case/Path?Q=V"),  # path/query keep case
        ("https://user@E.org/p", "https://user@e.org/p"),
        ("http://[::1]:80/x", "http://[::1]/x"),
        ("  https://e.org/x  ", "https://e.org/x"),
        ("mailto:someone@example.org", "mailto:someone@example.org"),
        ("https://e.org:bad/x", "https://e.org:bad/x"),  # unparseable port: left alone
    ],
)
def test_canonical_link(link: str, canonical: str) -> None:
    assert canonical_link(link) == canonical


def test_ids_are_stable_across_polls_and_redirects() -> None:
    first = parse(RSS)
    again = parse(RSS, final_url="https://cdn.example.org/feed.xml", headers={"x": "y"})
    assert [s.id for s in first.stories] == [s.id for s in again.stories]
    assert all(len(s.id) == 16 for s in first.stories)
    assert len({s.id for s in first.stories}) == 2

    other_feed = parse(RSS, url="https://other.example.org/rss")
    assert not {s.id for s in first.stories} & {s.id for s in other_feed.stories}


def short_sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def test_ids_fall_back_to_the_canonical_link_then_the_content() -> None:
    def feed_with(tracking: str) -> ParsedFeed:
        items = f"<item><title>Linked</title><link>https://e.org/a?{tracking}</link></item>"
        items += "<item><title>Bare</title><description>Only text</description></item>"
        return parse(f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>')

    linked, bare = feed_with("utm_source=rss").stories
    assert linked.guid is None and linked.id == short_sha1(f"{FEED_URL}\nhttps://e.org/a")
    assert feed_with("utm_source=mail").stories[0].id == linked.id  # tracking does not count
    assert bare.link is None
    assert bare.content_hash == hashlib.sha1(normalise("Bare Only text").encode()).hexdigest()
    assert bare.id == short_sha1(f"{FEED_URL}\n{bare.content_hash}")


@pytest.mark.parametrize(
    ("date_xml", "expected"),
    [
        ("<pubDate>Tue, 10 Jun 2025 23:30:00 -0500</pubDate>", datetime(2025, 6, 11, 4, 30)),
        ("<pubDate>Tue, 10 Jun 2025 14:30:00 GMT</pubDate>", datetime(2025, 6, 10, 14, 30)),
        ("<dc:date>2025-06-10T14:30:00+01:00</dc:date>", datetime(2025, 6, 10, 13, 30)),
        ("<pubDate>garbage</pubDate>", None),
        ("<pubDate>Tue, 99 Foo 2025 99:99:99 GMT</pubDate>", None),
        ("", None),
    ],
)
def test_dates_become_utc(date_xml: str, expected: datetime | None) -> None:
    body = '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
    body += f"<item><title>x</title>{date_xml}</item></channel></rss>"
    (story,) = parse(body).stories
    assert story.published == (expected.replace(tzinfo=UTC) if expected else None)
    if story.published:
        assert story.published.utcoffset() is not None


def test_scripts_are_stripped_from_title_and_text() -> None:
    item = (
        "<item><title>&lt;script&gt;steal()&lt;/script&gt;Headline</title>"
        "<description>&lt;p&gt;Body&lt;script&gt;document.cookie&lt;/script&gt;&lt;/p&gt;"
        "&lt;style&gt;p{}&lt;/style&gt;</description></item>"
    )
    (story,) = parse(f'<rss version="2.0"><channel>{item}</channel></rss>').stories
    assert (story.title, story.text) == ("Headline", "Body")


SY = 'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"'


@pytest.mark.parametrize(
    ("channel_xml", "minutes"),
    [
        ("<ttl>30</ttl>", 30),
        ("<ttl> 60 </ttl>", 60),
        ("<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>", 30),
        ("<sy:updatePeriod>daily</sy:updatePeriod>", 1440),
        (
            "<sy:updatePeriod> Weekly </sy:updatePeriod><sy:updateFrequency>7</sy:updateFrequency>",
            1440,
        ),
        ("<ttl>15</ttl><sy:updatePeriod>daily</sy:updatePeriod>", 15),  # <ttl> wins
        ("<ttl>soon</ttl><sy:updatePeriod>hourly</sy:updatePeriod>", 60),
        ("<ttl>0</ttl>", None),
        ("<ttl>-5</ttl>", None),
        ("<ttl>99999999</ttl>", None),
        ("<sy:updatePeriod>fortnightly</sy:updatePeriod>", None),
        (
            "<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>0</sy:updateFrequency>",
            None,
        ),
        ("", None),
    ],
)
def test_ttl_minutes(channel_xml: str, minutes: int | None) -> None:
    body = f'<rss version="2.0" {SY}><channel><title>t</title>{channel_xml}</channel></rss>'
    assert parse(body).ttl_minutes == minutes


def test_huge_fields_are_truncated() -> None:
    item = f"<item><title>{'T' * 5_000}</title><description>{'word ' * 50_000}</description></item>"
    (story,) = parse(f'<rss version="2.0"><channel>{item}</channel></rss>').stories
    assert len(story.title) == MAX_TITLE_CHARS
    assert len(story.text) <= MAX_TEXT_CHARS and story.text.startswith("word word")


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0" encoding="x-no-such-codec"?><rss version="2.0"><channel>'
        b"<item><title>Bogus \xff\xfe encoding</title></item></channel></rss>",
        b"\x00\x01\x02 binary junk \xff" * 100,
        b"",
        b"<html><body>Not a feed</body></html>",
        b"<" * 10_000,
    ],
)
def test_hostile_bodies_never_raise(body: bytes) -> None:
    feed = parse(body)
    assert isinstance(feed, ParsedFeed) and feed.url == FEED_URL


def test_entity_expansion_is_refused() -> None:
    entities = '<!ENTITY e0 "lollollollollollollollollollol">'
    for level in range(1, 10):
        entities += f'<!ENTITY e{level} "{f"&e{level - 1};" * 10}">'
    body = f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]><rss version="2.0"><channel>'
    body += "<item><title>&e9;</title></item></channel></rss>"
    feed = parse(body)
    assert feed.error is not None and all(len(s.title) < 100 for s in feed.stories)


def test_external_entities_are_not_read() -> None:
    body = '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    body += '<rss version="2.0"><channel><item><title>a &x; b</title></item></channel></rss>'
    (story,) = parse(body).stories
    assert "root" not in story.title


def test_a_bogus_declared_encoding_still_yields_the_entry() -> None:
    body = b'<?xml version="1.0" encoding="x-no-such-codec"?><rss version="2.0"><channel>'
    body += b"<item><title>Still read</title></item></channel></rss>"
    feed = parse(body)
    assert feed.error is not None and [s.title for s in feed.stories] == ["Still read"]


def test_nothing_to_parse_for_an_unchanged_result() -> None:
    unchanged = FetchResult(url=FEED_URL, final_url=FEED_URL, status=304)
    assert parse_feed(unchanged) == ParsedFeed(url=FEED_URL, stories=())
