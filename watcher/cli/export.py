"""``watcher export KIND``: positions, shifts or stories as CSV or JSON lines."""

from __future__ import annotations

from contextlib import closing
from datetime import datetime
from pathlib import Path

import click

from watcher.cli.common import Context, pass_context
from watcher.cli.reading import history_connection, output_option, since_option
from watcher.history.export import FORMATS, KINDS, export
from watcher.history.filters import HistoryFilter


@click.command("export")
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="jsonl", show_default=True)
@output_option()
@click.option("--topic", help="Only this topic (stories: those that matched it).")
@click.option("--actor", help="Only this actor (positions and shifts).")
@since_option
@pass_context
def command(
    context: Context,
    kind: str,
    fmt: str,
    output: Path,
    topic: str | None,
    actor: str | None,
    since: datetime | None,
) -> None:
    """Export KIND (positions, shifts or stories) with every column of its view, oldest first.

    Reads the documented views (position_timeline, shift_log, story_log); see docs/history.md.
    """
    if actor and KINDS[kind].actor_sql is None:
        raise click.BadParameter(f"{kind} have no actor", param_hint="--actor")
    selection = HistoryFilter(topic, actor, since)
    with (
        closing(history_connection(context)) as connection,
        click.open_file(str(output), "w", encoding="utf-8", atomic=True) as out,
    ):
        count = export(connection, kind, fmt, out, selection)
    if str(output) != "-":
        click.echo(f"exported {count} {kind} to {output}", err=True)
