"""Analysts at the command line: shifts ack / reject, positions set / list / import, mute,
alerts send, and held deliveries shown as held, against a real config and database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alerting import AFTER, add_story, day, position, record, shift
from click.testing import CliRunner
from test_email import smtp_server

from watcher.cli import cli
from watcher.config import load_config
from watcher.models import Stance
from watcher.store import Store

TOPIC = """
[[topics]]
id = "air"
title = "US air cover for Europe"
claim = "The US will provide air cover"
terms = ["air cover"]
  [[topics.actors]]
  id = "US"
  name = "United States"
"""


def write_config(tmp_path: Path, channels: str, alerts: str = "") -> list[str]:
    config = tmp_path / "watcher.toml"
    config.write_text(
        f'[watcher]\ndatabase = "{tmp_path / "w.db"}"\n[alerts]\n{alerts}\n{channels}\n{TOPIC}',
        encoding="utf-8",
    )
    return ["-c", str(config)]


JSONL = '[[alerts.channels]]\ntype = "jsonl"\npath = "{path}"\n'


def run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args)
    return result.exit_code, result.output


def shift_in(tmp_path: Path, options: list[str], settled: bool = True) -> int:
    """A baseline (observing) and a shift to against, recorded as the pipeline does."""
    settings = load_config(Path(options[1])).alerts
    with Store(tmp_path / "w.db") as store:
        add_story(store, "refusal", published=day(11))
        record(store, position(Stance.OBSERVING, "The US has not ruled it out.", day(1)), settings)
        _, shift_id = record(store, position(Stance.AGAINST, AFTER, day(11), "refusal"), settings)
        if not settled:
            store.db.execute("UPDATE deliveries SET next_attempt_at = '2999-01-01T00:00:00+00:00'")
    assert shift_id is not None
    return shift_id


def test_reject_at_the_command_line_restores_the_stance_and_cancels_the_alert(
    tmp_path: Path,
) -> None:
    options = write_config(tmp_path, JSONL.format(path=tmp_path / "a.jsonl"))
    shift_id = shift_in(tmp_path, options)
    code, output = run([*options, "shifts", "reject", str(shift_id), "--by", "ana"])
    assert code == 2 and "--why" in output  # a reason is required
    reject = [*options, "shifts", "reject", str(shift_id), "--why", "misquote", "--by", "ana"]
    code, output = run(reject)
    assert (code, output.strip()) == (0, "shift #1 rejected by ana; 1 unsent delivery cancelled")
    code, output = run([*options, "shifts", "reject", "42", "--why", "x"])
    assert code == 1 and "no shift #42" in output
    code, output = run([*options, "alerts", "dispatch"])
    assert not (tmp_path / "a.jsonl").exists()  # nothing sent
    code, output = run([*options, "alerts", "list"])
    assert output.splitlines()[0] == "0 pending (0 held), 0 sent, 0 dead, 1 cancelled"
    assert "reason: shift rejected by ana: misquote" in output
    code, output = run([*options, "positions", "list"])
    assert "observing" in output and "against" not in output
    code, output = run([*options, "shifts", "--json"])
    [row] = json.loads(output)
    assert row["status"] == "rejected" and row["corrections"][0]["reason"] == "misquote"
    code, output = run([*options, "history", "air"])
    assert ">> SHIFT observing -> against (rejected)" in output
    code, output = run([*options, "shifts", "ack", str(shift_id), "--by", "ben"])
    assert (code, output.strip()) == (0, "shift #1 acknowledged by ben")
    code, output = run([*options, "positions", "list", "air"])
    assert "against" in output


def test_positions_set_becomes_the_stance_in_force_and_import_twice_adds_nothing(
    tmp_path: Path,
) -> None:
    options = write_config(tmp_path, JSONL.format(path=tmp_path / "a.jsonl"))
    starting = tmp_path / "positions.toml"
    starting.write_text(
        '[[positions]]\ntopic = "air"\nactor = "US"\nstance = "observing"\nas_of = 2025-06-01\n'
        'evidence = ["No decision yet."]\nsource = "desk notes"\n',
        encoding="utf-8",
    )
    assert run([*options, "positions", "import", str(starting)]) == (
        0,
        f"imported 1 positions from {starting} (0 already recorded)\n",
    )
    code, output = run([*options, "positions", "import", str(starting)])
    assert output.strip().endswith("(1 already recorded)")
    code, output = run(
        [*options, "positions", "set", "air", "US", "against", "--evidence", "Told us so.",
         "--as-of", "2025-06-05", "--by", "ana"]
    )  # fmt: skip
    assert (code, output.strip()) == (0, "US on air: against")
    code, output = run([*options, "positions", "list"])
    [_, _, row] = output.splitlines()
    assert row.split()[:5] == ["air", "US", "against", "2025-06-05", "baseline"]
    assert "analyst: ana" in row and "Told us so." in row
    with Store(tmp_path / "w.db") as store:
        assert len(store.positions.history("air")) == 2
    code, output = run([*options, "positions", "set", "air", "UK", "for", "--evidence", "x"])
    assert code == 2 and "no actor 'UK'" in output


def test_a_muted_topic_records_its_shift_and_sends_nothing_until_unmuted(tmp_path: Path) -> None:
    options = write_config(tmp_path, JSONL.format(path=tmp_path / "a.jsonl"))
    code, output = run([*options, "mute", "air", "US", "--for", "7d", "--by", "ana"])
    assert code == 0 and output.startswith("muted air US until ")
    shift_in(tmp_path, options)
    run([*options, "alerts", "dispatch"])
    assert not (tmp_path / "a.jsonl").exists()
    code, output = run([*options, "alerts", "list"])
    assert "cancelled" in output and "reason: muted until " in output and "by ana" in output
    assert run([*options, "unmute", "air", "US"]) == (0, "unmuted air US\n")
    assert run([*options, "unmute", "air", "US"])[0] == 1
    assert run([*options, "mute", "air", "--for", "soon"])[0] == 2


def test_alerts_send_ignores_the_backoff_and_held_deliveries_say_why(tmp_path: Path) -> None:
    with smtp_server() as (inbox, port):
        email = (
            f'[[alerts.channels]]\ntype = "email"\nname = "desk"\nhost = "127.0.0.1"\n'
            f'port = {port}\nsecurity = "none"\nsender = "w@desk.example"\n'
            'to = ["desk@desk.example"]\n'
        )
        options = write_config(tmp_path, email, alerts='settle = "10m"')
        shift_in(tmp_path, options, settled=False)
        code, output = run([*options, "alerts", "list"])
        assert output.splitlines()[0] == "1 pending (1 held), 0 sent, 0 dead"
        assert " held    attempts 0  until 2999-01-01T00:00:00+00:00 (settle window)" in output
        code, output = run([*options, "alerts", "dispatch"])
        assert inbox.messages == []
        code, output = run([*options, "alerts", "send", "--all"])
        assert code == 0 and "1 deliveries sent in 1 messages" in output
        [message] = inbox.messages
    assert message["Subject"] == "[watcher] United States shifted on US air cover for Europe: " + (
        "observing -> against"
    )
    assert run([*options, "alerts", "send"])[0] == 2  # neither ids nor --all


def test_a_digest_or_quiet_hours_show_as_held_with_when_they_go(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    start, end = (f"{now + timedelta(hours=h):%H:%M}" for h in (-1, 1))
    digest = JSONL.format(path=tmp_path / "a.jsonl") + 'digest = "30m"\n'
    quiet = (
        JSONL.format(path=tmp_path / "b.jsonl")
        + 'name = "night"\n'
        + f'quiet_hours = {{ start = "{start}", end = "{end}", timezone = "UTC" }}\n'
    )
    options = write_config(tmp_path, digest + quiet)
    shift_in(tmp_path, options)
    code, output = run([*options, "alerts", "list", "--json"])
    rows = {row["channel"]: row for row in map(json.loads, output.splitlines())}
    assert code == 0 and rows["jsonl"]["held"] == "digest"
    assert rows["jsonl"]["held_until"] > rows["jsonl"]["created_at"]
    assert rows["night"]["held"] == "quiet hours"
    assert rows["night"]["held_until"][11:16] == end
    run([*options, "alerts", "dispatch"])
    assert not (tmp_path / "a.jsonl").exists() and not (tmp_path / "b.jsonl").exists()


def test_corrections_export_as_labelled_pairs_that_eval_reads_back(tmp_path: Path) -> None:
    options = write_config(tmp_path, JSONL.format(path=tmp_path / "a.jsonl"))
    shift_id = shift_in(tmp_path, options)
    assert run([*options, "export", "corrections"]) == (0, "")  # nothing corrected yet
    run(
        [*options, "shifts", "reject", str(shift_id), "--why", "a quote of a critic", "--by", "ana"]
    )
    labelled = tmp_path / "corrections.jsonl"
    code, _ = run([*options, "export", "corrections", "-o", str(labelled)])
    [pair] = [json.loads(line) for line in labelled.read_text().splitlines()]
    assert code == 0 and (pair["id"], pair["shift"], pair["reason"]) == (
        "shift-1",
        False,
        "a quote of a critic",
    )
    assert pair["claim"] == "The US will provide air cover" and pair["after"] == AFTER
    result = CliRunner().invoke(cli, ["eval", "shifts", str(labelled), "--labels", "shift"])
    assert result.exit_code == 0, result.output
    [prediction] = [json.loads(line) for line in result.stdout.splitlines()]
    assert prediction["id"] == "shift-1" and "1 pairs (light engine) in" in result.stderr


def test_alerts_send_by_id_sends_that_delivery_alone_and_names_the_others(
    tmp_path: Path,
) -> None:
    sent = tmp_path / "a.jsonl"
    options = write_config(tmp_path, JSONL.format(path=sent), alerts='settle = "10m"')
    settings = load_config(Path(options[1])).alerts
    with Store(tmp_path / "w.db") as store:
        first = shift(store, "US", settings=settings)
        shift(store, "UK", settings=settings)
        ids = {row["shift_id"]: row["id"] for row in store.deliveries.all()}
        store.db.execute("UPDATE deliveries SET next_attempt_at = '2999-01-01T00:00:00+00:00'")
    code, output = run([*options, "alerts", "send", str(ids[first])])
    assert code == 0 and "1 deliveries sent in 1 messages" in output
    [line] = sent.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["shift_id"] == first
    code, output = run([*options, "alerts", "list"])
    assert output.splitlines()[0] == "1 pending (1 held), 1 sent, 0 dead"
    code, output = run([*options, "alerts", "send", str(ids[first]), "99"])
    assert "2 of the named deliveries are not pending" in output
    assert len(sent.read_text(encoding="utf-8").splitlines()) == 1  # the held one stays held
