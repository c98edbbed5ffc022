"""Preflight: what a valid config still needs from the machine before watcher can run on it.

The config validates on its own (``watcher.config``); this checks what lies outside it: every
environment variable a ``*_env`` key names is set, and the database path can be opened and
written (its directory too: SQLite creates the ``-wal`` and ``-shm`` files next to it).
``watcher check`` prints these problems and ``watcher run`` refuses to start on them, one line
each, naming the file and the key, as config errors do.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from pydantic import BaseModel

from watcher.config import Config

_SQLITE_HEADER = b"SQLite format 3\x00"


def problems(
    config: Config,
    source: str,
    database: Path,
    database_key: str = "watcher.database",
    environ: Mapping[str, str] | None = None,
) -> list[str]:
    """Every problem found, as ``SOURCE: KEY: message`` lines; empty when all is well.

    ``database_key`` names where the database path came from (``--db`` when given there).
    """
    environ = os.environ if environ is None else environ
    found = [
        f"{source}: {key}: environment variable {name} is not set"
        for key, name in _env_keys(config)
        if not environ.get(name, "").strip()
    ]
    found += [f"{source}: {database_key}: {problem}" for problem in _database_problems(database)]
    return found


def _env_keys(model: BaseModel, path: str = "") -> Iterator[tuple[str, str]]:
    """(key path, variable name) of every ``*_env`` key that is set, anywhere in ``model``."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        key = f"{path}.{name}" if path else name
        if isinstance(value, BaseModel):
            yield from _env_keys(value, key)
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from _env_keys(item, f"{key}[{index}]")
        elif name.endswith("_env") and isinstance(value, str) and value:
            yield key, value


def _database_problems(path: Path) -> list[str]:
    if path.is_dir():
        return [f"{path} is a directory, not a database file"]
    if path.exists():
        if not path.is_file():
            return [f"{path} is not a regular file"]
        try:
            with path.open("r+b") as handle:
                header = handle.read(len(_SQLITE_HEADER))
        except OSError as exc:
            return [f"{path} cannot be opened for writing ({exc.strerror or exc})"]
        if header and header != _SQLITE_HEADER:
            return [f"{path} is not a SQLite database"]
    return _directory_problems(path.parent)


def _directory_problems(directory: Path) -> list[str]:
    """Can the database's directory be created (if missing) and written to?"""
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return [f"{existing} is not a directory, so {directory} cannot hold the database"]
    try:  # a real attempt: permission bits say nothing for root or a read-only mount
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        what = "is not writable" if existing == directory else f"cannot be created in {existing}"
        return [f"directory {directory} {what} ({exc.strerror or exc})"]
    return []
