"""``watcher check``: validate the config and say what it will watch."""

from __future__ import annotations

import click

from watcher.cli.common import Context, pass_context


@click.command("check")
@pass_context
def command(context: Context) -> None:
    """Validate the config file and what it needs (secrets in the environment, a writable
    database); summarise it, or print one line per problem and exit 2."""
    config = context.runnable_config()
    actors = sum(len(t.actors) for t in config.topics)
    click.echo(
        f"{context.config_path}: OK - {len(config.feeds)} feeds, {len(config.topics)} topics, "
        f"{actors} actors, {len(config.alerts.channels)} alert channels; "
        f"database {context.database or config.watcher.database}"
    )
