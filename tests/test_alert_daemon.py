"""The daemon alerts in event time: two outlets report one shift, the earlier report is served
slowly, and the one alert still names it as the new position and lists both outlets. And its
dispatcher wakes when a digest is due, not only at its regular turn."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import AIR_COVER_TOPIC
from feedserver import FeedServer
from rss import Item, rss
from test_daemon import Daemon, settings

from watcher.config import load_config
from watcher.positions_file import import_positions, load_positions
from watcher.store import Store

FIRST_HAND = Item(
    "gazette-1",
    "US refuses air cover for European force in Ukraine",
    "The White House said on Wednesday it has refused to provide air cover for the Coalition "
    "of the Willing in Ukraine.",
    "Wed, 11 Jun 2025 18:05:00 GMT",
)
SECOND_HAND = Item(
    "digest-1",
    "Report: US will not give air cover",
    "The United States has refused to provide air cover for the Coalition of the Willing, "
    "according to a report by a news agency.",
    "Wed, 11 Jun 2025 21:10:00 GMT",
)
BASELINE = """
[[positions]]
topic = "air-cover"
actor = "US"
stance = "observing"
as_of = 2025-06-01
evidence = ["The White House has not ruled out air cover."]
source = "desk notes"
"""


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    process = Daemon(tmp_path)
    yield process
    process.kill()


@pytest.mark.slow
def test_the_earlier_report_served_slowly_is_the_alert_s_new_position(
    daemon: Daemon, server: FeedServer, tmp_path: Path
) -> None:
    server.set("/gazette.xml", rss("Gazette", [FIRST_HAND]), delay=1)
    server.set("/digest.xml", rss("Digest", [SECOND_HAND]))
    alerts = tmp_path / "alerts.jsonl"
    configure(daemon, server, tmp_path, alerts, ("gazette", "digest"), {"settle": "3s"}, "")
    daemon.start()
    daemon.wait_for(lambda: alerts.exists() and alerts.read_text(), "the alert", timeout=15)
    time.sleep(1.2)  # one more dispatch pass: nothing else goes out
    code, _ = daemon.stop()
    assert code == 0, daemon.tail()

    [alert] = [json.loads(line) for line in alerts.read_text().splitlines()]
    assert alert["after"]["published"] == "2025-06-11T18:05:00+00:00"
    assert "refused to provide air cover" in " ".join(alert["after"]["evidence"])
    assert [s["outlet"] for s in alert["sources"]] == ["gazette", "digest"]
    assert [s["second_hand"] for s in alert["sources"]] == [False, True]
    # the digest's report was recorded first: the slow feed's arrival moved the evidence
    recorded = daemon.query(
        "SELECT p.decision FROM positions p JOIN story_sources s ON s.story_id = p.story_id "
        "ORDER BY p.id"
    )
    assert [row["decision"] for row in recorded] == ["restated", "shift"]
    assert daemon.query("SELECT COUNT(*) FROM shifts")[0][0] == 1


def configure(
    daemon: Daemon,
    server: FeedServer,
    tmp_path: Path,
    alerts: Path,
    feeds: tuple[str, ...],
    settings_alerts: dict[str, str],
    channel: str,
    dispatch_interval: float = 1,
) -> None:
    """The daemon's config (the feeds by name, one JSON-lines channel) and the US baseline."""
    topic = AIR_COVER_TOPIC
    daemon.config.write_text(
        settings(
            fetch={"timeout": 5, "default_interval": 60},
            alerts=settings_alerts,
            daemon={"dispatch_interval": dispatch_interval},
        )
        + "".join(
            f'\n[[feeds]]\nurl = "{server.url(f"/{name}.xml")}"\nname = "{name}"\n'
            for name in feeds
        )
        + f'\n[[alerts.channels]]\ntype = "jsonl"\npath = "{alerts}"\n{channel}'
        + f"\n[[topics]]\nid = {json.dumps(topic['id'])}\nclaim = {json.dumps(topic['claim'])}\n"
        + f"terms = {json.dumps(topic['terms'])}\n"
        + '[[topics.actors]]\nid = "US"\naliases = ["United States", "White House"]\n',
        encoding="utf-8",
    )
    (tmp_path / "baseline.toml").write_text(BASELINE, encoding="utf-8")
    topics = {t.id: t for t in load_config(daemon.config).topic_list()}
    with Store(daemon.db) as store:  # what `watcher positions import` does, without a process
        import_positions(store, load_positions(tmp_path / "baseline.toml", topics))


@pytest.mark.slow
def test_a_digest_shorter_than_the_dispatch_interval_goes_out_on_time(
    daemon: Daemon, server: FeedServer, tmp_path: Path
) -> None:
    server.set("/gazette.xml", rss("Gazette", [FIRST_HAND]))
    alerts = tmp_path / "alerts.jsonl"
    configure(daemon, server, tmp_path, alerts, ("gazette",), {"settle": "0"}, 'digest = "2s"\n',
              dispatch_interval=60)  # fmt: skip
    daemon.start()
    started = time.monotonic()
    daemon.wait_for(lambda: alerts.exists() and alerts.read_text(), "the digest", timeout=15)
    assert time.monotonic() - started < 10  # not at the next turn, a minute later
    daemon.stop()
