"""The daemon's heartbeat: one row in the database that says the daemon is alive.

The daemon rewrites it every ``[daemon] heartbeat_interval`` from its event loop, so a beat also
proves the loop is not stuck. ``watcher status`` reads it from any process or container that can
open the database, and calls the daemon dead when the last beat is older than ``stale_after``.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, replace
from datetime import datetime

from sqlite_utils import Database

from watcher import __version__
from watcher.store.sql import write_transaction
from watcher.timeutil import from_iso, to_iso

RUNNING = "running"
STOPPED = "stopped"


@dataclass(frozen=True)
class Heartbeat:
    """The daemon's last sign of life."""

    pid: int
    host: str
    version: str
    state: str  # running | stopped
    started_at: datetime
    beat_at: datetime
    stale_after: float  # seconds
    feeds: int  # feeds scheduled
    config_loaded_at: datetime
    reload_error: str | None = None  # why the last reload was rejected (None: it was not)

    def age(self, now: datetime) -> float:
        """Seconds since the last beat."""
        return (now - self.beat_at).total_seconds()

    def alive(self, now: datetime) -> bool:
        """True while the daemon runs and beat recently enough."""
        return self.state == RUNNING and self.age(now) <= self.stale_after

    def beat(self, now: datetime, **changes: object) -> Heartbeat:
        """This heartbeat at ``now``, with other fields changed as given."""
        return replace(self, beat_at=now, **changes)


def starting(now: datetime, stale_after: float, feeds: int) -> Heartbeat:
    """The first heartbeat of this process."""
    return Heartbeat(
        pid=os.getpid(),
        host=socket.gethostname(),
        version=__version__,
        state=RUNNING,
        started_at=now,
        beat_at=now,
        stale_after=stale_after,
        feeds=feeds,
        config_loaded_at=now,
    )


def write(db: Database, heartbeat: Heartbeat) -> None:
    """Store ``heartbeat`` as the one heartbeat row."""
    with write_transaction(db):
        db.execute(
            "INSERT OR REPLACE INTO daemon_heartbeat (id, pid, host, version, state, started_at, "
            "beat_at, stale_after, feeds, config_loaded_at, reload_error) "
            "VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                heartbeat.pid,
                heartbeat.host,
                heartbeat.version,
                heartbeat.state,
                to_iso(heartbeat.started_at),
                to_iso(heartbeat.beat_at),
                heartbeat.stale_after,
                heartbeat.feeds,
                to_iso(heartbeat.config_loaded_at),
                heartbeat.reload_error,
            ],
        )


def read(db: Database) -> Heartbeat | None:
    """The stored heartbeat, or None if no daemon ever ran on this database."""
    rows = list(db.query("SELECT * FROM daemon_heartbeat WHERE id = 1"))
    if not rows:
        return None
    row = rows[0]
    return Heartbeat(
        pid=row["pid"],
        host=row["host"],
        version=row["version"],
        state=row["state"],
        started_at=from_iso(row["started_at"]),
        beat_at=from_iso(row["beat_at"]),
        stale_after=row["stale_after"],
        feeds=row["feeds"],
        config_loaded_at=from_iso(row["config_loaded_at"]),
        reload_error=row["reload_error"],
    )
