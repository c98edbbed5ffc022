"""``watcher search TEXT``: full-text search over the stories watcher has read."""

from __future__ import annotations

from contextlib import closing
from datetime import datetime

import click

from watcher.cli.common import Context, pass_context
from watcher.cli.reading import emit, format_options, history_connection, since_option
from watcher.history.filters import HistoryFilter
from watcher.history.output import Column, cell, date_cell
from watcher.history.search import SearchError, search_stories

TABLE = (
    Column("date", date_cell("published")),
    Column("title", cell("title"), width=40),
    Column("snippet", cell("snippet"), width=60),
    Column("first source", cell("first_source"), width=20),
)


@click.command("search")
@click.argument("text")
@click.option("--topic", help="Only stories that matched this topic.")
@since_option
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option(
    "--raw", is_flag=True, help='TEXT is FTS5 query syntax (OR, NEAR, prefix*, "phrases").'
)
@format_options
@pass_context
def command(
    context: Context,
    text: str,
    topic: str | None,
    since: datetime | None,
    limit: int,
    raw: bool,
    fmt: str,
) -> None:
    """Stories containing every word of TEXT ("quoted words" as a phrase), best match first.

    Matching ignores case and accents and finds word forms ("covers" finds "cover"). Hits are
    [bracketed] in the snippet.
    """
    with closing(history_connection(context)) as connection:
        try:
            rows = search_stories(
                connection, text, HistoryFilter(topic=topic, since=since), raw=raw, limit=limit
            )
        except SearchError as exc:
            raise click.BadParameter(str(exc), param_hint="TEXT") from None
    emit(rows, fmt, TABLE)
    if fmt == "table":
        click.echo(f"\n{len(rows)} {'story' if len(rows) == 1 else 'stories'}", err=True)
