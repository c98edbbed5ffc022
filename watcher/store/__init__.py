"""The SQLite store: one file, WAL mode, versioned schema, split by concern.

``Store`` is the facade the pipeline uses; each concern (feeds, stories, positions, deliveries)
has its own small class over the same connection.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

from sqlite_utils import Database

from watcher.store.corrections import CorrectionRecords
from watcher.store.deliveries import DeliveryRecords
from watcher.store.feeds import FeedRecords
from watcher.store.judgements import JudgeRecords
from watcher.store.migrations import migrate
from watcher.store.positions import PositionRecords, StoredPosition
from watcher.store.shift_sources import ShiftSourceRecords
from watcher.store.sql import enable_wal, write_transaction
from watcher.store.stories import StoryRecords

__all__ = ["Store", "StoredPosition"]

# How long a connection waits for another one's lock before "database is locked".
BUSY_TIMEOUT_SECONDS = 10


class Store:
    """An open watcher database."""

    def __init__(self, path: Path | str) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = Database(path)
        # the CLI may read while the daemon writes
        self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
        self.db.execute("PRAGMA foreign_keys = ON")
        enable_wal(self.db, BUSY_TIMEOUT_SECONDS)
        # With WAL, NORMAL never corrupts the file and survives a crash of the process; only a
        # power loss can undo the last commits, and each commit holds a story with its positions,
        # shifts and queued alerts together, so nothing half-recorded survives. FULL cost an fsync
        # per story (docs/benchmarks.md).
        self.db.execute("PRAGMA synchronous = NORMAL")
        migrate(self.db)
        self.feeds = FeedRecords(self.db)
        self.stories = StoryRecords(self.db)
        self.positions = PositionRecords(self.db)
        self.deliveries = DeliveryRecords(self.db)
        self.shift_sources = ShiftSourceRecords(self.db)
        self.corrections = CorrectionRecords(self.db)
        self.judgements = JudgeRecords(self.db)

    def transaction(self) -> AbstractContextManager[Database]:
        """A write transaction holding the write lock from its start; nested: savepoints."""
        return write_transaction(self.db)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
