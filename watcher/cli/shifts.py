"""``watcher shifts``: recent changes of stance, with before and after and who reported them."""

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
from watcher.history.timeline import JUDGE_COLUMNS, shift_log


def change(row: dict[str, Any]) -> str:
    """Before -> after."""
    return f"{row['before_stance'] or 'none'} -> {row['after_stance']}"


def reported_by(row: dict[str, Any]) -> str:
    """The outlet that reported the shift first, and how many others did."""
    others = (row["source_count"] or 0) - 1
    first = row["first_source"] or row["after_source"] or ""
    return f"{first} (+{others} more)" if others > 0 else first


def judged(row: dict[str, Any]) -> str:
    """The language-model judge's ruling and its reason, when one was asked."""
    if not row.get("judge_outcome"):
        return ""
    return f"{row['judge_outcome']}: {row['judge_reason'] or ''}".strip(": ")


TABLE = (
    Column("date", date_cell("shifted_at")),
    Column("topic", cell("topic_id"), width=20),
    Column("actor", cell("actor_id")),
    Column("shift", change),
    Column("before", cell("before_statement"), width=40),
    Column("after", cell("after_statement"), width=40),
    Column("first reported by", reported_by, width=30),
)
JUDGE_COLUMN = Column("judge", judged, width=30)  # shown once a shift was judged


@click.command("shifts")
@click.option("--topic", help="Only shifts on this topic.")
@click.option("--actor", help="Only this actor's shifts.")
@since_option
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@format_options
@pass_context
def command(
    context: Context,
    topic: str | None,
    actor: str | None,
    since: datetime | None,
    limit: int,
    fmt: str,
) -> None:
    """Recent shifts, newest first (by when the new position was stated), with their sources.

    JSON and CSV carry every outlet that reported each shift (``sources``), earliest first.
    """
    with closing(history_connection(context)) as connection:
        rows = shift_log(connection, HistoryFilter(topic, actor, since), limit)
        judge = any(row["judge_outcome"] for row in rows)
        table = (*TABLE, JUDGE_COLUMN) if judge else TABLE
        emit(rows, fmt, table, [*view_columns(connection, "shift_log"), *JUDGE_COLUMNS])
