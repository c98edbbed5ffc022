"""``watcher history TOPIC``: the timeline of positions on a topic, with the shifts marked."""

from __future__ import annotations

from contextlib import closing
from datetime import datetime
from typing import Any

import click

from watcher.cli.common import Context, pass_context
from watcher.cli.reading import emit, format_options, history_connection, since_option
from watcher.history.export import view_columns
from watcher.history.filters import HistoryFilter
from watcher.history.output import Column, cell, date_cell
from watcher.history.timeline import ARTICLE_COLUMNS, JUDGE_COLUMNS, known_topics, timeline


def change(row: dict[str, Any]) -> str:
    """The decision column: a shift stands out with its before and after; evidence read from
    the article says so, and a story whose article could not be read says why."""
    decided = _decision(row)
    if row.get("article_error"):
        return f"{decided} (article not read: {row['article_error']}; the feed's text used)"
    if row.get("evidence_from") == "article":
        return f"{decided} (from the article)"
    return decided


def _decision(row: dict[str, Any]) -> str:
    if row["shift_id"] is not None:
        mark = f">> SHIFT {row['shifted_from'] or 'none'} -> {row['stance']}"
        if row["shift_status"] in ("rejected", "superseded"):
            mark += f" ({row['shift_status']})"
        return f"{mark} (judge: {row['judge_outcome']})" if row.get("judge_outcome") else mark
    if row["decision"] == "late":  # kept, never alerted: say why
        return f"late: {row['decision_reason']}"
    return row["decision"]


def source(row: dict[str, Any]) -> str:
    """Where the position was reported: the feed that carried it first, else as recorded."""
    return row["first_source"] or row["source_title"] or ""


TABLE = (
    Column("date", date_cell("said_at")),
    Column("actor", cell("actor_id")),
    Column("stance", cell("stance")),
    Column("change", change, width=60),
    Column("evidence", cell("statement"), width=60),
    Column("source", source, width=24),
)


@click.command("history")
@click.argument("topic")
@click.option("--actor", help="Only this actor's positions (its id, as in the config).")
@since_option
@format_options
@pass_context
def command(
    context: Context, topic: str, actor: str | None, since: datetime | None, fmt: str
) -> None:
    """The timeline of positions on TOPIC: stance, evidence, source and date, oldest first.

    Positions that shifted an actor's stance are marked ">> SHIFT before -> after" (and
    "(rejected)" when an analyst rejected the shift), with the language-model judge's ruling
    when one was asked; a late position says why it is late, and evidence read from the
    article (or an article that could not be read, and why) is noted.
    """
    with closing(history_connection(context)) as connection:
        rows = timeline(connection, HistoryFilter(topic, actor, since))
        if not rows and topic not in (topics := known_topics(connection)):
            raise click.ClickException(
                f"no positions recorded on topic {topic!r}; "
                f"topics with positions: {', '.join(topics) or 'none yet'}"
            )
        columns = [*view_columns(connection, "position_timeline"), *JUDGE_COLUMNS]
        emit(rows, fmt, TABLE, [*columns, *ARTICLE_COLUMNS])
    if fmt == "table":
        shifts = sum(row["shift_id"] is not None for row in rows)
        click.echo(f"\n{len(rows)} positions, {shifts} shift{'' if shifts == 1 else 's'}", err=True)
