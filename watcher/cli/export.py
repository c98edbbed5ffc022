"""``watcher export KIND``: positions, shifts, stories or corrections as CSV or JSON lines."""

from __future__ import annotations

from contextlib import closing
from datetime import datetime
from pathlib import Path

import click

from watcher.cli.common import Context, pass_context
from watcher.cli.reading import history_connection, output_option, since_option
from watcher.corrections.labels import LABEL_COLUMNS, labelled_shifts
from watcher.history.export import FORMATS, KINDS, export, export_rows
from watcher.history.filters import HistoryFilter
from watcher.history.output import write_csv, write_jsonl


@click.command("export")
@click.argument("kind", type=click.Choice([*KINDS, "corrections"]))
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
    """Export KIND (positions, shifts or stories) with every column of its view, oldest first;
    or the analysts' corrections as labelled pairs for `watcher eval shifts FILE --labels shift`.

    Reads the documented views (position_timeline, shift_log, story_log); see docs/history.md.
    Corrections need the config too (for each topic's claim).
    """
    if actor and kind in KINDS and KINDS[kind].actor_sql is None:
        raise click.BadParameter(f"{kind} have no actor", param_hint="--actor")
    selection = HistoryFilter(topic, actor, since)
    claims = {t.id: t.claim for t in context.config().topic_list()} if kind == "corrections" else {}
    with (
        closing(history_connection(context)) as connection,
        click.open_file(str(output), "w", encoding="utf-8", atomic=True) as out,
    ):
        if kind == "corrections":
            pairs = labelled_shifts(export_rows(connection, "shifts", selection), claims)
            if fmt == "csv":
                count = write_csv(pairs, out, list(LABEL_COLUMNS))
            else:
                count = write_jsonl(pairs, out)
        else:
            count = export(connection, kind, fmt, out, selection)
    if str(output) != "-":
        click.echo(f"exported {count} {kind} to {output}", err=True)
