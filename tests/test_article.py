"""Reading the article behind a summary-only entry, over a real local HTTP server.

The pages look like real news pages: navigation, a cookie banner, a related-stories box whose
headlines state the opposite stance, a footer. Only the main text may become evidence.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import AIR_COVER_TOPIC
from feedserver import FeedServer
from rss import Item, rss

from watcher.article import ArticleReader
from watcher.cli import cli
from watcher.config import ConfigError, config_from_dict
from watcher.daemon.status import read_status, render_text
from watcher.fetch import make_client
from watcher.history.search import search_stories
from watcher.models import Story
from watcher.pipeline import Pipeline, PollReport
from watcher.store import Store
from watcher.timeutil import utc_now

DATE = "Wed, 11 Jun 2025 18:20:00 GMT"
TITLE = "Washington answers Europe on air cover for Ukraine"
SUMMARY = "Overnight news from the coalition talks."
MAIN_TEXT = (
    "The United States refused to provide air cover for the European force in Ukraine, "
    "officials in Brussels said on Wednesday after a meeting of defence ministers. "
    "Washington has ruled out sending its own aircraft to protect the mission, a senior "
    "European diplomat said, and told London and Paris that the coalition would have to "
    "rely on its own air defence. The decision leaves the Coalition of the Willing "
    "looking for other ways to deter attacks once a ceasefire is agreed."
)
SIDEBAR = (
    "US agrees to provide air cover for European force",
    "Washington commits to air defence backstop for the Coalition of the Willing",
)


def article_page(main: str = MAIN_TEXT, title: str = TITLE, charset_meta: bool = True) -> str:
    """A realistic news page around ``main`` (one paragraph per sentence)."""
    paragraphs = "".join(
        f"<p>{sentence.strip()}.</p>\n" for sentence in main.split(". ") if sentence
    )
    related = "".join(f'<li><a href="/related/{i}">{h}</a></li>' for i, h in enumerate(SIDEBAR))
    meta = '<meta charset="utf-8">' if charset_meta else ""
    return f"""<!DOCTYPE html><html lang="en"><head>{meta}<title>{title} | Daily Ledger</title>
