"""One daemon per database: an exclusive lock on a file beside it, held while the daemon runs.

Two daemons on one database would poll every feed twice and race on the same stories. The lock
is an ``flock``, so the kernel releases it when the process dies, however it dies.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class AlreadyRunning(Exception):
    """Another daemon holds the database's lock."""


def lock_path(database: Path) -> Path:
    """The lock file that goes with ``database``."""
    return database.with_name(database.name + ".lock")


@contextmanager
def single_instance(database: Path) -> Iterator[None]:
    """Hold the database's daemon lock for the ``with`` block; raise AlreadyRunning if taken."""
    path = lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="ascii") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise AlreadyRunning(
                f"another `watcher run` (pid {holder}) is using {database}; stop it first"
            ) from None
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
