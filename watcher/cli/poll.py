"""``watcher poll --once``: one pass over the feeds, then send the alerts it produced."""

from __future__ import annotations

import asyncio

import click

from watcher.cli.common import Context, pass_context
from watcher.fetch import redact_url
from watcher.pipeline import Pipeline


@click.command("poll")
@click.option("--once", is_flag=True, help="Poll every feed once, then exit (required).")
@click.option("--feed", "only", multiple=True, help="Poll only this feed URL (repeatable).")
@click.option(
    "--force",
    is_flag=True,
    help="Poll even feeds that are gone (410), backing off or asked to wait (Retry-After).",
)
@pass_context
def command(context: Context, once: bool, only: tuple[str, ...], force: bool) -> None:
    """Poll the configured feeds once and alert on stance shifts (the daemon is `watcher run`).

    Feeds keep their stored state: one gone (410), backing off after failures or asked to wait
    (Retry-After) is skipped, and said so, unless --force.
    """
    if not once:
        raise click.UsageError(
            "`watcher poll` polls one round and exits: run `watcher poll --once`. To keep polling "
            "every feed on its own schedule, run the daemon: `watcher run`."
        )
    config = context.config()
    unknown = set(only) - {f.url for f in config.feeds}
    if unknown:
        raise click.BadParameter(
            f"not in the config: {', '.join(sorted(unknown))}", param_hint="--feed"
        )
    with context.store(config) as store:
        pipeline = Pipeline(config, store)
        feeds = [f for f in config.feeds if not only or f.url in only]
        report = asyncio.run(pipeline.poll(feeds, force=force))
        dispatched = pipeline.dispatch()
    for url, reason in report.skipped.items():
        click.echo(f"skipped {redact_url(url)}: {reason} (--force polls it anyway)", err=True)
    click.echo(report.summary(), err=True)
    if dispatched.failed:
        click.echo(f"{dispatched.failed} alert deliveries failed; they stay queued", err=True)