<meta name="author" content="Jane Doe"></head><body>
<div class="cookie-banner" id="cookie-consent"><p>We use cookies to improve your experience on
our site and to show you relevant advertising. By continuing you accept our cookie policy.</p>
<button>Accept all cookies</button></div>
<header><nav class="menu"><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/politics">Politics</a></li><li><a href="/business">Business</a></li></ul></nav>
</header>
<main><article><h1>{title}</h1><p class="byline">By Jane Doe</p>
{paragraphs}</article>
<aside class="related-stories"><h2>Related stories</h2><ul>{related}</ul></aside></main>
<footer><p>Copyright 2025 Daily Ledger. All rights reserved.</p>
<ul><li><a href="/privacy">Privacy</a></li><li><a href="/terms">Terms</a></li></ul></footer>
</body></html>"""


def summary_feed(server: FeedServer, *items: tuple[str, str, str]) -> None:
    """Serve /feed.xml with (guid, summary, article path) entries titled TITLE."""
    server.set(
        "/feed.xml",
        rss(
            "Daily Ledger",
            [Item(guid, TITLE, text, DATE, link=server.url(path)) for guid, text, path in items],
        ),
    )


def make_config(server: FeedServer, articles: str = "auto", **settings: Any):
    fetch = {"timeout": settings.pop("timeout", 5), "contact": "desk@example.org"}
    fetch |= {k: settings.pop(k) for k in ("max_bytes",) if k in settings}
    return config_from_dict(
        {
            "fetch": fetch,
            "articles": {"host_delay": 0} | settings,
            "feeds": [{"url": server.url("/feed.xml"), "articles": articles}],
            "topics": [AIR_COVER_TOPIC],
        },
        source="test",
    )


def poll(pipeline: Pipeline) -> PollReport:
    return asyncio.run(pipeline.poll())


def story_row(store: Store) -> dict:
    rows = list(store.db.query("SELECT * FROM stories"))
    assert len(rows) == 1
    return rows[0]


def html(body: str | bytes, **options: Any) -> dict[str, Any]:
    """Route options for an HTML page."""
    return {"body": body, "headers": {"Content-Type": "text/html; charset=utf-8"}} | options


def test_the_position_is_read_from_the_main_text_only(server: FeedServer, store: Store) -> None:
    summary_feed(server, ("a1", SUMMARY, "/news/a1"))
    server.set("/news/a1", **html(article_page()))
    report = poll(Pipeline(make_config(server), store))
    [(position, _)] = report.recorded
    assert (position.actor_id, position.stance.value) == ("US", "against")
    assert position.evidence_from == "article"
    evidence = " ".join(position.verdict.evidence)
    assert "refused to provide air cover" in evidence
    story = story_row(store)
    assert story["text"] == SUMMARY  # the feed's own text is kept
    assert "refused to provide air cover" in story["article"]
    assert (story["author"], story["article_error"]) == ("Jane Doe", None)
    for noise in (*SIDEBAR, "cookie", "Copyright", "Politics", "By Jane Doe"):
        assert noise not in story["article"] and noise not in evidence
    assert store.db["positions"].get(1)["evidence_from"] == "article"
    # Search covers the article's text, not only the feed's.
    hits = search_stories(store.db.conn, "ruled out sending its own aircraft")
    assert [hit["story_id"] for hit in hits] == [story["id"]]
    # Politely: robots.txt asked first, the contact in the User-Agent.
    assert [r.path for r in server.requests if r.path != "/feed.xml"] == ["/robots.txt", "/news/a1"]
    assert "desk@example.org" in server.requests_to("/news/a1")[0].headers["user-agent"]


def test_without_the_article_the_summary_alone_says_nothing(
    server: FeedServer, store: Store
) -> None:
    """The control for the test above: the stance really comes from the page."""
    summary_feed(server, ("a1", SUMMARY, "/news/a1"))
    server.set("/news/a1", **html(article_page()))
    report = poll(Pipeline(make_config(server, articles="never"), store))
    assert [p.stance.value for p, _ in report.recorded if p.stance.value == "against"] == []
    assert not server.requests_to("/news/a1")


def test_an_article_is_read_once_per_story_revision(server: FeedServer, store: Store) -> None:
    summary_feed(server, ("a1", SUMMARY, "/news/a1"), ("a2", SUMMARY + " More.", "/news/a2"))
    server.set("/news/a1", **html(article_page()))
    server.set("/news/a2", **html(article_page(MAIN_TEXT.replace("Wednesday", "Thursday"))))
    pipeline = Pipeline(make_config(server), store)
    poll(pipeline)
    poll(pipeline)  # the same entries again (no validators: a 200 each time)
    assert len(server.requests_to("/news/a1")) == 1
    summary_feed(
        server, ("a1", SUMMARY + " Updated.", "/news/a1"), ("a2", SUMMARY + " More.", "/news/a2")
    )
    poll(pipeline)  # a1 revised: read again; a2 unchanged
    assert len(server.requests_to("/news/a1")) == 2
    assert len(server.requests_to("/news/a2")) == 1
    assert len(server.requests_to("/robots.txt")) == 1  # kept between polls


def test_requests_to_one_host_are_spaced_by_the_host_delay(
    server: FeedServer, store: Store
) -> None:
    summary_feed(server, *((f"a{i}", SUMMARY + f" {i}.", f"/news/a{i}") for i in range(3)))
    for i in range(3):
        server.set(f"/news/a{i}", **html(article_page(MAIN_TEXT + f" Item {i}.")))
    poll(Pipeline(make_config(server, host_delay=0.3), store))
    starts = sorted(r.received for r in server.requests if r.path.startswith("/news/"))
    assert len(starts) == 3
    assert all(later - earlier >= 0.28 for earlier, later in itertools.pairwise(starts))


def test_robots_txt_disallow_is_honoured(server: FeedServer, store: Store) -> None:
    server.set(
        "/robots.txt", "User-agent: *\nDisallow: /news/\n", headers={"Content-Type": "text/plain"}
    )
    summary_feed(server, ("a1", SUMMARY, "/news/a1"))
    server.set("/news/a1", **html(article_page()))
    report = poll(Pipeline(make_config(server), store))
    assert not server.requests_to("/news/a1")
    assert report.new_stories == 1 and report.failed == 0
    story = story_row(store)
    assert (story["article"], story["article_error"]) == ("", "robots.txt disallows it")
    status = render_text(read_status(store, utc_now()))
    assert "articles: 0 read, 1 not read" in status and "robots.txt disallows it" in status


@pytest.mark.parametrize(
    ("route", "settings", "error"),
    [
        ({"body": "gone", "status": 404}, {}, "HTTP 404"),
        (
            {"body": b"%PDF-1.4 ...", "headers": {"Content-Type": "application/pdf"}},
            {},
            "not an HTML page (application/pdf)",
        ),
        (
            html(article_page(), delay=2.0),
            {"timeout": 0.5},
            "TimeoutError: no complete page in 0.5 s",
        ),
        # Gzipped, the page is small on the wire; the cap is on what it inflates to.
        (
            html(article_page() + " " * 400_000, gzip=True),
            {"max_bytes": 100_000},
            "body exceeds 100000 bytes",
        ),
        (html(article_page("Subscribe to read the rest of this story.")), {}, "too short"),
        (html("<html><body><script>render()</script></body></html>"), {}, "no article text"),
    ],
    ids=["404", "not-html", "slow", "huge", "paywall-stub", "no-text"],
)
def test_an_unreadable_page_is_recorded_and_the_summary_used(
    server: FeedServer, store: Store, route: dict, settings: dict, error: str
) -> None:
    summary_feed(server, ("a1", SUMMARY, "/news/a1"))
    server.set("/news/a1", **route)
    started = time.monotonic()
    report = poll(Pipeline(make_config(server, **settings), store))
    assert time.monotonic() - started < 5
    assert (report.failed, report.story_errors, report.new_stories) == (0, 0, 1)
    story = story_row(store)
    assert story["article"] == "" and story["text"] == SUMMARY
    assert story["article_error"].startswith(error)
    feed = store.db["feeds"].get(server.url("/feed.xml"))
    assert (feed["articles_failed"], feed["last_error"]) == (1, None)  # the feed itself is fine
    assert error in feed["last_article_error"]


def test_a_latin_1_page_without_a_declared_charset_is_read(
    server: FeedServer, store: Store
) -> None:
    main = MAIN_TEXT + " Le ministre français a déploré la décision, a dit Müller à Bruxelles."
    page = article_page(main, charset_meta=False).encode("iso-8859-1")
    summary_feed(server, ("a1", SUMMARY, "/news/a1"))
    server.set("/news/a1", page, headers={"Content-Type": "text/html"})
    poll(Pipeline(make_config(server), store))
    assert "Le ministre français a déploré la décision, a dit Müller" in story_row(store)["article"]


def test_an_entry_carrying_the_whole_story_is_not_fetched(server: FeedServer, store: Store) -> None:
    summary_feed(server, ("a1", MAIN_TEXT + " " + MAIN_TEXT, "/news/a1"))
    server.set("/news/a1", **html(article_page()))
    report = poll(Pipeline(make_config(server), store))
    assert not server.requests_to("/news/a1") and not server.requests_to("/robots.txt")
    assert [p.evidence_from for p, _ in report.recorded] == ["feed"]
    assert story_row(store)["article_error"] is None


@pytest.mark.parametrize(
    ("articles", "relevant_only", "fetched"),
    [("auto", True, False), ("auto", False, True), ("always", True, True)],
)
def test_an_entry_about_no_topic_is_read_only_when_asked(
    server: FeedServer, store: Store, articles: str, relevant_only: bool, fetched: bool
) -> None:
    server.set(
        "/feed.xml",
        rss(
            "Daily Ledger",
            [Item("g1", "Farm subsidies", "Ministers met.", DATE, link=server.url("/news/g1"))],
        ),
    )
    server.set(
        "/news/g1",
        **html(
            article_page(
                "Farm ministers agreed on simpler rules for subsidies. " * 5, title="Farm subsidies"
            )
        ),
    )
    poll(Pipeline(make_config(server, articles=articles, relevant_only=relevant_only), store))
    assert bool(server.requests_to("/news/g1")) is fetched


def test_a_summary_and_another_feed_carrying_the_article_are_one_story(
    server: FeedServer, store: Store
) -> None:
    summary_feed(server, ("a1", SUMMARY, "/news/a1"))
    server.set("/news/a1", **html(article_page()))
    server.set(
        "/wire.xml",
        rss(
            "Wire",
            [
                Item(
                    "w1",
                    TITLE,
                    MAIN_TEXT,
                    "Wed, 11 Jun 2025 19:00:00 GMT",
                    link="https://wire.example/w1",
                )
            ],
        ),
    )
    config = make_config(server)
    config = config.model_copy(
        update={
            "feeds": [
                *config.feeds,
                config.feeds[0].model_copy(
                    update={"url": server.url("/wire.xml"), "articles": "never"}
                ),
            ]
        }
    )
    report = poll(Pipeline(config, store))
    assert (report.new_stories, report.duplicates) == (1, 1)
    assert len(store.stories.sources(story_row(store)["id"])) == 2


def test_the_articles_mode_is_validated() -> None:
    with pytest.raises(
        ConfigError,
        match=r"test: feeds\[0\]\.articles: Input should be 'auto', 'always' or 'never'",
    ):
        config_from_dict(
            {"feeds": [{"url": "https://a.example/f", "articles": "sometimes"}]}, source="test"
        )


def test_extraction_runs_off_the_event_loop(server: FeedServer) -> None:
    """While a huge page is extracted, the loop (the other feeds' polls) keeps running."""
    huge = article_page(" ".join([MAIN_TEXT] * 600))  # about 300 KB of article text
    server.set("/news/huge", **html(huge))
    config = make_config(server, max_bytes=10_000_000)
    story = Story("s1", "f", TITLE, SUMMARY, link=server.url("/news/huge"))

    async def read_while_ticking() -> tuple[Story, float, float]:
        gaps: list[float] = []
        async with make_client(config.fetch) as client:
            reader = ArticleReader(config.articles, config.fetch)
            reading = asyncio.create_task(reader.read(client, story))
            started = last = time.monotonic()
            while not reading.done():
                await asyncio.sleep(0.01)
                now = time.monotonic()
                gaps.append(now - last)
                last = now
            return reading.result(), time.monotonic() - started, max(gaps)

    read, seconds, longest_gap = asyncio.run(read_while_ticking())
    assert read.article_error is None and len(read.article) > 100_000
    assert longest_gap < seconds / 3, (longest_gap, seconds)


@pytest.mark.parametrize(
    ("feed_date", "published"),
    [("", "2025-06-09T00:00:00+00:00"), (DATE, "2025-06-11T18:20:00+00:00")],
    ids=["feed-without-date", "feed-with-date"],
)
def test_the_page_gives_the_date_only_when_the_feed_lacks_one(
    server: FeedServer, store: Store, feed_date: str, published: str
) -> None:
    link = server.url("/news/a1")
    server.set("/feed.xml", rss("Daily Ledger", [Item("a1", TITLE, SUMMARY, feed_date, link)]))
    dated = article_page().replace(
        "</title>", '</title><meta property="article:published_time" content="2025-06-09">', 1
    )
    server.set("/news/a1", **html(dated))
    poll(Pipeline(make_config(server), store))
    story = story_row(store)
    assert "refused to provide air cover" in story["article"]
    assert (story["published"], story["author"]) == (published, "Jane Doe")


def test_history_says_where_the_evidence_came_from_and_why_no_article(
    server: FeedServer, store: Store
) -> None:
    refusal = "The United States refused to provide air cover for the European force."
    summary_feed(server, ("a1", SUMMARY, "/news/a1"), ("a2", refusal, "/news/a2"))
    server.set("/news/a1", **html(article_page()))
    server.set("/news/a2", "gone", status=404)
    poll(Pipeline(make_config(server), store))
    topic = AIR_COVER_TOPIC["id"]
    shown = CliRunner().invoke(cli, ["--db", str(store.path), "history", topic, "--json"])
    assert shown.exit_code == 0, shown.output
    rows = {row["story_id"]: row for row in json.loads(shown.stdout)}
    by_source = {(row["evidence_from"], row["article_error"]) for row in rows.values()}
    assert by_source == {("article", None), ("feed", "HTTP 404")}
    table = CliRunner().invoke(cli, ["--db", str(store.path), "history", topic]).stdout
    assert "(from the article)" in table
    assert "(article not read: HTTP 404;" in " ".join(table.split())
