"""``watcher serve``: browse the history in a web browser through Datasette (optional extra)."""

from __future__ import annotations

import os

import click

from watcher.cli.common import Context, pass_context
from watcher.cli.reading import database_path, history_connection
from watcher.history.browse import ServeUnavailable, serve


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True)
@click.option(
    "--token-env",
    metavar="NAME",
    help="Allow acknowledging and rejecting shifts in the browser to whoever gives the token "
    "held in this environment variable (default: read-only).",
)
@pass_context
def command(context: Context, host: str, port: int, token_env: str | None) -> None:
    """Serve the history in a browser: topics, timelines, shifts, feeds, search, and Datasette
    for SQL with canned queries.

    Needs the serve extra: pip install 'watcher[serve]'. Read-only unless --token-env names a
    variable holding a token. Listens on 127.0.0.1 unless --host says otherwise; think before
    listening on a public address. With a config (-c), pages show claims and actor names.
    """
    token = None
    if token_env:
        token = os.environ.get(token_env, "").strip()
        if not token:
            raise click.UsageError(f"--token-env: environment variable {token_env} is not set")
    # The config is optional here (--db is enough); with it, topics have claims and names.
    config = context.config() if context.config_path.is_file() else None
    history_connection(context).close()  # checks the file and brings its schema up to date
    database = database_path(context)
    mode = "corrections allowed with the token" if token else "read-only"
    click.echo(
        f"watcher: serving {database} ({mode}) at http://{host}:{port}/ (Ctrl-C stops)", err=True
    )
    topics = {topic.id: topic for topic in config.topic_list()} if config else {}
    try:
        serve(database, host, port, topics=topics, token=token)
    except ServeUnavailable as exc:
        raise click.ClickException(str(exc)) from None
