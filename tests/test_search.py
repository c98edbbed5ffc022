"""Full-text search: the FTS5 index kept in sync by triggers, ranking, snippets, the command."""

from __future__ import annotations

import json
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from historystore import STORIES, TOPIC, build_history, demo_database
from sqlite_utils import Database

from watcher.cli import cli
from watcher.history.connection import open_readonly
from watcher.history.filters import HistoryFilter
from watcher.history.search import SearchError, plain_query, search_stories
from watcher.models import Story
from watcher.store import Store
from watcher.store.migrations import MIGRATIONS, migrate


def titles(database: Path, text: str, **options: object) -> list[str]:
    with closing(open_readonly(database)) as connection:
        return [row["title"] for row in search_stories(connection, text, **options)]


def story(story_id: str, title: str, text: str) -> Story:
    return Story(id=story_id, feed_url="http://f.example/rss", title=title, text=text)


def test_the_index_follows_inserts_revisions_and_deletes(store: Store) -> None:
    with store.transaction():
        store.stories.add(story("a", "Grain exports", "Ports shipped record volumes."), ["k:a"])
    assert titles(store.path, "record volumes") == ["Grain exports"]
    with store.transaction():
        store.stories.revise("a", story("a", "Grain exports", "Ports shipped less."))
    assert titles(store.path, "record volumes") == []
    assert titles(store.path, "shipped less") == ["Grain exports"]
    with store.transaction():
        store.db.execute(
            "INSERT INTO stories (id, title, text, content_hash, first_seen_at) "
            "VALUES ('b', 'Gone', 'soon deleted', 'h', '2025-01-01T00:00:00+00:00')"
        )
    assert titles(store.path, "deleted") == ["Gone"]
    with store.transaction():
        store.db.execute("DELETE FROM stories WHERE id = 'b'")
    assert titles(store.path, "deleted") == []


def test_migration_indexes_the_stories_already_stored(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with closing(Database(path)) as old:
        migrate(old, tuple(m for m in MIGRATIONS if m.version < 4))
        assert "stories_fts" not in old.table_names()
        old.execute(
            "INSERT INTO stories (id, title, text, content_hash, first_seen_at) "
            "VALUES ('old', 'Kept from before', 'aerial cover refused', 'h', '2025-01-01')"
        )
        old.conn.commit()
    assert titles(path, "aerial cover") == ["Kept from before"]  # open_readonly migrated it


def test_results_are_ranked_title_hits_first_with_marked_snippets(store: Store) -> None:
    with store.transaction():
        store.stories.add(story("text", "Talks in London", "They discussed a backstop."), ["1"])
        store.stories.add(story("title", "Backstop ruled out", "Officials spoke."), ["2"])
    with closing(open_readonly(store.path)) as connection:
        rows = search_stories(connection, "backstop", marks=("<b>", "</b>"))
    assert [row["story_id"] for row in rows] == ["title", "text"]
    assert rows[0]["relevance"] > rows[1]["relevance"]
    assert "<b>backstop</b>" in rows[1]["snippet"]


def test_matching_ignores_case_accents_and_word_endings(store: Store) -> None:
    with store.transaction():
        store.stories.add(story("a", "Défense aérienne", "Air covers were refused."), ["1"])
    assert titles(store.path, "defense AERIENNE") == ["Défense aérienne"]
    assert titles(store.path, "air cover refusing") == ["Défense aérienne"]


def test_plain_queries_treat_operators_and_punctuation_as_text() -> None:
    assert plain_query("aerial cover") == '"aerial" "cover"'
    assert plain_query('U.S. NOT "air cover"') == '"U.S." "NOT" "air cover"'
    assert plain_query('say "hi') == '"say" "hi"'  # an unclosed quote closes at the end
    assert plain_query('a"b') == '"a""b"'
    assert plain_query('  ""  ') == ""


def test_words_must_all_appear_and_quotes_make_a_phrase(tmp_path: Path) -> None:
    history = build_history(tmp_path / "h.db")
    assert titles(history, "aerial cover") == [STORIES["june"].title]
    assert titles(history, '"cover aerial"') == []
    assert titles(history, "NOT OR AND (") == []  # operators are words: no syntax error
    assert set(titles(history, "aerial OR grain", raw=True)) == {
        STORIES["june"].title,
        STORIES["grain"].title,
    }
    with closing(open_readonly(history)) as connection, pytest.raises(SearchError):
        search_stories(connection, "aerial AND (", raw=True)


def test_search_filters_by_topic_and_publication_date(tmp_path: Path) -> None:
    history = build_history(tmp_path / "h.db")
    assert STORIES["grain"].title in titles(history, "record")
    assert titles(history, "record", selection=HistoryFilter(topic=TOPIC)) == []
    june = HistoryFilter(since=datetime(2025, 6, 12, tzinfo=UTC))
    assert titles(history, "air", selection=june) == [STORIES["reworded"].title]


def test_search_command(tmp_path: Path) -> None:
    history = build_history(tmp_path / "h.db")
    result = CliRunner().invoke(cli, ["--db", str(history), "search", "aerial cover"])
    assert result.exit_code == 0, result.output
    assert "[aerial] [cover]" in result.stdout
    assert "1 story" in result.stderr
    result = CliRunner().invoke(cli, ["--db", str(history), "search", "air", "--json"])
    rows = json.loads(result.stdout)
    assert len(rows) == 2 and rows[0]["topics"] == [TOPIC]
    result = CliRunner().invoke(cli, ["--db", str(history), "search", "NEAR(", "--raw"])
    assert result.exit_code == 2
    assert "cannot search for" in result.stderr


def test_search_finds_the_demo_seed_story_by_aerial_cover(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    database = demo_database(tmp_path_factory)
    with closing(open_readonly(database)) as connection:
        rows = search_stories(connection, "aerial cover")
    assert rows, "the seed story was not found"
    assert "refuses to provide aerial cover" in rows[0]["title"]
    assert "[aerial] [cover]" in rows[0]["snippet"]
    # syndicated by two feeds, indexed once
    assert len([row for row in rows if row["title"] == rows[0]["title"]]) == 1
