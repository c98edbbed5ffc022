"""``watcher run`` as a real subprocess against feeds served on 127.0.0.1.

Intervals are a second or so, so a few seconds of daemon life show the schedule at work. Nothing
is mocked: the daemon is the installed ``watcher`` command, the feeds a real HTTP server, the
database a real SQLite file read from here while the daemon writes it.
"""

from __future__ import annotations

import itertools
import json
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from feedserver import FeedServer
from rss import Item, rss

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
WATCHER = str(Path(sys.executable).with_name("watcher"))
DATE = "Wed, 11 Jun 2025 18:20:00 GMT"
CONTACT = "ops@desk.example"


def feed(*guids: str) -> str:
    """A small RSS feed (no <ttl>) with one item per guid."""
    return rss("Wire", [Item(g, f"Story {g}", f"Text of story {g}.", DATE) for g in guids])


def settings(**sections: dict[str, Any]) -> str:
    """TOML for the daemon's fast test settings, with ``sections`` merged over them."""
    base: dict[str, dict[str, Any]] = {
        "daemon": {
            "dispatch_interval": 1,
            "heartbeat_interval": 0.5,
            "stale_after": 5,
            "shutdown_grace": 1,
        },
        "fetch": {
            "default_interval": 1,
            "jitter": 0.1,
            "timeout": 1,
            "per_host_concurrency": 8,
            "contact": CONTACT,
            "max_feed_hint": 1,  # the seed feeds ask for 30 minutes
        },
    }
    for name, values in sections.items():
        base[name] = base.get(name, {}) | values
    return "\n".join(
        f"[{name}]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())
        for name, values in base.items()
    )


def feeds_toml(*urls: str) -> str:
    return "".join(f'\n[[feeds]]\nurl = "{url}"\n' for url in urls)


