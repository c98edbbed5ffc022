"""The analyst's view without a browser: the SVG timeline, feed health, search highlighting,
what the pages read, and `watcher serve --token-env` (tests/test_view_browser.py drives the pages
in Chromium)."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from historystore import TOPIC, build_history

from watcher.cli import cli
from watcher.config import FeedSettings
from watcher.history.connection import open_readonly
from watcher.models import Topic
from watcher.store import Store
from watcher.timeutil import to_iso
from watcher.view import data
from watcher.view.style import STANCE_COLOURS
from watcher.view.svg import Lane, Mark, timeline_svg

SVG = "{http://www.w3.org/2000/svg}"
DAY = datetime(2025, 6, 1, tzinfo=UTC)


def lane(*marks: Mark) -> Lane:
    return Lane("US", "United States <&>", marks)


def chart(*marks: Mark, **options: Any) -> ET.Element:
    """The SVG of one lane with ``marks``, parsed (it must be well-formed XML)."""
    return ET.fromstring(timeline_svg([lane(*marks)], **options))


def test_a_shift_is_a_step_between_stance_levels_at_the_shift() -> None:
    svg = chart(
        Mark(DAY, "observing", "baseline"),
        Mark(DAY + timedelta(days=5), "observing", "restated"),
        Mark(DAY + timedelta(days=10), "against", "shift", 7, "open"),
        shift_url=lambda shift_id: f"/-/shift/{shift_id}",
    )
    (step,) = [line for line in svg.iter(f"{SVG}line") if line.get("class") == "step"]
    dots = [c for c in svg.iter(f"{SVG}circle") if "mark" in (c.get("class") or "")]
    assert [dot.get("fill") for dot in dots] == [
        STANCE_COLOURS["observing"],
        STANCE_COLOURS["observing"],
        STANCE_COLOURS["against"],
    ]
    assert step.get("x1") == step.get("x2") == dots[2].get("cx")
    assert float(step.get("y1")) == float(dots[0].get("cy"))  # from the observing level ...
    assert float(step.get("y2")) == float(dots[2].get("cy"))  # ... down to against
    assert float(dots[2].get("cy")) > float(dots[0].get("cy"))  # against lies below
    links = [a.get("href") for a in svg.iter(f"{SVG}a")]
    assert links == ["/-/shift/7"]
    assert "United States <&>" in "".join(svg.itertext())  # names are escaped, not markup


def test_a_rejected_shift_is_crossed_out_and_sets_no_stance() -> None:
    svg = chart(
        Mark(DAY, "observing", "baseline"),
        Mark(DAY + timedelta(days=10), "against", "shift", 7, "rejected"),
    )
    classes = [element.get("class") for element in svg.iter() if element.get("class")]
    assert "step" not in classes
    assert "correction" in classes
    in_force = [line for line in svg.iter(f"{SVG}line") if line.get("class") == "in-force"]
    assert [line.get("data-stance") for line in in_force] == ["observing"]


def test_an_acknowledged_shift_is_ringed_and_stands() -> None:
    svg = chart(
        Mark(DAY, "for", "baseline"),
        Mark(DAY + timedelta(days=3), "against", "shift", 8, "acknowledged"),
    )
    ring = [c for c in svg.iter(f"{SVG}circle") if c.get("class") == "correction"]
    assert len(ring) == 1 and ring[0].get("fill") == "none"
    steps = [line for line in svg.iter(f"{SVG}line") if line.get("class") == "step"]
    assert [(s.get("data-from"), s.get("data-to")) for s in steps] == [("for", "against")]


def test_an_empty_history_is_an_empty_chart() -> None:
    svg = chart(compact=True)
    assert not list(svg.iter(f"{SVG}circle"))


def feed_row(**changes: object) -> dict[str, object]:
    row = {
        "disabled_reason": None,
        "enabled": 1,
        "consecutive_failures": 0,
        "last_polled_at": to_iso(DAY),
        "items_seen": 4,
        "next_poll_at": to_iso(DAY + timedelta(minutes=30)),
        "next_poll_reason": "interval 30m",
    }
    return row | changes


@pytest.mark.parametrize(
    ("changes", "health"),
    [
        ({}, "ok"),
        ({"items_seen": 0}, "empty"),
        ({"last_polled_at": None, "items_seen": 0}, "new"),
        ({"consecutive_failures": 2, "next_poll_reason": "interval 30m"}, "failing"),
        (
            {"consecutive_failures": 2, "next_poll_reason": "backoff after 2 failures"},
            "backing off",
        ),
        ({"next_poll_reason": "Retry-After 1h"}, "backing off"),
        ({"disabled_reason": "HTTP 410 Gone"}, "gone"),
        ({"enabled": 0}, "off"),
    ],
)
def test_feed_health(changes: dict[str, object], health: str) -> None:
    assert data.feed_health(feed_row(**changes), DAY) == health


def test_the_feeds_page_data_redacts_errors(tmp_path: Path) -> None:
    with Store(tmp_path / "w.db") as store:
        url = "https://news.example/rss?token=abcdef123456"
        store.feeds.sync([FeedSettings(url=url, name="News")])
        store.db.execute(
            "UPDATE feeds SET last_error = ?, consecutive_failures = 1, last_polled_at = ?",
            ["HTTP 500 from https://user:pw@news.example/rss?token=abcdef123456", to_iso(DAY)],
        )
    with closing(open_readonly(tmp_path / "w.db")) as connection:
        (feed,) = data.read_feeds(connection, DAY)
    assert feed.health == "failing"
    assert "abcdef123456" not in feed.status.last_error + feed.status.url
    assert "pw@" not in feed.status.last_error


def test_search_hits_are_marked_and_the_rest_escaped() -> None:
    assert data.highlight("a <b> \ue000cover\ue001 & more") == (
        "a &lt;b&gt; <mark>cover</mark> &amp; more"
    )


def test_a_topic_reads_stances_in_force_lanes_and_shifts(tmp_path: Path, demo_topic: Topic) -> None:
    database = build_history(tmp_path / "h.db")
    with closing(open_readonly(database)) as connection:
        topic = data.read_topic(connection, TOPIC, {TOPIC: demo_topic})
        unknown = data.read_topic(connection, "no-such-topic", {})
        ids = data.topic_ids(connection, {})
    assert unknown is None
    assert ids == [TOPIC]  # known from the history alone
    stances = {actor.actor_id: (actor.name, actor.stance) for actor in topic.actors}
    assert stances == {
        "US": ("United States", "against"),
        "UK": ("United Kingdom", "for"),
        "France": ("France", None),
        "Russia": ("Russia", None),
    }
    us = topic.lanes[0]
    assert [(m.stance, m.decision) for m in us.marks] == [
        ("observing", "baseline"),
        ("observing", "restated"),
        ("against", "shift"),
        ("against", "restated"),
    ]
    assert [shift["actor_id"] for shift in topic.shifts] == ["US"]
    assert topic.last_shift["after_stance"] == "against"


def test_the_shift_page_reads_without_writing(tmp_path: Path, demo_topic: Topic) -> None:
    database = build_history(tmp_path / "h.db")
    with closing(open_readonly(database)) as connection:
        shift = data.read_shift(connection, 1, {TOPIC: demo_topic})
        assert data.read_shift(connection, 99, {}) is None
        with pytest.raises(sqlite3.OperationalError):
            connection.execute("DELETE FROM shifts")
    assert (
        shift.alert.summary
        == "United States now refuses air cover for the European force in Ukraine (was: undecided)"
    )
    assert "<del " in shift.alert_html and "Sources (3)" in shift.alert_html
    assert shift.corrections == ()


def test_serve_with_a_missing_token_variable_refuses_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("T_NO_SUCH_TOKEN", raising=False)
    database = build_history(tmp_path / "h.db")
    result = CliRunner().invoke(
        cli, ["--db", str(database), "serve", "--port", "0", "--token-env", "T_NO_SUCH_TOKEN"]
    )
    assert result.exit_code == 2
    assert "T_NO_SUCH_TOKEN is not set" in result.stderr
