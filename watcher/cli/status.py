"""``watcher status``: the daemon's heartbeat, every feed's health, the alert outbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from watcher.cli.common import Context, pass_context
from watcher.config import parse_duration
from watcher.daemon.status import read_status, render_json, render_text
from watcher.store import Store
from watcher.timeutil import utc_now


class DurationType(click.ParamType):
    """A duration such as 90, "90s", "5m" or "2h", in seconds."""

    name = "duration"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        """Seconds, or a usage error."""
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option(
    "--stale-after",
    type=DurationType(),
    help="Call the daemon dead after this long without a heartbeat "
    "(default: its own [daemon] stale_after).",
)
@pass_context
def command(context: Context, as_json: bool, stale_after: float | None) -> None:
    """Show the daemon's heartbeat, every feed's health and schedule, and the alert outbox.

    Reads only the database, so it works from another shell or container while the daemon runs
    (with --db it needs no config). Exits 1 when the daemon is not running or its heartbeat is
    stale: fit for a container healthcheck.
    """
    config = None if context.database else context.config()
    database = Path(context.database or config.watcher.database)
    if not database.exists():
        raise click.ClickException(f"no database at {database}: the daemon has not run yet")
    judge = config.stance.judge if config else None
    with Store(database) as store:
        status = read_status(
            store, utc_now(), stale_after, judge.max_calls_per_hour if judge else None
        )
    if as_json:
        click.echo(json.dumps(render_json(status), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(status))
    if not status.healthy:
        raise click.exceptions.Exit(1)
