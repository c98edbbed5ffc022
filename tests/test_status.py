"""``watcher status``: read from the database alone, from any process; exit 1 when the daemon is
not beating (the container healthcheck relies on it)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from watcher.cli import cli
from watcher.config import FeedSettings
from watcher.daemon import heartbeat
from watcher.daemon.status import read_status, render_json, render_text
from watcher.models import (
    Decision,
    FetchResult,
    Position,
    ShiftDecision,
    Stance,
    StanceVerdict,
)
from watcher.store import Store
from watcher.timeutil import utc_now

ROOT = Path(__file__).resolve().parents[1]
OK, FAILING, GONE, MOVED, NEW = (f"https://{name}.example/rss" for name in
                                 ("ok", "failing", "gone", "moved", "new"))  # fmt: skip
REMOVED = "https://removed.example/rss"


def fill(store: Store, now: datetime) -> None:
    """Feeds in every state, a heartbeat 5 s old, and one dead delivery."""
    store.feeds.sync([FeedSettings(url=REMOVED)])
    store.feeds.sync(
        [
            FeedSettings(url=u, name="Okay News" if u == OK else "")
            for u in (OK, FAILING, GONE, MOVED, NEW)
        ]
    )
    store.feeds.record_fetch(FetchResult(url=OK, final_url=OK, status=200, body=b"x"))
    store.feeds.count_items(OK, 42)
    store.feeds.schedule(OK, now + timedelta(minutes=10), "interval 10m")
    for _ in range(3):
        store.feeds.record_fetch(
            FetchResult(url=FAILING, final_url=FAILING, status=500, error="HTTP 500")
        )
    store.feeds.schedule(FAILING, now + timedelta(minutes=40), "backoff after 3 failures in a row")
    store.feeds.disable(GONE, "HTTP 410 Gone: the publisher removed this feed")
    store.feeds.record_fetch(
        FetchResult(url=MOVED, final_url="https://elsewhere.example/rss", status=200,
                    body=b"x", permanent_redirect=True)
    )  # fmt: skip
    verdict = StanceVerdict(Stance.AGAINST, 0.9, evidence=("No.",))
    position = Position("air-cover", "US", "", verdict)
    decision = ShiftDecision(Decision.SHIFT, "observing -> against")
    with store.transaction():
        _, shift_id = store.positions.record(position, decision, None)
    store.deliveries.enqueue(shift_id, {"email": "default"})
    store.db.execute("UPDATE deliveries SET status = 'dead', last_error = 'SMTP 550 no such user'")
    beat = heartbeat.starting(now - timedelta(hours=2), stale_after=60, feeds=4)
    heartbeat.write(store.db, beat.beat(now - timedelta(seconds=5)))


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    path = tmp_path / "watcher.db"
    with Store(path) as store:
        fill(store, utc_now())
    return path


def status_of(path: Path, now: datetime | None = None, stale_after: float | None = None):
    with Store(path) as store:
        return read_status(store, now or utc_now(), stale_after)


def test_status_reports_every_configured_feed(filled: Path) -> None:
    status = status_of(filled)
    assert status.daemon == "running" and status.healthy
    health = {feed.url: feed.health for feed in status.feeds}
    assert health == {OK: "ok", FAILING: "failing", GONE: "disabled", MOVED: "ok", NEW: "new"}
    assert status.unconfigured_feeds == 1
    assert (status.deliveries["dead"], status.deliveries["pending"]) == (1, 0)

    text = render_text(status)
    assert text.startswith("daemon: running - pid ")
    assert "up 2h, last heartbeat 5s ago, 4 feeds scheduled" in text
    assert "deliveries: 0 pending, 1 dead, 0 sent" in text
    assert "SMTP 550 no such user" in text
    assert "feeds: 5 configured" in text and "1 no longer configured" in text
    block = text[text.index("Okay News") :]
    assert "last success 0s ago" in block and "42 items seen" in block
    assert re.search(r"next poll in (9m 5\ds|10m) \(interval 10m\)", block)
    assert "3 failures in a row; last error 0s ago: HTTP 500" in text
    assert "backoff after 3 failures in a row" in text
    assert "HTTP 410 Gone: the publisher removed this feed" in text
    assert "moved permanently to https://elsewhere.example/rss" in text
    assert "last success never" in text  # the new and the failing feeds


def test_json_status_has_every_field(filled: Path) -> None:
    data = json.loads(json.dumps(render_json(status_of(filled))))
    assert data["healthy"] is True and data["daemon"]["state"] == "running"
    assert data["daemon"]["pid"] > 0 and data["daemon"]["stale_after"] == 60
    feeds = {feed["url"]: feed for feed in data["feeds"]}
    failing = feeds[FAILING]
    assert (failing["health"], failing["consecutive_failures"], failing["last_error"]) == (
        "failing",
        3,
        "HTTP 500",
    )
    assert failing["next_poll_at"].endswith("+00:00") and failing["last_success_at"] is None
    assert feeds[OK]["items_seen"] == 42
    assert feeds[MOVED]["location"] == "https://elsewhere.example/rss"
    assert feeds[GONE]["disabled_reason"].startswith("HTTP 410")
    assert data["deliveries"]["dead"] == 1
    assert data["recent_dead_deliveries"][0]["last_error"] == "SMTP 550 no such user"


def test_a_stale_heartbeat_means_not_responding(filled: Path) -> None:
    later = utc_now() + timedelta(minutes=2)
    status = status_of(filled, now=later)
    assert status.daemon == "not responding" and not status.healthy
    assert render_text(status).startswith("daemon: NOT RESPONDING - last heartbeat 2m")
    assert status_of(filled, now=later, stale_after=600).healthy  # --stale-after overrides


def test_a_stopped_or_never_started_daemon_is_not_healthy(tmp_path: Path, filled: Path) -> None:
    with Store(filled) as store:
        beat = heartbeat.read(store.db)
        heartbeat.write(store.db, beat.beat(utc_now(), state=heartbeat.STOPPED))
    assert status_of(filled).daemon == "stopped"
    with Store(tmp_path / "empty.db"):
        pass
    status = status_of(tmp_path / "empty.db")
    assert (status.daemon, status.healthy, status.feeds) == ("never started", False, ())
    assert render_text(status).startswith("daemon: never started")


def test_a_rejected_reload_is_shown(filled: Path) -> None:
    with Store(filled) as store:
        beat = heartbeat.read(store.db)
        heartbeat.write(store.db, beat.beat(utc_now(), reload_error="w.toml: feeds[0].url: bad"))
    text = render_text(status_of(filled))
    assert "last config reload rejected, old config kept: w.toml: feeds[0].url: bad" in text


def test_cli_exit_codes(filled: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["--db", str(filled), "status"])
    assert ok.exit_code == 0, ok.output
    assert "daemon: running" in ok.output
    data = json.loads(runner.invoke(cli, ["--db", str(filled), "status", "--json"]).output)
    assert data["healthy"] is True
    impatient = runner.invoke(cli, ["--db", str(filled), "status", "--stale-after", "2s"])
    assert impatient.exit_code == 1 and "NOT RESPONDING" in impatient.output
    bad = runner.invoke(cli, ["--db", str(filled), "status", "--stale-after", "soon"])
    assert bad.exit_code == 2
    missing = tmp_path / "nothing" / "here.db"
    absent = runner.invoke(cli, ["--db", str(missing), "status"])
    assert absent.exit_code == 1 and "has not run yet" in absent.output
    assert not missing.exists()  # status never creates a database


def test_status_finds_the_database_through_the_config(filled: Path, tmp_path: Path) -> None:
    config = tmp_path / "w.toml"
    config.write_text(f'[watcher]\ndatabase = "{filled}"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["-c", str(config), "status"])
    assert result.exit_code == 0 and "daemon: running" in result.output


def healthcheck_command() -> list[str]:
    """The Dockerfile's HEALTHCHECK command, as the container runs it."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    (line,) = [ln for ln in text.splitlines() if ln.startswith("HEALTHCHECK")]
    return json.loads(line.split(" CMD ", 1)[1])


