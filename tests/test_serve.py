"""`watcher serve`: Datasette on 127.0.0.1 with described views and canned queries, read-only."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from historystore import TOPIC, build_history
from serving import watcher_serve

from watcher.cli import cli
from watcher.history.browse import CANNED_QUERIES, datasette_metadata
from watcher.history.connection import open_readonly
from watcher.history.export import view_columns
from watcher.history.schema import VIEWS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`watcher serve` in a subprocess over a known history; yields the database's base URL.

    One server for the module: the tests only read (and check that writing fails).
    """
    tmp_path = tmp_path_factory.mktemp("serve")
    database = build_history(tmp_path / "history.db")
    with watcher_serve(database, tmp_path) as base:
        yield f"{base}/history"


def test_a_canned_query_returns_rows_over_http(served: str) -> None:
    response = httpx.get(
        f"{served}/timeline.json", params={"topic": TOPIC, "actor": "US", "_shape": "array"}
    )
    assert response.status_code == 200
    rows = response.json()
    assert [(row["stance"], row["shifted_from"]) for row in rows] == [
        ("observing", None),
        ("observing", None),
        ("against", "observing"),
        ("against", None),
    ]
    first = httpx.get(f"{served}/who_reported_first.json", params={"_shape": "array"}).json()
    assert [row["outlet"] for row in first][:2] == ["Eastern Europe Wire", "Ukraine Briefing"]
    found = httpx.get(
        f"{served}/search_stories.json", params={"q": "aerial cover", "_shape": "array"}
    ).json()
    assert [row["story_id"] for row in found] == ["story-june"]


def test_the_served_database_cannot_be_written(served: str) -> None:
    response = httpx.get(
        f"{served}.json", params={"sql": "INSERT INTO feeds (url) VALUES ('http://x.example/')"}
    )
    assert response.status_code == 400
    count = httpx.get(
        f"{served}.json", params={"sql": "SELECT COUNT(*) AS n FROM feeds", "_shape": "array"}
    ).json()
    assert count == [{"n": 3}]
    page = httpx.get(f"{served}/shift_log").text
    assert "Every detected change of an actor" in page  # the view's description is shown


def test_every_view_column_is_described_for_datasette(tmp_path: Path) -> None:
    with closing(open_readonly(build_history(tmp_path / "h.db"))) as connection:
        for view, doc in VIEWS.items():
            assert list(doc.columns) == view_columns(connection, view), view
    tables = datasette_metadata("h")["databases"]["h"]["tables"]
    assert set(tables) == set(VIEWS)
    for query in CANNED_QUERIES.values():
        assert not query.get("write"), "a canned query must never write"


def test_the_user_docs_describe_every_view_and_column() -> None:
    docs = (ROOT / "docs" / "history.md").read_text(encoding="utf-8")
    for view, doc in VIEWS.items():
        section = docs[docs.index(f"### `{view}`") :]
        section = section[: section.find("\n### ", 1)] if "\n### " in section[1:] else section
        documented = re.findall(r"^\| `(\w+)` \| (.*) \|$", section, flags=re.MULTILINE)
        assert documented == list(doc.columns.items()), view  # same columns, same words


def test_serve_without_datasette_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = build_history(tmp_path / "h.db")
    monkeypatch.setitem(sys.modules, "datasette.app", None)  # as if the extra were missing
    monkeypatch.delitem(sys.modules, "watcher.view", raising=False)  # imported again, without it
    result = CliRunner().invoke(cli, ["--db", str(database), "serve", "--port", "0"])
    assert result.exit_code == 1
    assert "pip install 'watcher[serve]'" in result.stderr
