"""`watcher query`: read-only SQL over the history; the connection itself refuses every write."""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner
from historystore import TOPIC, build_history, demo_database

from watcher.cli import cli
from watcher.history.connection import NotAWatcherDatabase, open_readonly
from watcher.history.query import QueryError, run_query
from watcher.store import Store


@pytest.fixture
def history(tmp_path: Path) -> Path:
    return build_history(tmp_path / "history.db")


def query(database: Path, *args: str):
    return CliRunner().invoke(cli, ["--db", str(database), "query", *args])


def snapshot(database: Path) -> tuple:
    """Everything a write could change: row counts, the schema, the user version."""
    with closing(sqlite3.connect(database)) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master")]
        counts = [
            connection.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]
            for name in ("positions", "shifts", "stories", "feeds")
        ]
        version = connection.execute("PRAGMA user_version").fetchone()[0]
    return sorted(tables), counts, version


def test_query_refuses_an_insert(history: Path) -> None:
    before = snapshot(history)
    result = query(
        history,
        "INSERT INTO feeds (url, name) VALUES ('http://evil.example/', 'x')",
    )
    assert result.exit_code == 1
    assert "query refused: attempt to write a readonly database" in result.stderr
    assert snapshot(history) == before


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE positions SET stance = 'for'",
        "DELETE FROM shifts",
        "DROP VIEW shift_log",
        "CREATE TABLE notes (x)",
        "CREATE TEMP TABLE scratch (x)",
        "PRAGMA user_version = 7",
        "ATTACH 'file:{dir}/new.db?mode=rwc' AS other",
        "VACUUM INTO '{dir}/copy.db'",
    ],
)
def test_no_statement_can_write_anything(history: Path, sql: str) -> None:
    before = snapshot(history)
    with closing(open_readonly(history)) as connection, pytest.raises(QueryError):
        run_query(connection, sql.format(dir=history.parent))
    assert snapshot(history) == before
    assert sorted(p.name for p in history.parent.glob("*.db")) == ["history.db"]  # no new file


def test_a_runaway_query_is_stopped_at_the_time_limit(history: Path) -> None:
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n"
    started = time.monotonic()
    with closing(open_readonly(history)) as connection:
        with pytest.raises(QueryError, match=r"longer than 0\.2s"):
            run_query(connection, endless, time_limit=0.2)
        assert run_query(connection, "SELECT 1 AS one").rows == [{"one": 1}]  # still usable
    assert time.monotonic() - started < 5


def test_only_one_statement_and_repeated_column_names_stay_apart(history: Path) -> None:
    with closing(open_readonly(history)) as connection:
        with pytest.raises(QueryError, match="one statement"):
            run_query(connection, "SELECT 1; SELECT 2")
        result = run_query(connection, "SELECT 1 AS id, 2 AS id, 3 AS id_2")
    assert result.columns == ["id", "id_2", "id_2_2"]
    assert result.rows == [{"id": 1, "id_2": 2, "id_2_2": 3}]


def test_query_reads_the_views_with_named_parameters(history: Path) -> None:
    sql = (
        "SELECT said_at, stance, shifted_from FROM position_timeline "
        "WHERE topic_id = :topic AND actor_id = :actor ORDER BY said_at"
    )
    result = query(history, sql, "-p", "topic", TOPIC, "-p", "actor", "US", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(row["stance"], row["shifted_from"]) for row in rows] == [
        ("observing", None),
        ("observing", None),
        ("against", "observing"),
        ("against", None),
    ]
    result = query(history, "SELECT actor_id, COUNT(*) AS n FROM position_timeline GROUP BY 1")
    assert result.stdout.split() == ["actor_id", "n", "----------", "---", "UK", "1", "US", "4"]
    result = query(history, "SELECT shift_id, first_source FROM shift_log", "--csv")
    assert result.stdout == "shift_id,first_source\n1,Eastern Europe Wire\n"


def test_reading_is_not_blocked_by_a_writer(history: Path) -> None:
    with Store(history) as writer, writer.transaction():
        writer.db.execute("INSERT INTO feeds (url, name) VALUES ('http://new.example/', 'New')")
        started = time.monotonic()
        result = query(history, "SELECT COUNT(*) AS feeds FROM feeds", "--json")
        assert time.monotonic() - started < 5
    assert json.loads(result.stdout) == [{"feeds": 3}]  # the uncommitted row is not seen


def test_only_watcher_databases_are_opened(tmp_path: Path) -> None:
    with pytest.raises(NotAWatcherDatabase, match="no database here"):
        open_readonly(tmp_path / "none.db")
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as connection:
        connection.execute("CREATE TABLE t (x)")
    with pytest.raises(NotAWatcherDatabase, match="not a watcher database"):
        open_readonly(other)
    text = tmp_path / "notes.txt"
    text.write_text("not SQLite at all, but long enough to look like a header" * 3)
    with pytest.raises(NotAWatcherDatabase, match="not a watcher database"):
        open_readonly(text)
    result = query(other, "SELECT 1")
    assert result.exit_code == 1
    assert "not a watcher database" in result.stderr


def test_query_over_the_demo_history(tmp_path_factory: pytest.TempPathFactory) -> None:
    database = demo_database(tmp_path_factory)
    result = query(
        database,
        "SELECT before_stance, after_stance, source_count FROM shift_log "
        "WHERE actor_id = 'US' AND topic_id = 'coalition-air-cover'",
        "--json",
    )
    assert result.exit_code == 0, result.output
    (shift,) = json.loads(result.stdout)
    assert (shift["before_stance"], shift["after_stance"]) == ("observing", "against")
    refused = query(database, "DELETE FROM shifts")
    assert refused.exit_code == 1 and "readonly" in refused.stderr
