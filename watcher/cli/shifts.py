"""``watcher shifts``: recent changes of stance, with before and after and who reported them;
``watcher shifts ack|reject``: an analyst's verdict on one."""

from __future__ import annotations

import getpass
from contextlib import closing
from datetime import datetime
from typing import Any

import click

from watcher.cli.common import Context, pass_context
from watcher.cli.reading import (
    database_path,
    emit,
    format_options,
    history_connection,
    since_option,
)
from watcher.corrections import CorrectionError, ack_shift, reject_shift
from watcher.history.export import view_columns
from watcher.history.filters import HistoryFilter
from watcher.history.output import Column, cell, date_cell
from watcher.history.timeline import JUDGE_COLUMNS, shift_log
from watcher.store import Store


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
    Column("id", cell("shift_id")),
    Column("date", date_cell("shifted_at")),
    Column("topic", cell("topic_id"), width=20),
    Column("actor", cell("actor_id")),
    Column("shift", change),
    Column("status", cell("status")),
    Column("before", cell("before_statement"), width=40),
    Column("after", cell("after_statement"), width=40),
    Column("first reported by", reported_by, width=30),
)
JUDGE_COLUMN = Column("judge", judged, width=30)  # shown once a shift was judged

by_option = click.option(
    "--by",
    default=getpass.getuser,
    show_default="your user name",
    help="Who makes the correction (recorded with it).",
)


@click.group("shifts", invoke_without_command=True)
@click.option("--topic", help="Only shifts on this topic.")
@click.option("--actor", help="Only this actor's shifts.")
@since_option
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@format_options
@pass_context
@click.pass_context
def command(
    click_context: click.Context,
    context: Context,
    topic: str | None,
    actor: str | None,
    since: datetime | None,
    limit: int,
    fmt: str,
) -> None:
    """Recent shifts, newest first (by when the new position was stated), with their sources.

    JSON and CSV carry every outlet that reported each shift (``sources``), earliest first, and
    the analysts' corrections. `watcher shifts ack ID` / `reject ID --why ...` correct one.
    """
    if click_context.invoked_subcommand is not None:
        return
    with closing(history_connection(context)) as connection:
        rows = shift_log(connection, HistoryFilter(topic, actor, since), limit)
        judge = any(row["judge_outcome"] for row in rows)
        table = (*TABLE, JUDGE_COLUMN) if judge else TABLE
        emit(rows, fmt, table, [*view_columns(connection, "shift_log"), *JUDGE_COLUMNS])


@command.command("ack")
@click.argument("shift_id", type=int)
@by_option
@pass_context
def ack(context: Context, shift_id: int, by: str) -> None:
    """Confirm shift SHIFT_ID (also one rejected before: it is back in force)."""
    with Store(database_path(context)) as store:
        result = _correct(lambda: ack_shift(store, shift_id, by=by))
    click.echo(f"shift #{shift_id} acknowledged by {result['made_by']}")


@command.command("reject")
@click.argument("shift_id", type=int)
@click.option("--why", required=True, help="Why the shift is wrong (recorded with it).")
@by_option
@pass_context
def reject(context: Context, shift_id: int, why: str, by: str) -> None:
    """Reject shift SHIFT_ID: the actor's stance before it is back in force, and its alerts
    not yet sent are cancelled."""
    with Store(database_path(context)) as store:
        result = _correct(lambda: reject_shift(store, shift_id, why=why, by=by))
    cancelled = result["cancelled"]
    click.echo(
        f"shift #{shift_id} rejected by {result['made_by']}; "
        f"{cancelled} unsent deliver{'y' if cancelled == 1 else 'ies'} cancelled"
    )


def _correct(action: Any) -> dict[str, Any]:
    try:
        return action()
    except CorrectionError as exc:
        raise click.ClickException(str(exc)) from None
