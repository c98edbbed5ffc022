"""`watcher alerts`: list, show, test, dispatch and retry, through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

from alerting import shift
from click.testing import CliRunner
from serving import free_port

from watcher.cli import cli
from watcher.config import load_config
from watcher.store import Store


def setup(tmp_path: Path) -> tuple[Path, list[str]]:
    config = tmp_path / "watcher.toml"
    config.write_text(
        f"""
[watcher]
database = "{tmp_path / "w.db"}"

[alerts]
max_attempts = 1

[[alerts.channels]]
type = "jsonl"
path = "{tmp_path / "alerts.jsonl"}"

[[alerts.channels]]
type = "email"
host = "127.0.0.1"
port = {free_port()}
security = "none"
sender = "watcher@desk.example"
to = ["desk@desk.example"]
timeout = "2s"

[[topics]]
id = "air"
claim = "The US will provide air cover"
terms = ["air cover"]
  [[topics.actors]]
  id = "US"
  name = "United States"
""",
        encoding="utf-8",
    )
    with Store(tmp_path / "w.db") as store:
        shift(store, settings=load_config(config).alerts)
    return config, ["-c", str(config)]


def run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args)
    return result.exit_code, result.output


def test_dispatch_then_list_and_show_every_delivery_and_attempt(tmp_path: Path) -> None:
    _, options = setup(tmp_path)
    code, output = run([*options, "alerts", "dispatch"])
    assert code == 0
    assert "1 deliveries sent in 1 messages, 0 failed (will retry), 1 dead" in output
    assert json.loads((tmp_path / "alerts.jsonl").read_text())["actor"] == "US"
    code, output = run([*options, "alerts", "list"])
    assert code == 0
    lines = output.splitlines()
    assert lines[0] == "0 pending (0 held), 1 sent, 1 dead"
    assert lines[1].startswith("#2    shift 1    email        dead    attempts 1  dead ")
    assert lines[1].endswith("air US: observing -> against")
    assert "last error: ConnectionRefusedError" in lines[2]
    assert lines[3].startswith("#1    shift 1    jsonl        sent    attempts 1  sent ")
    code, output = run([*options, "alerts", "list", "--status", "sent", "--json"])
    assert [json.loads(line)["channel"] for line in output.splitlines()] == ["jsonl"]
    code, output = run([*options, "alerts", "show", "2"])
    assert "rule: the default route" in output
    assert "attempt 1 by " in output and ": dead: ConnectionRefusedError" in output
    code, output = run([*options, "alerts", "retry", "--dead"])
    assert (code, output.strip()) == (0, "1 deliveries queued again")
    code, output = run([*options, "alerts", "list", "--status", "pending"])
    assert output.splitlines()[0] == "1 pending (0 held), 1 sent, 0 dead"


def test_test_sends_a_sample_through_a_channel_and_names_failures(tmp_path: Path) -> None:
    _, options = setup(tmp_path)
    code, output = run([*options, "alerts", "test", "jsonl"])
    assert (code, output.strip()) == (0, "jsonl: sample alert sent")
    sample = json.loads((tmp_path / "alerts.jsonl").read_text())
    assert sample["delivery"].startswith("test-") and sample["topic"] == "sample-topic"
    code, output = run([*options, "alerts", "test", "email"])
    assert code == 1 and "Error: email: ConnectionRefusedError" in output
    code, output = run([*options, "alerts", "test", "pager"])
    assert code == 2 and "no channel named 'pager' (configured: jsonl, email)" in output
    with Store(tmp_path / "w.db") as store:
        assert len(store.deliveries.all()) == 2  # a test send is not a delivery
