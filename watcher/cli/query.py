"""``watcher query SQL``: read-only SQL over the history, for anything the other commands miss."""

from __future__ import annotations

from contextlib import closing

import click

from watcher.cli.common import Context, pass_context
from watcher.cli.reading import emit, format_options, history_connection
from watcher.history.output import Column, cell
from watcher.history.query import DEFAULT_TIME_LIMIT, QueryError, run_query

CELL_WIDTH = 40  # wrap longer values in the terminal table


@click.command("query")
@click.argument("sql")
@click.option(
    "-p",
    "--param",
    "params",
    type=(str, str),
    multiple=True,
    metavar="NAME VALUE",
    help="A value for :NAME in the SQL (repeatable); safer than pasting values into it.",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TIME_LIMIT,
    show_default=True,
    help="Seconds before the query is stopped.",
)
@format_options
@pass_context
def command(
    context: Context, sql: str, params: tuple[tuple[str, str], ...], time_limit: float, fmt: str
) -> None:
    """Run one SQL statement on a read-only connection: writes are refused.

    Read the documented views (position_timeline, shift_log, story_log, and stories_fts for
    search) rather than the tables; their columns stay stable. See docs/history.md.

        watcher query "SELECT said_at, stance, statement FROM position_timeline
                       WHERE actor_id = :actor ORDER BY said_at" -p actor US
    """
    with closing(history_connection(context)) as connection:
        try:
            result = run_query(connection, sql, dict(params), time_limit=time_limit)
        except QueryError as exc:
            raise click.ClickException(f"query refused: {exc}") from None
    table = [Column(name, cell(name), width=CELL_WIDTH) for name in result.columns]
    emit(result.rows, fmt, table, result.columns)
