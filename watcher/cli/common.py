"""What every command shares: finding and loading the config, opening the store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from watcher import logs
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
        logs.protect(config)  # its secrets never appear in a log line
        return config

    def store(self, config: Config) -> Store:
        """Open the database the config (or --db) names."""
        return Store(self.database or config.watcher.database)


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
