"""``watcher positions import``: load starting positions an analyst already knows."""

from __future__ import annotations

from pathlib import Path

import click

from watcher.cli.common import ConfigProblem, Context, pass_context
from watcher.config import ConfigError
from watcher.positions_file import import_positions, load_positions


@click.group("positions")
def command() -> None:
    """Manage actors' recorded positions."""


@command.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@pass_context
def import_command(context: Context, file: Path) -> None:
    """Record the positions in FILE (TOML) as each actor's baseline."""
    config = context.config()
    topics = {t.id: t for t in config.topic_list()}
    try:
        positions = load_positions(file, topics)
    except ConfigError as exc:
        raise ConfigProblem(str(exc)) from None
    with context.store(config) as store:
        import_positions(store, positions)
    click.echo(f"imported {len(positions)} positions from {file}")
