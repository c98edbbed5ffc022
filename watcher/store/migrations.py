"""Versioned schema migrations. Append new steps; never edit a released one."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlite_utils import Database

from watcher.store.article_schema import ARTICLE_SCHEMA
from watcher.store.corrections_schema import CORRECTIONS_SCHEMA
from watcher.store.daemon_schema import DAEMON_SCHEMA
from watcher.store.history_schema import HISTORY_SCHEMA
from watcher.store.judge_schema import JUDGE_SCHEMA
from watcher.store.outbox_schema import OUTBOX_SCHEMA
from watcher.store.sql import write_transaction


@dataclass(frozen=True)
class Migration:
    """One schema step, applied once, in its own transaction."""

    version: int
    description: str
    apply: Callable[[Database], None]


def run_script(db: Database, script: str) -> None:
    """Run several statements inside the current transaction.

    ``executescript`` would commit first, so a failing migration could leave half a schema.
    """
    statement = ""
    for piece in script.split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):
            if statement.strip(" \n;"):
                db.execute(statement)
            statement = ""


def _initial_schema(db: Database) -> None:
    run_script(
        db,
        """
        CREATE TABLE feeds (
            url TEXT PRIMARY KEY,
            name TEXT NOT NULL DEFAULT '',
            enabled INTEGER NOT NULL DEFAULT 1,
            disabled_reason TEXT,
            etag TEXT,
            last_modified TEXT,
            body_hash TEXT,
            last_status INTEGER,
            last_polled_at TEXT,
            last_success_at TEXT,
            last_error TEXT,
            last_error_at TEXT,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            items_seen INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE feed_errors (
            id INTEGER PRIMARY KEY,
            feed_url TEXT NOT NULL REFERENCES feeds(url),
            stage TEXT NOT NULL,          -- fetch | parse | process
            message TEXT NOT NULL,
            occurred_at TEXT NOT NULL
        );
        CREATE INDEX feed_errors_by_feed ON feed_errors(feed_url, id);

        CREATE TABLE stories (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            text TEXT NOT NULL,
            link TEXT,
            published TEXT,
            content_hash TEXT NOT NULL,
            first_seen_at TEXT NOT NULL
        );
        CREATE INDEX stories_by_published ON stories(published);
        -- every feed entry that carried a story: one story, several sources when syndicated
        CREATE TABLE story_sources (
            story_id TEXT NOT NULL REFERENCES stories(id),
            feed_url TEXT NOT NULL,
            entry_id TEXT NOT NULL,       -- the parsed entry's own stable id
            link TEXT,
            guid TEXT,
            published TEXT,
            seen_at TEXT NOT NULL,
            PRIMARY KEY (story_id, entry_id)
        );
        -- keys under which a story is recognised again: guid, canonical link, content hash
        CREATE TABLE story_keys (
            key TEXT PRIMARY KEY,
            story_id TEXT NOT NULL REFERENCES stories(id)
        );
        CREATE TABLE story_topics (
            story_id TEXT NOT NULL REFERENCES stories(id),
            topic_id TEXT NOT NULL,
            score REAL NOT NULL,
            terms TEXT NOT NULL,          -- JSON list
            sentences TEXT NOT NULL,      -- JSON list
            PRIMARY KEY (story_id, topic_id)
        );
        CREATE INDEX story_topics_by_topic ON story_topics(topic_id);

        -- append-only history of positions; the decision says how each compared with the prior
        CREATE TABLE positions (
            id INTEGER PRIMARY KEY,
            topic_id TEXT NOT NULL,
            actor_id TEXT NOT NULL,
            story_id TEXT REFERENCES stories(id),   -- NULL for seeded starting positions
            stance TEXT NOT NULL,
            confidence REAL NOT NULL,
            evidence TEXT NOT NULL,       -- JSON list of sentences
            cues TEXT NOT NULL,           -- JSON list
            explanation TEXT NOT NULL,
            published TEXT,
            link TEXT,
            source_title TEXT NOT NULL DEFAULT '',
            decision TEXT NOT NULL,       -- baseline | shift | same | restated | late
            decision_reason TEXT NOT NULL,
            compared_to INTEGER REFERENCES positions(id),
            recorded_at TEXT NOT NULL
        );
        CREATE INDEX positions_by_actor ON positions(topic_id, actor_id, decision, id);
        CREATE INDEX positions_by_story ON positions(story_id);

        CREATE TABLE shifts (
            id INTEGER PRIMARY KEY,
            topic_id TEXT NOT NULL,
            actor_id TEXT NOT NULL,
            before_position_id INTEGER REFERENCES positions(id),  -- NULL: alerted baseline
            after_position_id INTEGER NOT NULL UNIQUE REFERENCES positions(id),
            before_stance TEXT,
            after_stance TEXT NOT NULL,
            reason TEXT NOT NULL,
            similarity REAL NOT NULL,
            diff TEXT NOT NULL,           -- JSON list of [tag, before, after]
            detected_at TEXT NOT NULL
        );
        CREATE INDEX shifts_by_topic ON shifts(topic_id, actor_id, id);

        -- the outbox: one row per (shift, channel), written with the shift, sent by the dispatcher
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            shift_id INTEGER NOT NULL REFERENCES shifts(id),
            channel TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',  -- pending | sent | dead
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            UNIQUE (shift_id, channel)
        );
        CREATE INDEX deliveries_pending ON deliveries(status, id);
        """,
    )


def _outbox_schema(db: Database) -> None:
    run_script(db, OUTBOX_SCHEMA)


def _daemon_schema(db: Database) -> None:
    run_script(db, DAEMON_SCHEMA)


def _history_schema(db: Database) -> None:
    run_script(db, HISTORY_SCHEMA)


def _corrections_schema(db: Database) -> None:
    run_script(db, CORRECTIONS_SCHEMA)


def _article_schema(db: Database) -> None:
    run_script(db, ARTICLE_SCHEMA)


def _judge_schema(db: Database) -> None:
    run_script(db, JUDGE_SCHEMA)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _initial_schema),
    Migration(2, "outbox: retries, claims, attempt log; shift sources", _outbox_schema),
    Migration(3, "daemon: feed schedule, moves and hints; heartbeat", _daemon_schema),
    Migration(4, "full-text search over stories; history views", _history_schema),
    Migration(
        6, "corrections of shifts, shift status, mutes; views show them", _corrections_schema
    ),
    Migration(7, "articles read behind feed entries; evidence source", _article_schema),
    Migration(8, "language-model judge: answers cache, calls, rulings on shifts", _judge_schema),
)


def applied_versions(db: Database) -> set[int]:
    """The versions already applied to ``db``."""
    if "schema_migrations" not in db.table_names():
        return set()
    return {row[0] for row in db.execute("SELECT version FROM schema_migrations")}


def schema_version(db: Database) -> int:
    """The highest applied migration, 0 for a new database."""
    return max(applied_versions(db), default=0)


def migrate(db: Database, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[int]:
    """Apply every migration not yet applied, in version order; return the versions applied."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    applied = applied_versions(db)
    unknown = applied - {m.version for m in migrations}
    if unknown:
        raise RuntimeError(
            f"database has schema versions this watcher does not know ({sorted(unknown)}); "
            "upgrade watcher"
        )
    newly_applied = []
    for migration in sorted(migrations, key=lambda m: m.version):
        if migration.version in applied:
            continue
        with write_transaction(db):
            if migration.version in applied_versions(db):
                continue  # another process applied it while this one waited for the lock
            migration.apply(db)
            db["schema_migrations"].insert(
                {
                    "version": migration.version,
                    "description": migration.description,
                    "applied_at": datetime.now(UTC).isoformat(timespec="seconds"),
                }
            )
        newly_applied.append(migration.version)
    return newly_applied
