"""``watcher feed``: write the Atom feed of detected shifts, for a feed reader to subscribe to."""

from __future__ import annotations

from pathlib import Path

import click

from watcher.cli.common import Context, open_store, pass_context
from watcher.cli.reading import database_path, history_connection, output_option
from watcher.history.atom import DEFAULT_LIMIT, DEFAULT_TITLE, shift_feed, write_shift_feed
from watcher.history.filters import HistoryFilter


@click.command("feed")
@output_option("File to write, replaced atomically and only when it changes (default: stdout).")
@click.option("--topic", help="Only shifts on this topic.")
@click.option("--actor", help="Only this actor's shifts.")
@click.option("--limit", type=click.IntRange(min=1), default=DEFAULT_LIMIT, show_default=True)
@click.option("--title", default=DEFAULT_TITLE, show_default=True, help="The feed's title.")
@click.option(
    "--self-url", help="The URL the feed will be served from (its rel=self link and identity)."
)
@pass_context
def command(
    context: Context,
    output: Path,
    topic: str | None,
    actor: str | None,
    limit: int,
    title: str,
    self_url: str | None,
) -> None:
    """Write an Atom feed with one entry per detected shift, newest first.

    Entry ids stay the same across regenerations, so a feed reader shows each shift once.
    """
    # The config, when there is one, gives claims and actor names for the entries' text.
    config = None
    if context.database is None or context.config_path.exists():
        config = context.config()
    history_connection(context).close()  # checks the file and brings its schema up to date
    options = {
        "topics": {t.id: t for t in config.topic_list()} if config else {},
        "selection": HistoryFilter(topic, actor),
        "limit": limit,
        "title": title,
        "self_url": self_url,
    }
    with open_store(database_path(context)) as store:
        if str(output) == "-":
            click.echo(shift_feed(store, **options), nl=False)
            return
        changed = write_shift_feed(store, output, **options)
    click.echo(f"{output}: {'written' if changed else 'already up to date'}", err=True)
