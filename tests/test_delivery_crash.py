"""The dispatcher as a real process (`watcher alerts dispatch`) against a local webhook endpoint:
killed with SIGKILL in the middle of a send and restarted, then two of them at once. Every shift
must arrive, none twice."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from alerting import shift
from feedserver import FeedServer, RecordedRequest, Route

from watcher.config import AlertSettings
from watcher.store import Store

OK = Route(body=b"ok", headers={"Content-Type": "text/plain"}, delay=0.02)  # a slowish endpoint
HANG = Route(body=b"ok", delay=60)  # never answers before the test kills the sender
SENT_BEFORE_KILL = 5


def write_config(tmp_path: Path, hook: str) -> Path:
    path = tmp_path / "watcher.toml"
    path.write_text(
        f"""
[watcher]
database = "{tmp_path / "watcher.db"}"

[alerts]
retry_initial = "1s"

[[alerts.channels]]
type = "slack"
webhook_url = "{hook}"
timeout = "10s"

[[topics]]
id = "air"
claim = "The US will provide air cover"
terms = ["air cover"]
  [[topics.actors]]
  id = "US"
""",
        encoding="utf-8",
    )
    return path


def queue_shifts(tmp_path: Path, config: Path, count: int) -> set[str]:
    """``count`` shifts queued for the Slack channel; returns their delivery keys."""
    from watcher.config import load_config

    settings: AlertSettings = load_config(config).alerts
    with Store(tmp_path / "watcher.db") as store:
        for index in range(count):
            shift(store, actor=f"A{index:02}", settings=settings)
        return {row["key"] for row in store.deliveries.all()}


def dispatcher(config: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "watcher", "-c", str(config), "alerts", "dispatch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def delivery_key(request: RecordedRequest) -> str:
    """The delivery key from the Block Kit footer."""
    footer = json.loads(request.body)["blocks"][-1]["elements"][0]["text"]
    return re.search(r"Delivery (\w+)\.", footer).group(1)


def test_sigkill_mid_send_then_restart_delivers_every_shift_exactly_once(tmp_path: Path) -> None:
    with FeedServer() as server:
        server.script("/hook", *[OK] * SENT_BEFORE_KILL, HANG, OK)
        config = write_config(tmp_path, server.url("/hook"))
        keys = queue_shifts(tmp_path, config, 20)

        first = dispatcher(config)
        # kill it while its sixth message is in flight: the endpoint has it but has not answered
        wait_for(lambda: len(server.requests_to("/hook")) > SENT_BEFORE_KILL)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        assert first.returncode == -signal.SIGKILL

        with Store(tmp_path / "watcher.db") as store:
            assert store.deliveries.counts()["sent"] == SENT_BEFORE_KILL
            [in_flight] = [r for r in store.deliveries.all() if r["claimed_by"]]
            assert f":{first.pid}:" in in_flight["claimed_by"]

        second = dispatcher(config)
        _, errors = second.communicate(timeout=60)
        assert second.returncode == 0, errors
        assert "1 released" in errors

        requests = server.requests_to("/hook")
    # what the endpoint accepted: every request it answered, i.e. all but the hung one
    accepted = [delivery_key(r) for i, r in enumerate(requests) if i != SENT_BEFORE_KILL]
    assert sorted(accepted) == sorted(keys)  # every shift, none twice
    assert delivery_key(requests[SENT_BEFORE_KILL]) == in_flight["key"]
    with Store(tmp_path / "watcher.db") as store:
        assert store.deliveries.counts() == {
            "pending": 0,
            "sent": 20,
            "dead": 0,
            "cancelled": 0,
            "withheld": 0,
        }
        outcomes = [a["outcome"] for a in store.deliveries.attempts(in_flight["id"])]
        assert outcomes == ["interrupted", "sent"]


def test_two_dispatcher_processes_at_once_never_send_a_shift_twice(tmp_path: Path) -> None:
    with FeedServer() as server:
        server.set("/hook", body=b"ok", delay=0.1)  # 3 s alone: the two overlap
        config = write_config(tmp_path, server.url("/hook"))
        keys = queue_shifts(tmp_path, config, 30)
        runs = [dispatcher(config), dispatcher(config)]
        for run in runs:
            _, errors = run.communicate(timeout=60)
            assert run.returncode == 0, errors
        sent = [delivery_key(r) for r in server.requests_to("/hook")]
    assert sorted(sent) == sorted(keys)
    with Store(tmp_path / "watcher.db") as store:
        workers = {
            attempt["worker"]
            for row in store.deliveries.all()
            for attempt in store.deliveries.attempts(row["id"])
        }
    assert len(workers) == 2  # both did part of the work
