"""End to end over a real HTTP server on 127.0.0.1 and a real SQLite file.

First poll: a baseline. Unchanged second poll (304): nothing downstream. Changed feed: exactly
one shift. The same stance re-worded by another outlet: no new shift.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from conftest import AIR_COVER_TOPIC
from feedserver import FeedServer
from rss import Item, rss

from watcher import pipeline as pipeline_module
from watcher.config import Config, config_from_dict
from watcher.pipeline import Pipeline
from watcher.stance.decide import engine
from watcher.stance.reading import read_sentence, read_text
from watcher.store import Store

OPEN = Item(
    "wire-1",
    "Washington weighs air cover for a European force in Ukraine",
    "The White House has not ruled out providing air cover for the Coalition of the Willing, "
    "but US officials said no decision had been made.",
    "Mon, 03 Mar 2025 09:00:00 GMT",
)
REFUSAL = Item(
    "wire-2",
    "US refuses to provide air cover for European force in Ukraine",
    "The United States has refused to provide air cover as a security guarantee for the "
    "European reassurance force, officials said.",
    "Wed, 11 Jun 2025 18:00:00 GMT",
)
REFUSAL_REWORDED = Item(
    "other-2",
    "Washington turns down European request for air defence backstop",
    "Washington will not give air defence to the force Britain and France plan to send to "
    "Ukraine, European officials said.",
    "Thu, 12 Jun 2025 07:00:00 GMT",
)
UNRELATED = Item(
    "other-1",
    "Farm subsidy rules simplified",
    "The European Commission proposed simpler rules for farm subsidies after months of protests.",
    "Fri, 28 Feb 2025 11:00:00 GMT",
)


def make_config(server: FeedServer, tmp_path: Path) -> Config:
    return config_from_dict(
        {
            "watcher": {"database": str(tmp_path / "w.db")},
            "feeds": [{"url": server.url("/wire.xml")}, {"url": server.url("/other.xml")}],
            "alerts": {"channels": [{"type": "jsonl", "path": str(tmp_path / "alerts.jsonl")}]},
            "topics": [AIR_COVER_TOPIC],
        },
        source="test",
    )


def test_poll_baseline_then_304_then_one_shift_then_no_shift_for_a_rewording(
    server: FeedServer, tmp_path: Path
) -> None:
    config = make_config(server, tmp_path)
    server.set("/wire.xml", rss("Wire", [OPEN]), etag='"w1"')
    server.set("/other.xml", rss("Other", [UNRELATED]), etag='"o1"')
    with Store(config.watcher.database) as store:
        pipeline = Pipeline(config, store)

        first = asyncio.run(pipeline.poll())
        assert first.new_stories == 2
        assert [(p.actor_id, p.stance.value, d.decision.value) for p, d in first.recorded] == [
            ("US", "observing", "baseline")
        ]
        assert first.shift_ids == []

        second = asyncio.run(pipeline.poll())
        assert (second.unchanged, second.new_stories, second.positions) == (2, 0, 0)
        assert server.requests_to("/wire.xml")[-1].headers["if-none-match"] == '"w1"'

        server.set("/wire.xml", rss("Wire", [REFUSAL, OPEN]), etag='"w2"')
        third = asyncio.run(pipeline.poll())
        assert third.new_stories == 1 and third.unchanged == 1
        assert len(third.shift_ids) == 1
        shift = store.positions.shift(third.shift_ids[0])
        assert (shift["actor_id"], shift["before_stance"], shift["after_stance"]) == (
            "US",
            "observing",
            "against",
        )

        server.set("/other.xml", rss("Other", [REFUSAL_REWORDED, UNRELATED]), etag='"o2"')
        fourth = asyncio.run(pipeline.poll())
        assert [(p.stance.value, d.decision.value) for p, d in fourth.recorded] == [
            ("against", "restated")
        ]
        assert fourth.shift_ids == []
        assert len(store.positions.shifts()) == 1

        pipeline.dispatch()
        alerts = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
        assert [(a["actor"], a["before"]["stance"], a["after"]["stance"]) for a in alerts] == [
            ("US", "observing", "against")
        ]
        assert alerts[0]["sources"][0]["link"] == "https://news.example/wire-2"


def test_a_poll_killed_before_its_stories_are_recorded_loses_none(
    server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(server, tmp_path)
    server.set("/wire.xml", rss("Wire", [OPEN]), etag='"w1"')
    server.set("/other.xml", rss("Other", [UNRELATED]), etag='"o1"')

    def killed(self: Pipeline, story: object) -> None:
        raise KeyboardInterrupt  # as a SIGINT or a crash would, between fetch and record

    with Store(config.watcher.database) as store, monkeypatch.context() as patched:
        patched.setattr(Pipeline, "_record_story", killed)
        with pytest.raises(KeyboardInterrupt):
            asyncio.run(Pipeline(config, store).poll())
    with Store(config.watcher.database) as store:
        report = asyncio.run(Pipeline(config, store).poll())
        assert "if-none-match" not in server.requests_to("/wire.xml")[-1].headers
        assert (report.unchanged, report.new_stories, report.positions) == (0, 2, 1)
        assert store.feeds.state(server.url("/wire.xml")).etag == '"w1"'


def test_no_story_text_stays_in_memory_after_a_poll(server: FeedServer, tmp_path: Path) -> None:
    config = make_config(server, tmp_path)
    server.set("/wire.xml", rss("Wire", [OPEN, REFUSAL]))
    server.set("/other.xml", rss("Other", [UNRELATED]))
    with Store(config.watcher.database) as store:
        report = asyncio.run(Pipeline(config, store).poll())
    assert report.positions == 2  # the stance engine did read the stories
    assert read_text.cache_info().currsize == 0
    assert read_sentence.cache_info().currsize == 0
    assert engine().extractor.cached == 0


def test_the_same_story_in_two_feeds_is_one_story_with_two_sources(
    server: FeedServer, tmp_path: Path
) -> None:
    config = make_config(server, tmp_path)
    syndicated = Item(REFUSAL.guid + "-copy", REFUSAL.title, REFUSAL.text, REFUSAL.date)
    server.set("/wire.xml", rss("Wire", [OPEN, REFUSAL]))
    server.set("/other.xml", rss("Other", [syndicated]))
    with Store(config.watcher.database) as store:
        report = asyncio.run(Pipeline(config, store).poll())
        assert (report.new_stories, report.duplicates) == (2, 1)
        assert len(report.shift_ids) == 1
        story_id = store.positions.get(
            store.positions.shift(report.shift_ids[0])["after_position_id"]
        ).story_id
        assert {s["feed_url"] for s in store.stories.sources(story_id)} == {
            server.url("/wire.xml"),
            server.url("/other.xml"),
        }


def test_a_failing_and_a_malformed_feed_never_stop_the_others(
    server: FeedServer, tmp_path: Path
) -> None:
    config = make_config(server, tmp_path)
    # A bare "&" is not XML: feedparser falls back to its loose parser and keeps the entry.
    server.set(
        "/wire.xml",
        '<rss version="2.0"><channel><title>W</title><item><guid>g1</guid>'
        "<title>Guns & butter budget passes</title></item></channel></rss>",
    )
    server.set("/other.xml", "", status=500)
    with Store(config.watcher.database) as store:
        report = asyncio.run(Pipeline(config, store).poll())
        assert (report.failed, report.feed_errors) == (1, 1)
        feeds = {row["url"]: row for row in store.feeds.all()}
        assert feeds[server.url("/other.xml")]["last_error"] == "HTTP 500"
        assert feeds[server.url("/wire.xml")]["last_error"].startswith("SAXParseException")
        assert feeds[server.url("/wire.xml")]["items_seen"] == 1  # what could be read is kept


def test_a_story_that_fails_is_recorded_and_the_poll_goes_on(
    server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(server, tmp_path)
    server.set("/wire.xml", rss("Wire", [OPEN, REFUSAL]), etag='"w1"')
    server.set("/other.xml", rss("Other", [UNRELATED]), etag='"o1"')

    def explode_on_refusals(topic, story, match, stance=None):
        if "refused" in story.text:
            raise RuntimeError("stance engine bug")
        return real_positions(topic, story, match, stance)

    real_positions = pipeline_module.actor_positions
    monkeypatch.setattr(pipeline_module, "actor_positions", explode_on_refusals)
    with Store(config.watcher.database) as store:
        report = asyncio.run(Pipeline(config, store).poll())
        assert (report.new_stories, report.story_errors) == (2, 1)
        errors = store.feeds.errors(server.url("/wire.xml"))
        assert [(e["stage"], e["message"]) for e in errors] == [
            ("process", "RuntimeError: stance engine bug")
        ]
        # the failed story's transaction rolled back; its feed's validators were not stored, so
        # the next poll fetches it again and the story gets another chance
        assert store.stories.count() == 2
        assert store.feeds.state(server.url("/wire.xml")).etag is None
        assert store.feeds.state(server.url("/other.xml")).etag == '"o1"'
        monkeypatch.setattr(pipeline_module, "actor_positions", real_positions)
        again = asyncio.run(Pipeline(config, store).poll())
        assert (again.new_stories, again.duplicates, again.story_errors) == (1, 1, 0)
        assert len(again.shift_ids) == 1
