"""`watcher export`: positions, shifts and stories to CSV and JSON lines, and back again."""

from __future__ import annotations

import csv
import io
import json
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner
from historystore import STORIES, TOPIC, build_history, demo_database
from sqlite_utils import Database

from watcher.cli import cli
from watcher.history.connection import fetch_rows, open_readonly
from watcher.history.export import KINDS, export, view_columns
from watcher.history.filters import EVERYTHING, HistoryFilter
from watcher.history.output import decode_json_columns

EXPECTED_COUNTS = {"positions": 5, "shifts": 1, "stories": 4}


@pytest.fixture
def history(tmp_path: Path) -> Path:
    return build_history(tmp_path / "history.db")


def view_rows(database: Path, kind: str) -> list[dict]:
    with closing(open_readonly(database)) as connection:
        return fetch_rows(
            connection, f"SELECT * FROM {KINDS[kind].view} ORDER BY {KINDS[kind].order}"
        )


def exported(database: Path, kind: str, fmt: str, selection: HistoryFilter = EVERYTHING):
    out = io.StringIO()
    with closing(open_readonly(database)) as connection:
        count = export(connection, kind, fmt, out, selection)
    return count, out.getvalue()


@pytest.mark.parametrize("kind", list(KINDS))
def test_json_lines_load_into_another_database_as_the_same_records(
    history: Path, tmp_path: Path, kind: str
) -> None:
    count, text = exported(history, kind, "jsonl")
    assert count == EXPECTED_COUNTS[kind] == len(text.splitlines())
    records = [json.loads(line) for line in text.splitlines()]
    copy = Database(tmp_path / "copy.db")
    copy[kind].insert_all(records)  # what `sqlite-utils insert copy.db KIND FILE --nl` does
    reloaded = [decode_json_columns(row) for row in copy.query(f"SELECT * FROM {kind}")]
    assert reloaded == [decode_json_columns(row) for row in view_rows(history, kind)]


@pytest.mark.parametrize("kind", list(KINDS))
def test_csv_reads_back_as_the_same_text(history: Path, kind: str) -> None:
    count, text = exported(history, kind, "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert count == len(rows) == EXPECTED_COUNTS[kind]
    with closing(open_readonly(history)) as connection:
        assert list(rows[0]) == view_columns(connection, KINDS[kind].view)
    as_text = [
        {key: "" if value is None else str(value) for key, value in row.items()}
        for row in view_rows(history, kind)
    ]
    assert rows == as_text


def test_text_with_quotes_commas_and_lists_survives_csv(history: Path) -> None:
    _, text = exported(history, "stories", "csv")
    by_id = {row["story_id"]: row for row in csv.DictReader(io.StringIO(text))}
    assert by_id[STORIES["reworded"].id]["text"] == STORIES["reworded"].text  # '"for now".'
    assert json.loads(by_id[STORIES["june"].id]["topics"]) == [TOPIC]
    _, text = exported(history, "shifts", "csv")
    (shift,) = csv.DictReader(io.StringIO(text))
    assert [source["name"] for source in json.loads(shift["sources"])] == [
        "Eastern Europe Wire",
        "Ukraine Briefing",
        "Continental Daily",
    ]


def test_an_empty_export_still_has_its_csv_header(history: Path) -> None:
    count, text = exported(history, "shifts", "csv", HistoryFilter(actor="nobody"))
    assert count == 0
    assert text.splitlines()[0].startswith("shift_id,topic_id,actor_id,")


def test_export_command_filters_and_writes_a_file(history: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "uk.csv"
    target.parent.mkdir()
    args = ["--db", str(history), "export", "positions", "--format", "csv", "-o", str(target)]
    result = CliRunner().invoke(cli, [*args, "--actor", "UK"])
    assert result.exit_code == 0, result.output
    assert "exported 1 positions" in result.stderr
    (row,) = csv.DictReader(target.open(encoding="utf-8"))
    assert row["actor_id"] == "UK"

    result = CliRunner().invoke(cli, ["--db", str(history), "export", "stories", "--topic", TOPIC])
    assert [json.loads(line)["story_id"] for line in result.stdout.splitlines()] == [
        STORIES["march"].id,
        STORIES["june"].id,
        STORIES["reworded"].id,
    ]
    result = CliRunner().invoke(cli, ["--db", str(history), "export", "stories", "--actor", "US"])
    assert result.exit_code == 2
    assert "stories have no actor" in result.stderr


def test_demo_shifts_export_round_trips(tmp_path_factory: pytest.TempPathFactory) -> None:
    database = demo_database(tmp_path_factory)
    _, text = exported(database, "shifts", "jsonl")
    records = [json.loads(line) for line in text.splitlines()]
    assert records == [decode_json_columns(row) for row in view_rows(database, "shifts")]
    us = [r for r in records if r["actor_id"] == "US" and r["topic_id"] == "coalition-air-cover"]
    assert [(r["before_stance"], r["after_stance"]) for r in us] == [("observing", "against")]
    assert us[0]["source_count"] >= 2  # the seed story and its syndicated copy
