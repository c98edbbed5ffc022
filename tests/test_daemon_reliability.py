"""The daemon under load, as a real subprocess: no lost story, no stalled loop.

Both tests run ``watcher run`` for half a minute or so against feeds on 127.0.0.1, with the
dispatcher and the heartbeat active, and read its database from here while it writes.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import AIR_COVER_TOPIC
from feedserver import FeedServer
from rss import Item, rss
from test_daemon import WATCHER, Daemon, feed, feeds_toml, settings

DATE = "Wed, 11 Jun 2025 18:{:02d}:{:02d} GMT"
REFUSES = "The United States has refused to provide air cover for the European force."
COMMITS = "The United States will provide air cover for the European force in Ukraine."


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    process = Daemon(tmp_path)
    yield process
    process.kill()


def topic_toml() -> str:
    actors = "".join(
        f'[[topics.actors]]\nid = "{a["id"]}"\naliases = {a["aliases"]!r}\n'.replace("'", '"')
        for a in AIR_COVER_TOPIC["actors"]
    )
    terms = str(AIR_COVER_TOPIC["terms"]).replace("'", '"')
    return (
        f'\n[[topics]]\nid = "{AIR_COVER_TOPIC["id"]}"\nclaim = "{AIR_COVER_TOPIC["claim"]}"\n'
        f"terms = {terms}\n{actors}"
    )


def growing_items(count: int) -> list[Item]:
    """Statements by the US that flip back and forth: every new one is a shift to alert on."""
    return [
        Item(f"g{n}", f"Update {n}", f"{(REFUSES, COMMITS)[n % 2]} Update {n}.", dated(n))
        for n in range(count)
    ]


def dated(n: int) -> str:
    return DATE.format(n // 60 % 60, n % 60)


def window_items(start: int, size: int = 2_000) -> list[Item]:
    """A busy wire feed: 2,000 stories, a few new ones at the top of each version."""
    return [
        Item(f"w{n}", f"Wire story {n}", f"Wire story {n} on farm subsidies.", DATE.format(0, 0))
        for n in range(start, start + size)
    ]


@pytest.mark.slow
def test_a_busy_daemon_with_a_poll_beside_it_loses_no_story_to_locking(
    daemon: Daemon, server: FeedServer
) -> None:
    growing, wire = server.url("/growing.xml"), server.url("/wire.xml")
    alerts = daemon.dir / "alerts.jsonl"
    daemon.config.write_text(
        settings(
            fetch={"default_interval": 2, "max_bytes": 20_000_000, "timeout": 10},
            daemon={"heartbeat_interval": 0.1, "dispatch_interval": 0.5},
        )
        + f'\n[alerts]\nsettle = 0\n[[alerts.channels]]\ntype = "jsonl"\npath = "{alerts}"\n'
        + feeds_toml(growing, wire)
        + topic_toml(),
        encoding="utf-8",
    )
    served = {"growing": 1, "wire": 0}
    server.set("/growing.xml", rss("Growing", growing_items(1)))
    server.set("/wire.xml", rss("Wire", window_items(0)))
    stop = threading.Event()

    def publish() -> None:  # the feeds change under the daemon, as real ones do
        while not stop.wait(0.5):
            served["growing"] += 1
            served["wire"] += 7
            server.set("/growing.xml", rss("Growing", growing_items(served["growing"])))
            server.set("/wire.xml", rss("Wire", window_items(served["wire"])))

    publisher = threading.Thread(target=publish, daemon=True)
    daemon.start()
    publisher.start()
    poll_once = [WATCHER, "-c", str(daemon.config), "--db", str(daemon.db), "poll", "--once"]
    beside = []
    started = time.monotonic()
    try:
        while time.monotonic() - started < 30:  # `watcher poll --once` on the database meanwhile
            beside.append(subprocess.run(poll_once, capture_output=True, text=True, timeout=60))
            time.sleep(1)
    finally:
        stop.set()
        publisher.join()

    def count(sql: str, *params: object) -> int:
        return daemon.query(sql, *params)[0][0]

    recorded = "SELECT COUNT(DISTINCT guid) FROM story_sources WHERE feed_url = ?"
    daemon.wait_for(lambda: count(recorded, growing) == served["growing"], "every story", 30)
    unsent = "SELECT COUNT(*) FROM deliveries WHERE status = 'pending'"
    daemon.wait_for(lambda: count(unsent) == 0, "every alert sent", 30)
    code, _ = daemon.stop()

    assert code == 0, daemon.tail()
    outputs = daemon.log_text() + "".join(done.stderr for done in beside)
    assert "database is locked" not in outputs
    assert all(done.returncode == 0 for done in beside), beside[-1].stderr
    assert len(beside) >= 3
    assert "not recorded" not in outputs
    assert count("SELECT COUNT(*) FROM feed_errors") == 0
    shifts = count("SELECT COUNT(*) FROM shifts")
    assert shifts >= 10  # the dispatcher had work, writing beside the ingest
    assert count("SELECT COUNT(*) FROM deliveries WHERE status = 'sent'") == shifts
    assert count("SELECT COUNT(*) FROM story_sources WHERE feed_url = ?", wire) >= 2_000 + 70


def heartbeat_age(daemon: Daemon) -> float:
    beat = daemon.heartbeat()
    assert beat is not None
    return (datetime.now(UTC) - datetime.fromisoformat(beat["beat_at"])).total_seconds()


@pytest.mark.slow
def test_a_huge_feed_neither_stalls_the_heartbeat_nor_delays_sigterm(
    daemon: Daemon, server: FeedServer
) -> None:
    big = [Item(f"b{n}", f"Story {n}", f"Text of story {n}, one of very many.", DATE.format(0, 0))
           for n in range(40_000)]  # fmt: skip
    server.set("/big.xml", rss("Big", big))
    server.set("/small.xml", feed("s1"), etag='"s1"')
    grace = 2.0
    daemon.config.write_text(
        settings(
            fetch={"max_bytes": 50_000_000, "timeout": 30, "default_interval": 1},
            daemon={"shutdown_grace": grace, "heartbeat_interval": 0.5, "stale_after": 3},
        )
        + feeds_toml(server.url("/big.xml"), server.url("/small.xml")),
        encoding="utf-8",
    )
    daemon.start()
    daemon.wait_for(lambda: server.requests_to("/big.xml"), "the big feed's request")
    ages, small_polls = [], len(server.requests_to("/small.xml"))

    def stories() -> int:
        return daemon.query("SELECT COUNT(*) FROM stories")[0][0]

    # Through the parse and the first few thousand stories recorded, and long enough for the
    # other feed (interval 1 s) to come due a few times whatever this machine's speed:
    started = time.monotonic()
    deadline = started + 60
    while (stories() < 3_000 or time.monotonic() - started < 3) and time.monotonic() < deadline:
        ages.append(heartbeat_age(daemon))
        time.sleep(0.1)
    watched = time.monotonic() - started
    recorded = stories()
    assert 3_000 <= recorded < 40_000, "the ingest must still be running for the test to tell"
    small_polls = len(server.requests_to("/small.xml")) - small_polls
    assert max(ages) < 2.0, f"heartbeat {max(ages):.1f} s old while the big feed was ingested"
    # Due about once a second: at least half of those polls, however fast the ingest went.
    assert small_polls >= watched / 2, f"{small_polls} polls of the other feed in {watched:.1f} s"

    code, seconds = daemon.stop(timeout=60)
    assert code == 0, daemon.tail()
    assert seconds < grace + 2.0, f"SIGTERM took {seconds:.1f} s with shutdown_grace {grace} s"
    # What was recorded stays; unless every story was, the big feed's validators were not
    # stored, so the next start fetches it again for the rest.
    assert daemon.query("PRAGMA integrity_check")[0][0] == "ok"
    assert stories() >= recorded
    if stories() < len(big) + 1:  # interrupted (a fast machine may have finished meanwhile)
        assert daemon.feed(server.url("/big.xml"))["body_hash"] is None
