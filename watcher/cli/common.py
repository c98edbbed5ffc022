"""What every command shares: finding and loading the config, opening the store."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import click

from watcher import logs, preflight, redact
from watcher.config import Config, ConfigError, load_config
from watcher.models import Topic
from watcher.store import Store


class ConfigProblem(click.ClickException):
    """A config that cannot be used: the message names the file and the key."""

    exit_code = 2


@dataclass
class Context:
    """Options of the root command, available to every subcommand."""

    config_path: Path
    database: Path | None = None

    def config(self) -> Config:
        """Load and validate the config, or exit with its problems."""
        try:
            config = load_config(self.config_path)
        except ConfigError as exc:
            raise ConfigProblem(str(exc)) from None
        redact.protect(config)  # its secrets never appear in a log line or on screen
        return config

    def runnable_config(self) -> Config:
        """The config, or exit with every problem that would stop watcher running on it.

        Beyond validation: the environment variables it names are set, and the database can be
        written (see :mod:`watcher.preflight`). ``check`` and ``run`` both insist on this.
        """
        config = self.config()
        database = Path(self.database or config.watcher.database)
        key = "--db" if self.database else "watcher.database"
        found = preflight.problems(config, str(self.config_path), database, key)
        if found:
            raise ConfigProblem("\n".join(found))
        return config

    def store(self, config: Config) -> Store:
        """Open the database the config (or --db) names."""
        return open_store(Path(self.database or config.watcher.database))


def open_store(path: Path) -> Store:
    """Open (and migrate) the database, or exit with why it cannot be (not a traceback)."""
    try:
        return Store(path)
    except (OSError, sqlite3.Error) as exc:
        problem = "is a directory" if path.is_dir() else str(exc)
        raise click.ClickException(f"cannot open the database {path}: {problem}") from None


pass_context = click.make_pass_decorator(Context)


def configured_topic(config: Config, topic_id: str) -> Topic:
    """The topic the config tracks under ``topic_id``, or a usage error naming the known ones."""
    topics = {topic.id: topic for topic in config.topic_list()}
    if topic_id not in topics:
        raise click.BadParameter(
            f"no topic {topic_id!r} in the config (configured: {', '.join(topics) or 'none'})",
            param_hint="TOPIC",
        )
    return topics[topic_id]


def setup_logging(verbose: int) -> None:
    """Logs on stderr, human-readable or JSON ($WATCHER_LOG_FORMAT); -v for info, -vv for debug."""
    try:
        logs.setup_logging(verbose)
    except ValueError as exc:
        raise click.UsageError(f"$WATCHER_LOG_FORMAT: {exc}") from None
