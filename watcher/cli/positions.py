"""``watcher positions``: starting positions an analyst knows (``import``, ``set``) and the
stance in force for each actor (``list``)."""

from __future__ import annotations

import getpass
import json
from datetime import datetime
from pathlib import Path

import click

from watcher.cli.common import ConfigProblem, Context, configured_topic, pass_context
from watcher.cli.reading import SinceType
from watcher.config import ConfigError
from watcher.history.output import Column, cell, date_cell, render_table
from watcher.models import Stance
from watcher.positions_file import analyst_position, import_positions, load_positions
from watcher.timeutil import utc_now


@click.group("positions")
def command() -> None:
    """Manage actors' recorded positions."""


@command.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@pass_context
def import_command(context: Context, file: Path) -> None:
    """Record the positions in FILE (TOML) as each actor's baseline; already recorded ones are
    skipped, so importing a file again adds nothing."""
    config = context.config()
    topics = {t.id: t for t in config.topic_list()}
    try:
        positions = load_positions(file, topics)
    except ConfigError as exc:
        raise ConfigProblem(str(exc)) from None
    with context.store(config) as store:
        added = import_positions(store, positions)
    click.echo(
        f"imported {added} positions from {file} ({len(positions) - added} already recorded)"
    )


@command.command("set")
@click.argument("topic")
@click.argument("actor")
@click.argument("stance", type=click.Choice(["for", "against", "observing"]))
@click.option(
    "--evidence", required=True, help="What the position rests on (a statement, a source)."
)
@click.option(
    "--as-of",
    type=SinceType(),
    help="From when it holds (2025-06-01, 2025-06-01T18:00 UTC); default now.",
)
@click.option("--by", default=getpass.getuser, show_default="your user name", help="Who sets it.")
@pass_context
def set_command(
    context: Context,
    topic: str,
    actor: str,
    stance: str,
    evidence: str,
    as_of: datetime | None,
    by: str,
) -> None:
    """Set ACTOR's STANCE on TOPIC by hand: from --as-of on it is the stance in force, like a
    baseline, and later reports are compared with it."""
    config = context.config()
    tracked = configured_topic(config, topic)
    try:
        position = analyst_position(
            tracked, actor, Stance(stance), evidence, as_of or utc_now(), by
        )
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from None
    with context.store(config) as store:
        added = import_positions(store, [position])
    click.echo(f"{actor} on {topic}: {stance}" + ("" if added else " (already recorded)"))


TABLE = (
    Column("topic", cell("topic_id"), width=20),
    Column("actor", cell("actor_id")),
    Column("stance", cell("stance")),
    Column("since", date_cell("said_at")),
    Column("set by", cell("decision")),
    Column("source", cell("source_title"), width=40),
    Column("evidence", lambda row: " ".join(json.loads(row["evidence"])), width=50),
)


@command.command("list")
@click.argument("topic", required=False)
@pass_context
def list_command(context: Context, topic: str | None) -> None:
    """The stance in force for each actor (on TOPIC, or on every topic), with its source."""
    config = context.config()
    with context.store(config) as store:
        rows = store.positions.in_force(topic)
    click.echo(render_table(rows, TABLE))
