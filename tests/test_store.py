"""The SQLite store: schema versions, WAL, position history semantics, outbox."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from watcher.config import FeedSettings, ShiftSettings
from watcher.diff import decide_shift
from watcher.models import Decision, FetchResult, ParsedFeed, Position, Stance, StanceVerdict
from watcher.store import Store
from watcher.store import feeds as feed_records
from watcher.store.migrations import MIGRATIONS, Migration, migrate, run_script, schema_version


def test_new_database_is_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    with Store(tmp_path / "sub" / "w.db") as store:
        assert store.db.journal_mode == "wal"
        assert schema_version(store.db) == MIGRATIONS[-1].version
    with Store(tmp_path / "sub" / "w.db") as again:  # reopening applies nothing twice
        rows = again.db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0]
        assert rows == len(MIGRATIONS)


def test_failed_migration_leaves_no_trace(store: Store) -> None:
    broken = (
        *MIGRATIONS,
        Migration(99, "broken", lambda db: run_script(db, "CREATE TABLE a(x); CREATE TABLE (")),
    )
    with pytest.raises(sqlite3.OperationalError):
        migrate(store.db, broken)
    assert "a" not in store.db.table_names()
    assert schema_version(store.db) == MIGRATIONS[-1].version


def test_a_missing_older_migration_is_applied_even_after_newer_ones(store: Store) -> None:
    store.db.execute("DELETE FROM schema_migrations")
    late = Migration(0, "late", lambda db: run_script(db, "CREATE TABLE late(x)"))
    assert migrate(store.db, (late,)) == [0]
    assert "late" in store.db.table_names()


def test_database_newer_than_the_code_is_refused(store: Store) -> None:
    store.db["schema_migrations"].insert(
        {"version": 999, "description": "future", "applied_at": "x"}
    )
    with pytest.raises(RuntimeError, match="versions this watcher does not know"):
        migrate(store.db)


def pos(stance: Stance, text: str, day: int) -> Position:
    return Position(
        topic_id="t",
        actor_id="US",
        story_id="",
        verdict=StanceVerdict(stance, 0.9, evidence=(text,), cues=("cue",), explanation="why"),
        published=datetime(2025, 6, day, tzinfo=UTC),
        link=f"https://x/{day}",
        source_title="Outlet",
    )


def record(store: Store, position: Position) -> tuple[Decision, int | None]:
    prior = store.positions.current(position.topic_id, position.actor_id)
    decision = decide_shift(prior.position if prior else None, position, ShiftSettings())
    with store.transaction():
        _, shift_id = store.positions.record(position, decision, prior)
    return decision.decision, shift_id


def test_current_position_is_the_freshest_statement_of_the_stance_in_force(store: Store) -> None:
    assert record(store, pos(Stance.OBSERVING, "No decision yet.", 1))[0] is Decision.BASELINE
    assert record(store, pos(Stance.OBSERVING, "Washington is still weighing it.", 2))[0] is (
        Decision.RESTATED
    )
    current = store.positions.current("t", "US")
    assert current.position.statement == "Washington is still weighing it."  # fresher wording
    decision, shift_id = record(store, pos(Stance.AGAINST, "The US refused.", 3))
    assert decision is Decision.SHIFT
    shift = store.positions.shift(shift_id)
    assert (shift["before_stance"], shift["after_stance"]) == ("observing", "against")
    assert store.positions.get(shift["before_position_id"]).statement == (
        "Washington is still weighing it."
    )
    # a hedge after the refusal is history, not the current stance; the next refusal is no shift
    assert record(store, pos(Stance.OBSERVING, "It may reconsider, sources say.", 4))[0] is (
        Decision.RESTATED
    )
    assert store.positions.current("t", "US").position.stance is Stance.AGAINST
    assert record(store, pos(Stance.AGAINST, "Washington turned the request down.", 5))[0] is (
        Decision.RESTATED
    )
    assert len(store.positions.shifts()) == 1


def test_position_round_trips(store: Store) -> None:
    original = pos(Stance.FOR, "The US will provide air cover.", 1)
    record(store, original)
    assert store.positions.current("t", "US").position == original


def test_outbox_rows_are_unique_per_shift_and_channel(store: Store) -> None:
    record(store, pos(Stance.FOR, "Yes.", 1))
    _, shift_id = record(store, pos(Stance.AGAINST, "No.", 2))
    store.deliveries.enqueue(shift_id, {"console": "rule", "mail": "rule"})
    store.deliveries.enqueue(shift_id, {"console": "rule"})
    assert [(d["channel"], d["status"]) for d in store.deliveries.pending()] == [
        ("console", "pending"),
        ("mail", "pending"),
    ]
    first = store.deliveries.pending()[0]["id"]
    now = datetime.now(UTC)
    claim = store.deliveries.claim([first], "worker:1", now, now)
    store.deliveries.finish_failed(claim, now, "boom", now, max_attempts=5)
    store.deliveries.finish_sent(store.deliveries.claim([first], "worker:1", now, now), now)
    sent = next(d for d in store.deliveries.all() if d["id"] == first)
    assert (sent["status"], sent["attempts"]) == ("sent", 2)


def test_fetch_outcomes_update_feed_health(store: Store, monkeypatch) -> None:
    url = "https://news.example/rss"
    store.feeds.sync([FeedSettings(url=url, name="News")])
    failure = FetchResult(url=url, final_url=url, status=500, error="HTTP 500")
    store.feeds.record_fetch(failure)
    store.feeds.record_fetch(failure)
    row = store.feeds.all()[0]
    assert (row["consecutive_failures"], row["last_error"], row["last_status"]) == (
        2,
        "HTTP 500",
        500,
    )
    ok = FetchResult(url=url, final_url=url, status=200, body=b"x", etag='"e1"', body_hash="h")
    store.feeds.record_fetch(ok)
    state = store.feeds.state(url)
    assert (state.etag, state.body_hash) == ('"e1"', "h")
    assert store.feeds.all()[0]["consecutive_failures"] == 0
    monkeypatch.setattr(feed_records, "ERRORS_KEPT_PER_FEED", 3)
    for n in range(5):
        store.feeds.record_parse(ParsedFeed(url=url, stories=(), error=f"bad {n}"))
    assert [e["message"] for e in store.feeds.errors(url)] == ["bad 4", "bad 3", "bad 2"]
