"""Write transactions hold SQLite's write lock from their start, on real database files.

A deferred ``BEGIN`` reads first and asks for the lock at its first write; when another
connection committed in between, SQLite refuses at once ("database is locked") whatever the
busy timeout. These tests make that interleaving happen on purpose.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from feedserver import FeedServer
from rss import Item, rss
from sqlite_utils import Database

from watcher.config import FeedSettings, config_from_dict
from watcher.daemon import heartbeat
from watcher.fetch import fetch_all
from watcher.pipeline import Pipeline
from watcher.store import Store
from watcher.store.sql import enable_wal
from watcher.timeutil import from_iso

URL = "https://news.example/feed.xml"
DATE = "Wed, 11 Jun 2025 18:20:00 GMT"


def write_from_another_connection(path: Path, done: threading.Event, errors: list) -> None:
    """What the dispatcher's or the heartbeat's connection does meanwhile: a small commit."""
    try:
        with Store(path) as other:
            beat = heartbeat.starting(from_iso("2026-01-01T00:00:00+00:00"), 60, 1)
            heartbeat.write(other.db, beat)
    except sqlite3.Error as exc:
        errors.append(exc)
    finally:
        done.set()


def test_a_transaction_that_reads_first_keeps_the_right_to_write(tmp_path: Path) -> None:
    path = tmp_path / "watcher.db"
    with Store(path) as store:
        store.feeds.sync([FeedSettings(url=URL)])
        done, errors = threading.Event(), []
        with store.transaction():
            store.feeds.state(URL)  # the ingest reads before it writes
            writer = threading.Thread(
                target=write_from_another_connection, args=(path, done, errors)
            )
            writer.start()
            # The other connection waits for this transaction instead of committing under it.
            assert not done.wait(0.3)
            store.feeds.count_items(URL, 1)  # with a deferred BEGIN: "database is locked"
        writer.join(10)
        assert done.is_set() and errors == []
        assert store.feeds.get(URL)["items_seen"] == 1
        assert heartbeat.read(store.db) is not None


def test_nested_transactions_are_savepoints(store: Store) -> None:
    store.feeds.sync([FeedSettings(url=URL)])
    with store.transaction():
        store.feeds.count_items(URL, 1)
        with pytest.raises(RuntimeError), store.transaction():
            store.feeds.count_items(URL, 10)
            raise RuntimeError("the inner part fails")
        store.feeds.count_items(URL, 100)
    assert store.feeds.get(URL)["items_seen"] == 101


def test_a_failed_transaction_leaves_nothing_and_the_connection_usable(store: Store) -> None:
    store.feeds.sync([FeedSettings(url=URL)])
    with pytest.raises(sqlite3.IntegrityError), store.transaction():
        store.feeds.count_items(URL, 1)
        store.db.execute("INSERT INTO feeds (url) VALUES (?)", [URL])  # duplicate key
    assert not store.db.conn.in_transaction
    assert store.feeds.get(URL)["items_seen"] == 0
    with store.transaction():
        store.feeds.count_items(URL, 2)
    assert store.feeds.get(URL)["items_seen"] == 2


def test_processes_opening_a_new_database_at_once_migrate_it_once(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    start, errors = threading.Barrier(6), []

    def open_store() -> None:
        start.wait()
        try:
            Store(path).close()
        except sqlite3.Error as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    with Store(path) as store:
        versions = [r[0] for r in store.db.execute("SELECT version FROM schema_migrations")]
    assert versions == sorted(set(versions))


def _reader_holding_the_file(path: Path) -> sqlite3.Connection:
    """A connection in a read transaction on a rollback-journal file: the WAL switch must wait."""
    reader = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    reader.execute("CREATE TABLE t (x)")
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM t").fetchall()
    return reader


def test_the_switch_to_wal_is_retried_until_the_other_connection_lets_go(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    reader = _reader_holding_the_file(path)
    db = Database(path)
    db.execute("PRAGMA busy_timeout = 0")  # SQLite's own wait off: only the retry can succeed
    threading.Timer(0.3, reader.rollback).start()
    enable_wal(db, wait_seconds=10)
    assert db.journal_mode == "wal"
    reader.close()


def test_the_switch_to_wal_gives_up_after_its_wait(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    reader = _reader_holding_the_file(path)
    db = Database(path)
    db.execute("PRAGMA busy_timeout = 0")
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        enable_wal(db, wait_seconds=0.2)
    assert time.monotonic() - started < 5
    reader.close()


def test_the_lock_wait_is_bounded_by_the_busy_timeout(tmp_path: Path) -> None:
    """A writer that holds the lock too long makes the others fail cleanly, not hang."""
    path = tmp_path / "watcher.db"
    with Store(path) as store, Store(path) as other:
        store.feeds.sync([FeedSettings(url=URL)])
        other.db.execute("PRAGMA busy_timeout = 200")
        with store.transaction():
            started = time.monotonic()
            with pytest.raises(sqlite3.OperationalError, match="locked"), other.transaction():
                pass
            assert time.monotonic() - started < 5


def test_stories_the_store_refuses_are_retried_by_the_next_poll(
    server: FeedServer, tmp_path: Path
) -> None:
    """Another writer holds the lock past the busy timeout: nothing is lost, nothing crashes."""
    path = tmp_path / "watcher.db"
    server.set("/wire.xml", rss("Wire", [Item(f"g{n}", f"Story {n}", "Text.", DATE)
                                         for n in range(5)]), etag='"v1"')  # fmt: skip
    config = config_from_dict({"feeds": [{"url": server.url("/wire.xml")}]}, source="test")
    with Store(path) as store, Store(path) as blocker:
        store.db.execute("PRAGMA busy_timeout = 100")
        pipeline = Pipeline(config, store)
        store.feeds.sync(config.feeds)
        results = asyncio.run(fetch_all([store.feeds.state(server.url("/wire.xml"))], config.fetch))
        with blocker.transaction():  # e.g. a long `watcher alerts retry` in another process
            report = pipeline.ingest(results)
        assert report.story_errors >= 1 and report.new_stories == 0
        assert "not recorded (retried)" in report.summary()
        assert store.feeds.state(server.url("/wire.xml")).etag is None  # validators stay old

        again = asyncio.run(pipeline.poll())
        assert (again.new_stories, again.story_errors) == (5, 0)
        assert store.stories.count() == 5
        assert store.feeds.state(server.url("/wire.xml")).etag == '"v1"'
