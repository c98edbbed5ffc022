"""Which entries are one story: guids, links and fragments, through the pipeline into SQLite.

A live blog's posts and a comment feed's comments share one page; they must stay apart, each
with its own text. The same link with new content is a revision only when nothing else says
the entries differ.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from watcher.config import config_from_dict
from watcher.dedup import another_entry
from watcher.models import FetchResult, Story
from watcher.pipeline import Pipeline
from watcher.store import Store

BLOG = "https://news.example/live.xml"
WIRE = "https://wire.example/feed.xml"
PAGE = "https://news.example/live/summit"
DATE = "Wed, 11 Jun 2025 18:{:02d}:00 GMT"


def feed(*entries: tuple[str | None, str, str]) -> bytes:
    """RSS with one item per (guid or None, link, text)."""
    items = "".join(
        f"<item><title>Update {n}</title><link>{escape(link)}</link>"
        + (f'<guid isPermaLink="false">{escape(guid)}</guid>' if guid else "")
        + f"<pubDate>{DATE.format(n)}</pubDate><description>{escape(text)}</description></item>"
        for n, (guid, link, text) in enumerate(entries)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Live</title>'
        f"<link>https://news.example/</link><description>d</description>{items}</channel></rss>"
    ).encode()


def ingest(store: Store, url: str, body: bytes) -> None:
    config = config_from_dict({"feeds": [{"url": BLOG}, {"url": WIRE}]}, source="test")
    pipeline = Pipeline(config, store)
    store.feeds.sync(config.feeds)
    report = pipeline.ingest([FetchResult(url=url, final_url=url, status=200, body=body)])
    assert report.story_errors == 0


def texts(store: Store) -> list[str]:
    return sorted(row[0] for row in store.db.execute("SELECT text FROM stories"))


POSTS = [f"Post {n}: the leaders met again and said something new, number {n}." for n in range(3)]


def test_live_blog_posts_differing_by_fragment_stay_distinct(store: Store) -> None:
    ingest(store, BLOG, feed(*((f"post-{n}", f"{PAGE}#post-{n}", POSTS[n]) for n in range(3))))
    assert texts(store) == POSTS
    links = sorted(row[0] for row in store.db.execute("SELECT link FROM stories"))
    assert links == [f"{PAGE}#post-{n}" for n in range(3)]


def test_comments_without_guids_differing_by_fragment_stay_distinct(store: Store) -> None:
    """A comment feed whose entries are told apart by their #comment-N links alone."""
    comments = [f"Comment {n}: I disagree with the article for reason {n}." for n in range(3)]
    ingest(store, BLOG, feed(*((None, f"{PAGE}/#comment-{n}", comments[n]) for n in range(3))))
    assert texts(store) == comments


def test_distinct_guids_under_one_link_stay_distinct(store: Store) -> None:
    """Posts that all link to the blog's page: their guids say they are different entries."""
    ingest(store, BLOG, feed(*((f"post-{n}", PAGE, POSTS[n]) for n in range(3))))
    assert texts(store) == POSTS
    # Polled again, each post is its own known story: no revision, nothing replaced.
    ingest(store, BLOG, feed(*((f"post-{n}", PAGE, POSTS[n]) for n in range(3))))
    assert texts(store) == POSTS


def test_same_link_new_content_without_other_evidence_is_a_revision(store: Store) -> None:
    ingest(store, BLOG, feed((None, PAGE, POSTS[0])))
    ingest(store, BLOG, feed((None, PAGE, POSTS[1])))
    assert texts(store) == [POSTS[1]]


def test_same_guid_new_content_is_a_revision(store: Store) -> None:
    ingest(store, BLOG, feed(("post-0", PAGE, POSTS[0])))
    ingest(store, BLOG, feed(("post-0", f"{PAGE}#latest", POSTS[1])))
    assert texts(store) == [POSTS[1]]


def test_another_feed_with_the_same_link_is_the_same_story(store: Store) -> None:
    """Syndication: another feed's guids say nothing about this one's."""
    ingest(store, BLOG, feed(("post-0", PAGE, POSTS[0])))
    ingest(store, WIRE, feed(("wire-77", PAGE, POSTS[0])))
    assert texts(store) == [POSTS[0]]
    assert store.db.execute("SELECT COUNT(*) FROM story_sources").fetchone()[0] == 2


def test_another_entry_only_asks_for_guids_on_a_link_match() -> None:
    story = Story("id", BLOG, "T", "x", link=PAGE, guid="post-1")

    def no_lookup() -> set[str]:
        raise AssertionError("guids looked up for an entry-key match")

    assert not another_entry(story, "entry:id", no_lookup)
    assert another_entry(story, f"link:{PAGE}", lambda: {"post-0"})
    assert not another_entry(story, f"link:{PAGE}", lambda: {"post-1"})
    assert not another_entry(story, f"link:{PAGE}", set)  # no guid from this feed: a revision
