"""``watcher serve``: browse the history in a web browser through Datasette (optional extra)."""

from __future__ import annotations

import click

from watcher.cli.common import Context, pass_context
from watcher.cli.reading import database_path, history_connection
from watcher.history.browse import ServeUnavailable, serve


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True)
@pass_context
def command(context: Context, host: str, port: int) -> None:
    """Serve the history read-only in a browser (Datasette), with canned queries.

    Needs the serve extra: pip install 'watcher[serve]'. Listens on 127.0.0.1 unless --host
    says otherwise; there is no login, so think before listening on a public address.
    """
    history_connection(context).close()  # checks the file and brings its schema up to date
    database = database_path(context)
    click.echo(
        f"watcher: serving {database} read-only at http://{host}:{port}/{database.stem} "
        "(Ctrl-C stops)",
        err=True,
    )
    try:
        serve(database, host, port)
    except ServeUnavailable as exc:
        raise click.ClickException(str(exc)) from None