class Daemon:
    """One ``watcher run`` process with its config, database and log in a directory."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.config = directory / "watcher.toml"
        self.db = directory / "watcher.db"
        self.log = directory / "daemon.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *args: str) -> Daemon:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [WATCHER, "-c", str(self.config), "--db", str(self.db), "run", *args],
                cwd=self.dir,
                stdout=log,
                stderr=log,
            )
        self.wait_for(lambda: self.heartbeat() is not None, "the first heartbeat")
        return self

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def query(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        with sqlite3.connect(self.db, timeout=10) as db:
            db.row_factory = sqlite3.Row
            return db.execute(sql, params).fetchall()

    def heartbeat(self) -> sqlite3.Row | None:
        if not self.db.exists():
            return None
        try:
            rows = self.query("SELECT * FROM daemon_heartbeat")
        except sqlite3.OperationalError:  # not migrated yet
            return None
        return rows[0] if rows else None

    def feed(self, url: str) -> sqlite3.Row:
        return self.query("SELECT * FROM feeds WHERE url = ?", url)[0]

    def status(self) -> dict[str, Any]:
        done = subprocess.run(
            [WATCHER, "--db", str(self.db), "status", "--json"], capture_output=True, text=True
        )
        return json.loads(done.stdout) | {"exit_code": done.returncode}

    def send(self, sig: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 10) -> tuple[int, float]:
        """Send ``sig``; return the exit code and the seconds it took to exit."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(sig)
        code = self.process.wait(timeout)
        return code, time.monotonic() - started

    def wait_for(self, condition: Callable[[], object], what: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process is not None and self.process.poll() is not None:
                pytest.fail(
                    f"daemon exited ({self.process.returncode}) before {what}:\n{self.tail()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}:\n{self.tail()}")
            time.sleep(0.05)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    process = Daemon(tmp_path)
    yield process
    process.kill()


def gaps(server: FeedServer, path: str) -> list[float]:
    """Seconds between successive requests for ``path``."""
    times = [request.received for request in server.requests_to(path)]
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- politeness: every kind of feed at once -------------------------------------------------------


def test_each_feed_gets_its_behaviour_while_healthy_feeds_stay_on_time(
    daemon: Daemon, server: FeedServer
) -> None:
    server.set("/changing.xml", feed("c1"), etag='"c1"')
    server.set("/static.xml", feed("s1"), etag='"s1"')
    server.set("/500.xml", "oops", status=500)
    server.set("/slow.xml", feed("x1"), delay=5)  # the timeout is 1 s
    server.set("/429.xml", "slow down", status=429, headers={"Retry-After": "3"})
    server.set("/big.xml", feed(*(f"b{n}" for n in range(400))))  # over max_bytes
    server.set("/new.xml", feed("n1"))
    server.redirect("/old.xml", "/new.xml", status=301)
    server.set("/gone.xml", "gone", status=410)
    paths = ["/changing.xml", "/static.xml", "/500.xml", "/slow.xml", "/429.xml", "/big.xml",
             "/old.xml", "/gone.xml"]  # fmt: skip
    url = {path: server.url(path) for path in [*paths, "/new.xml"]}
    port = unused_port()
    daemon.config.write_text(
        settings(fetch={"max_bytes": 20_000, "max_feed_hint": 60}, daemon={"metrics_port": port})
        + feeds_toml(*(url[p] for p in paths)),
        encoding="utf-8",
    )
    daemon.start()
    started = time.monotonic()
    daemon.wait_for(lambda: daemon.feed(url["/changing.xml"])["items_seen"] == 1, "first poll")
    server.set("/changing.xml", feed("c1", "c2"), etag='"c2"')
    daemon.wait_for(lambda: daemon.feed(url["/changing.xml"])["items_seen"] == 2, "the new item")
    time.sleep(max(0.0, 6.5 - (time.monotonic() - started)))
    status = daemon.status()
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    code, _ = daemon.stop()
    assert code == 0, daemon.tail()

    feeds = {f["url"]: f for f in status["feeds"]}
    assert status["exit_code"] == 0 and status["healthy"]

    # Healthy feeds: polled every second (plus jitter), never sooner, despite the others.
    static_gaps = gaps(server, "/static.xml")
    assert len(static_gaps) >= 4, static_gaps
    assert all(0.95 <= gap <= 2.0 for gap in static_gaps), static_gaps
    # Unchanged: conditional GET answered 304, nothing new downstream.
    later = server.requests_to("/static.xml")[1:]
    assert all(r.headers.get("if-none-match") == '"s1"' for r in later)
    assert feeds[url["/static.xml"]]["items_seen"] == 1
    assert (
        daemon.query("SELECT COUNT(*) FROM story_sources WHERE feed_url = ?", url["/static.xml"])[
            0
        ][0]
        == 1
    )
    assert feeds[url["/static.xml"]]["last_status"] == 304
    # Every request names the project and the operator's contact.
    assert all(CONTACT in r.headers["user-agent"] for r in server.requests)
    assert all(r.headers["user-agent"].startswith("watcher/") for r in server.requests)

    # 500: backs off exponentially (1 s, then 2 s ...), recorded.
    failing = feeds[url["/500.xml"]]
    assert failing["health"] == "failing" and failing["last_error"] == "HTTP 500"
    assert failing["consecutive_failures"] >= 2
    assert "backoff after" in failing["next_poll_reason"]
    backoff = gaps(server, "/500.xml")
    assert len(backoff) >= 2 and backoff[0] >= 0.95 and backoff[1] >= 1.9, backoff

    # A response slower than the timeout is a recorded failure.
    slow = feeds[url["/slow.xml"]]
    assert slow["last_error"].startswith("TimeoutError") and slow["consecutive_failures"] >= 2

    # 429 with Retry-After: 3 is not asked again for 3 seconds.
    limited = feeds[url["/429.xml"]]
    assert limited["last_error"] == "HTTP 429"
    assert "429.xml: failed (HTTP 429); next poll at" in daemon.log_text()
    assert "(Retry-After 3s)" in daemon.log_text()
    assert all(gap >= 3.0 for gap in gaps(server, "/429.xml")), gaps(server, "/429.xml")
    assert 2 <= len(server.requests_to("/429.xml")) <= 3

    # An oversized body is a recorded failure.
    assert feeds[url["/big.xml"]]["last_error"] == "body exceeds 20000 bytes"

    # 301: the feed moved; it is polled at its new address, under its configured URL.
    moved = feeds[url["/old.xml"]]
    assert moved["location"] == url["/new.xml"] and moved["health"] == "ok"
    assert len(server.requests_to("/old.xml")) == 1
    assert len(server.requests_to("/new.xml")) >= 4

    # 410: disabled after one request, and status says why.
    gone = feeds[url["/gone.xml"]]
    assert gone["health"] == "disabled" and "410 Gone" in gone["disabled_reason"]
    assert gone["next_poll_at"] is None
    assert len(server.requests_to("/gone.xml")) == 1
    log = daemon.log_text()
    assert "gone.xml disabled: HTTP 410 Gone" in log
    assert "old.xml moved permanently to" in log

    # The metrics endpoint counted the same story.
    assert 'watcher_polls_total{outcome="gone"} 1.0' in metrics
    assert "watcher_stories_total 4.0" in metrics  # c1, c2, s1, n1
    assert f'watcher_fetch_errors_total{{feed="{url["/500.xml"]}"}}' in metrics
    assert "watcher_fetch_seconds_count" in metrics


# --- stories and shifts, end to end -------------------------------------------------------------


def test_changing_feeds_produce_stories_shifts_and_alerts(
    daemon: Daemon, server: FeedServer
) -> None:
    """The demo scenario through the daemon: March, April, then June yields the US shift."""
    snapshots = sorted(p for p in (SEEDS / "snapshots").iterdir() if p.is_dir())
    names = sorted({p.name for snapshot in snapshots for p in snapshot.glob("*.xml")})
    demo = (SEEDS / "demo.toml").read_text(encoding="utf-8")
    daemon.config.write_text(
        settings(alerts={"settle": "1s"})
        + feeds_toml(*(server.url(f"/{n}") for n in names))
        + demo,
        encoding="utf-8",
    )
    imported = subprocess.run(
        [WATCHER, "-c", str(daemon.config), "--db", str(daemon.db), "positions", "import",
         str(SEEDS / "positions.toml")],
        capture_output=True, text=True, cwd=daemon.dir,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr

    def show(snapshot: Path) -> None:
        for name in names:
            if (snapshot / name).exists():
                server.set(f"/{name}", (snapshot / name).read_bytes(), etag=f'"{snapshot.name}"')

    def polled_since(count: int) -> Callable[[], bool]:
        return lambda: all(len(server.requests_to(f"/{n}")) > count for n in names)

    show(snapshots[0])
    daemon.start()
    for snapshot in snapshots[1:]:
        seen = min(len(server.requests_to(f"/{n}")) for n in names)
        show(snapshot)
        daemon.wait_for(polled_since(seen), f"a poll of {snapshot.name}")
    daemon.wait_for(lambda: daemon.query("SELECT COUNT(*) FROM shifts")[0][0] > 0, "a shift")
    alerts = daemon.dir / "alerts.jsonl"
    daemon.wait_for(lambda: alerts.exists() and alerts.read_text().strip(), "the alert")
    code, _ = daemon.stop()
    assert code == 0

    shifts = daemon.query("SELECT actor_id, before_stance, after_stance FROM shifts")
    assert [tuple(s) for s in shifts] == [("US", "observing", "against")]
    (alert,) = [json.loads(line) for line in alerts.read_text().splitlines()]
    assert alert["actor"] == "US"
    assert daemon.query("SELECT COUNT(*) FROM stories")[0][0] >= 5


# --- stopping -----------------------------------------------------------------------------------


def test_sigterm_during_a_poll_exits_cleanly_and_a_restart_continues(
    daemon: Daemon, server: FeedServer
) -> None:
    slow, fast, many = server.url("/slow.xml"), server.url("/fast.xml"), server.url("/many.xml")
    server.set("/slow.xml", feed("s1"), delay=30)
    server.set("/fast.xml", feed("f1", "f2"), etag='"f"')
    items = [f"m{n}" for n in range(150)]
    server.set("/many.xml", feed(*items), delay=0.5)
    daemon.config.write_text(
        settings(fetch={"timeout": 20, "default_interval": 2}) + feeds_toml(slow, fast, many),
        encoding="utf-8",
    )
    daemon.start()
    daemon.wait_for(lambda: server.requests_to("/slow.xml"), "the slow feed's request")
    daemon.wait_for(lambda: daemon.feed(fast)["items_seen"] == 2, "the fast feed")
    # Stop while /many.xml is being answered and /slow.xml hangs: both polls are in flight.
    seen = len(server.requests_to("/many.xml"))
    daemon.wait_for(lambda: len(server.requests_to("/many.xml")) > seen, "a poll of /many.xml")
    code, seconds = daemon.stop()
    assert code == 0, daemon.tail()
    assert seconds < 4, seconds  # shutdown_grace is 1 s
    assert "watcher daemon stopped" in daemon.log_text()

    # Consistent: nothing half-written, whatever was in flight.
    assert daemon.query("PRAGMA integrity_check")[0][0] == "ok"
    assert daemon.query("PRAGMA foreign_key_check") == []
    orphans = daemon.query(
        "SELECT COUNT(*) FROM stories s WHERE NOT EXISTS "
        "(SELECT 1 FROM story_sources x WHERE x.story_id = s.id) OR NOT EXISTS "
        "(SELECT 1 FROM story_keys k WHERE k.story_id = s.id)"
    )
    assert orphans[0][0] == 0
    stored = daemon.query("SELECT COUNT(*) FROM story_sources WHERE feed_url = ?", many)[0][0]
    assert stored == daemon.feed(many)["items_seen"]
    assert daemon.feed(slow)["last_polled_at"] is None  # abandoned: nothing recorded
    assert daemon.heartbeat()["state"] == "stopped"
    assert daemon.status()["exit_code"] == 1  # a stopped daemon is not healthy

    # Restart: the abandoned poll is due at once; known stories are not stored twice.
    server.set("/slow.xml", feed("s1"))
    daemon.start()
    daemon.wait_for(lambda: daemon.feed(slow)["items_seen"] == 1, "the slow feed after restart")
    daemon.wait_for(lambda: daemon.feed(many)["items_seen"] == len(items), "every item of /many")
    fast_requests = len(server.requests_to("/fast.xml"))
    daemon.wait_for(lambda: len(server.requests_to("/fast.xml")) > fast_requests, "a fast poll")
    code, _ = daemon.stop()
    assert code == 0
    assert server.requests_to("/fast.xml")[-1].headers.get("if-none-match") == '"f"'
    assert daemon.feed(fast)["items_seen"] == 2
    assert daemon.query("SELECT COUNT(*) FROM stories")[0][0] == 1 + 2 + len(items)


def test_a_second_signal_abandons_in_flight_work_at_once(
    daemon: Daemon, server: FeedServer
) -> None:
    server.set("/slow.xml", feed("s1"), delay=30)
    daemon.config.write_text(
        settings(fetch={"timeout": 25}, daemon={"shutdown_grace": 20})
        + feeds_toml(server.url("/slow.xml")),
        encoding="utf-8",
    )
    daemon.start()
    daemon.wait_for(lambda: server.requests_to("/slow.xml"), "the slow request")
    started = time.monotonic()
    daemon.send(signal.SIGTERM)  # would wait up to 20 s for the slow poll ...
    daemon.wait_for(lambda: "waiting up to 20s for 1 jobs in flight" in daemon.log_text(), "grace")
    code, _ = daemon.stop(signal.SIGINT)  # ... but a second signal means now
    assert code == 0 and time.monotonic() - started < 5
    assert "SIGINT again: abandoning in-flight work now" in daemon.log_text()
    assert "abandoned at shutdown" in daemon.log_text()


def test_a_second_daemon_on_the_same_database_is_refused(
    daemon: Daemon, server: FeedServer
) -> None:
    server.set("/feed.xml", feed("a"))
    daemon.config.write_text(settings() + feeds_toml(server.url("/feed.xml")), encoding="utf-8")
    daemon.start()
    second = subprocess.run(
        [WATCHER, "-c", str(daemon.config), "--db", str(daemon.db), "run"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert second.returncode == 1
    assert f"another `watcher run` (pid {daemon.process.pid})" in second.stderr
    assert daemon.stop()[0] == 0


# --- reloading ----------------------------------------------------------------------------------


def test_sighup_adds_and_removes_feeds_and_a_broken_config_keeps_the_old_one(
    daemon: Daemon, server: FeedServer
) -> None:
    for name in ("a", "b"):
        server.set(f"/{name}.xml", feed(name), etag=f'"{name}"')
    a, b = server.url("/a.xml"), server.url("/b.xml")
    daemon.config.write_text(settings() + feeds_toml(a), encoding="utf-8")
    daemon.start("--log-format", "json")
    daemon.wait_for(lambda: server.requests_to("/a.xml"), "feed a")

    daemon.config.write_text(settings() + feeds_toml(a, b), encoding="utf-8")
    daemon.send(signal.SIGHUP)
    daemon.wait_for(lambda: server.requests_to("/b.xml"), "the added feed b", timeout=5)

    secret = "hunter2-not-for-logs"
    daemon.config.write_text(
        settings() + feeds_toml(a, b, f"ftp://alice:{secret}@feeds.example/x") + "[oops]\n",
        encoding="utf-8",
    )
    daemon.send(signal.SIGHUP)
    daemon.wait_for(lambda: "config reload rejected" in daemon.log_text(), "the rejection")
    counts = {p: len(server.requests_to(p)) for p in ("/a.xml", "/b.xml")}
    daemon.wait_for(
        lambda: all(len(server.requests_to(p)) >= n + 2 for p, n in counts.items()),
        "the old config's feeds, still polled",
    )
    status = daemon.status()
    assert status["healthy"] and "oops" in status["daemon"]["reload_error"]

    daemon.config.write_text(settings() + feeds_toml(b), encoding="utf-8")
    daemon.send(signal.SIGHUP)
    daemon.wait_for(lambda: daemon.heartbeat()["reload_error"] is None, "a good reload")
    removed_at = len(server.requests_to("/a.xml"))
    b_count = len(server.requests_to("/b.xml"))
    daemon.wait_for(lambda: len(server.requests_to("/b.xml")) >= b_count + 2, "feed b, twice")
    assert len(server.requests_to("/a.xml")) <= removed_at + 1  # one may have been in flight
    code, _ = daemon.stop()
    assert code == 0

    lines = [json.loads(line) for line in daemon.log_text().splitlines()]  # all JSON
    assert any(line["message"].startswith("config reloaded") for line in lines)
    rejected = [line for line in lines if "reload rejected" in line["message"]]
    assert rejected and rejected[0]["level"] == "ERROR"
    assert "oops: unknown key" in rejected[0]["message"]
    assert secret not in daemon.log_text()
    assert any("polled" in line["message"] and "feed" in line for line in lines)


# --- a stall does not become a burst --------------------------------------------------------------


def test_polls_missed_during_a_stall_are_spread_out_not_burst(
    daemon: Daemon, server: FeedServer
) -> None:
    paths = [f"/f{n}.xml" for n in range(6)]
    for path in paths:
        server.set(path, feed(path), etag='"x"')
    daemon.config.write_text(
        settings(fetch={"default_interval": 3, "jitter": 0}, daemon={"misfire_grace": 1})
        + feeds_toml(*(server.url(p) for p in paths)),
        encoding="utf-8",
    )
    daemon.start()
    urls = [server.url(p) for p in paths]
    daemon.wait_for(
        lambda: all(daemon.feed(u)["next_poll_reason"] == "interval 3s" for u in urls),
        "every first poll, done and rescheduled",
    )
    daemon.send(signal.SIGSTOP)  # a stall: every feed is due (in step, no jitter) meanwhile
    time.sleep(4.5)
    resumed = time.monotonic()
    daemon.send(signal.SIGCONT)
    daemon.wait_for(lambda: all(len(server.requests_to(p)) >= 2 for p in paths), "catch-up polls")
    code, _ = daemon.stop()
    assert code == 0
    catch_up = sorted(server.requests_to(p)[1].received - resumed for p in paths)
    assert sum(1 for delay in catch_up if delay < 0.25) <= 3, catch_up  # no burst of six ...
    assert catch_up[-1] < 3.5, catch_up  # ... and all within one interval
    assert daemon.log_text().count("late (the machine slept or the process stalled); moved to") >= 4