def test_the_dockerfile_healthcheck_runs_watcher_status(filled: Path) -> None:
    command = healthcheck_command()
    assert command[:2] == ["watcher", "status"]
    exe = Path(sys.executable).with_name("watcher")
    # The image sets WATCHER_DB (and a WATCHER_CONFIG that status does not need).
    env = os.environ | {"WATCHER_DB": str(filled), "WATCHER_CONFIG": "/nonexistent.toml"}
    healthy = subprocess.run([str(exe), *command[1:]], env=env, capture_output=True, text=True)
    assert healthy.returncode == 0, shlex.join(command) + "\n" + healthy.stderr
    with Store(filled) as store:
        beat = heartbeat.read(store.db)
        heartbeat.write(store.db, beat.beat(utc_now() - timedelta(minutes=5)))
    stale = subprocess.run([str(exe), *command[1:]], env=env, capture_output=True, text=True)
    assert stale.returncode == 1 and "NOT RESPONDING" in stale.stdout


def test_heartbeat_round_trips(tmp_path: Path) -> None:
    now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    beat = heartbeat.starting(now, stale_after=90, feeds=3)
    with Store(tmp_path / "w.db") as store:
        heartbeat.write(store.db, beat)
        assert heartbeat.read(store.db) == beat
        heartbeat.write(store.db, beat.beat(now + timedelta(seconds=15), feeds=4))
        again = heartbeat.read(store.db)
    assert (again.beat_at, again.feeds, again.started_at) == (now + timedelta(seconds=15), 4, now)
    assert again.alive(now + timedelta(seconds=100)) and not again.alive(
        now + timedelta(seconds=106)
    )
