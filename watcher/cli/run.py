"""``watcher run``: the daemon."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from watcher import logs
from watcher.cli.common import Context, pass_context
from watcher.daemon.lock import AlreadyRunning
from watcher.daemon.scheduler import run_daemon


@click.command("run")
@click.option(
    "--log-format",
    type=click.Choice(logs.LOG_FORMATS),
    envvar="WATCHER_LOG_FORMAT",
    help="human (default) or json: one JSON object per line.  [env: WATCHER_LOG_FORMAT]",
)
@pass_context
def command(context: Context, log_format: str | None) -> None:
    """Run the daemon: poll every feed on its own schedule and send the alerts.

    Logs each poll (at info level unless -v asks for more) to stderr. SIGTERM or SIGINT stops it
    cleanly; SIGHUP reloads the config (a broken one is rejected and the running one stays).
    `watcher status` shows how it is doing, from any shell that can read the database.
    """
    logs.configure(log_format, at_least=logging.INFO)
    config = context.runnable_config()  # what `watcher check` insists on
    database = Path(context.database or config.watcher.database)
    try:
        run_daemon(context.config_path, config, database)
    except AlreadyRunning as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:  # e.g. the metrics port is taken
        raise click.ClickException(f"cannot run: {exc}") from None
