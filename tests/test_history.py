"""Timelines and the shift log: the views, their readers, `watcher history` and `watcher shifts`."""

from __future__ import annotations

import csv
import io
import json
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from historystore import TOPIC, build_history, demo_database

from watcher.cli import cli
from watcher.history.connection import open_readonly
from watcher.history.filters import HistoryFilter, parse_since
from watcher.history.timeline import shift_log, timeline


@pytest.fixture
def history(tmp_path: Path) -> Path:
    return build_history(tmp_path / "history.db")


def run(database: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", str(database), *args])
    return result.exit_code, result.stdout, result.stderr


def test_timeline_lists_positions_in_the_order_said_with_the_shift_on_the_refusal(
    history: Path,
) -> None:
    with closing(open_readonly(history)) as connection:
        rows = timeline(connection, HistoryFilter(TOPIC, "US"))
    assert [row["stance"] for row in rows] == ["observing", "observing", "against", "against"]
    assert [row["decision"] for row in rows] == ["baseline", "restated", "shift", "restated"]
    shift = rows[2]
    assert (shift["shift_id"], shift["shifted_from"]) == (1, "observing")
    assert shift["previous_position_id"] == rows[1]["position_id"]
    assert shift["first_source"] == "Eastern Europe Wire"  # syndicated 15 minutes earlier
    assert [row["shift_id"] for row in rows if row is not shift] == [None, None, None]


def test_timeline_filters_by_actor_and_since(history: Path) -> None:
    with closing(open_readonly(history)) as connection:
        everyone = timeline(connection, HistoryFilter(TOPIC))
        since_june = timeline(
            connection, HistoryFilter(TOPIC, since=datetime(2025, 6, 1, tzinfo=UTC))
        )
    assert {row["actor_id"] for row in everyone} == {"US", "UK"}
    assert [row["said_at"] for row in everyone] == sorted(row["said_at"] for row in everyone)
    assert [row["said_at"][:10] for row in since_june] == ["2025-06-11", "2025-06-12"]


def test_shift_log_names_who_reported_first_and_every_source(history: Path) -> None:
    with closing(open_readonly(history)) as connection:
        (shift,) = shift_log(connection, HistoryFilter(actor="US"))
        assert shift_log(connection, HistoryFilter(actor="UK")) == []
    assert (shift["before_stance"], shift["after_stance"]) == ("observing", "against")
    assert shift["before_statement"].startswith("The White House has not ruled out")
    assert shift["after_statement"].startswith("The US has refused")
    assert (shift["first_source"], shift["first_reported_at"]) == (
        "Eastern Europe Wire",
        "2025-06-11T18:05:00+00:00",
    )
    sources = json.loads(shift["sources"])
    assert [(s["name"], s["corroborating"]) for s in sources] == [
        ("Eastern Europe Wire", 0),
        ("Ukraine Briefing", 0),
        ("Continental Daily", 1),  # a later outlet's own report of the refusal
    ]
    assert shift["source_count"] == 3


def test_history_command_prints_a_table_with_the_shift_marked(history: Path) -> None:
    code, out, err = run(history, "history", TOPIC, "--actor", "US")
    assert code == 0, err
    lines = out.splitlines()
    shift_line = next(i for i, line in enumerate(lines) if ">> SHIFT observing -> against" in line)
    first_observing = next(i for i, line in enumerate(lines) if "observing" in line.split())
    assert first_observing < shift_line
    assert "2025-06-11" in lines[shift_line]
    assert "4 positions, 1 shift\n" in err


def test_history_json_and_csv_carry_every_column(history: Path) -> None:
    code, out, _ = run(history, "history", TOPIC, "--json", "--since", "2025-06-01")
    assert code == 0
    rows = json.loads(out)
    assert [row["stance"] for row in rows] == ["against", "against"]
    assert rows[0]["evidence"] == [rows[0]["statement"]]  # JSON columns are nested, not text
    code, out, _ = run(history, "history", TOPIC, "--csv", "--actor", "UK")
    assert code == 0
    (row,) = csv.DictReader(io.StringIO(out))
    assert (row["actor_id"], row["stance"], row["shift_id"]) == ("UK", "for", "")


def test_history_of_an_unknown_topic_names_the_known_ones(history: Path) -> None:
    code, _, err = run(history, "history", "air-cover")
    assert code == 1
    assert "no positions recorded on topic 'air-cover'" in err
    assert TOPIC in err


def test_history_commands_need_an_existing_database(tmp_path: Path) -> None:
    code, _, err = run(tmp_path / "missing.db", "shifts")
    assert code == 1
    assert "no database here" in err
    assert not (tmp_path / "missing.db").exists()  # a read command never creates one


def test_shifts_command_shows_before_after_and_sources(history: Path) -> None:
    code, out, _ = run(history, "shifts", "--topic", TOPIC)
    assert code == 0
    assert "observing -> against" in out
    assert "Eastern Europe Wire (+2 more)" in out
    code, out, _ = run(history, "shifts", "--json", "--since", "2025-07-01")
    assert (code, json.loads(out)) == (0, [])
    code, out, _ = run(history, "shifts", "--json")
    (shift,) = json.loads(out)
    assert shift["sources"][0]["name"] == "Eastern Europe Wire"


def test_json_and_csv_exclude_each_other(history: Path) -> None:
    code, _, err = run(history, "shifts", "--json", "--csv")
    assert code == 2
    assert "exclude each other" in err


def test_since_reads_dates_times_and_ages() -> None:
    now = datetime(2025, 6, 20, 12, 0, tzinfo=UTC)
    assert parse_since("2025-06-01") == datetime(2025, 6, 1, tzinfo=UTC)
    assert parse_since("2025-06-01T18:30") == datetime(2025, 6, 1, 18, 30, tzinfo=UTC)
    assert parse_since("2025-06-01T18:30+02:00") == datetime(2025, 6, 1, 16, 30, tzinfo=UTC)
    assert parse_since("30d", now) == now - timedelta(days=30)
    assert parse_since("12h", now) == now - timedelta(hours=12)
    for bad in ("90", "yesterday", "2025-13-01"):
        with pytest.raises(ValueError, match="neither a date"):
            parse_since(bad)


def test_since_option_reports_a_bad_value(history: Path) -> None:
    code, _, err = run(history, "history", TOPIC, "--since", "last week")
    assert code == 2
    assert "neither a date" in err


def test_demo_timeline_of_the_us_shows_the_refusal_after_the_open_position(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    database = demo_database(tmp_path_factory)
    code, out, err = run(database, "history", "coalition-air-cover", "--actor", "US", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert [row["said_at"] for row in rows] == sorted(row["said_at"] for row in rows)
    shifts = [row for row in rows if row["shift_id"] is not None]
    assert len(shifts) == 1
    refusal = shifts[0]
    assert (refusal["shifted_from"], refusal["stance"]) == ("observing", "against")
    earlier = rows[: rows.index(refusal)]
    assert earlier and all(row["stance"] == "observing" for row in earlier)
    assert refusal["said_at"].startswith("2025-06-11")
    assert "refuse" in (refusal["statement"] + refusal["story_title"]).lower()
    code, out, _ = run(database, "history", "coalition-air-cover", "--actor", "US")
    assert ">> SHIFT observing -> against" in out
