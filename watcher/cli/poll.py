"""``watcher poll --once``: one pass over the feeds, then send the alerts it produced."""

from __future__ import annotations

import asyncio

import click

from watcher.cli.common import Context, pass_context
from watcher.pipeline import Pipeline


@click.command("poll")
@click.option("--once", is_flag=True, required=True, help="Poll every feed once, then exit.")
@click.option("--feed", "only", multiple=True, help="Poll only this feed URL (repeatable).")
@pass_context
def command(context: Context, once: bool, only: tuple[str, ...]) -> None:
    """Poll the configured feeds once and alert on stance shifts (the daemon is `watcher run`)."""
    config = context.config()
    unknown = set(only) - {f.url for f in config.feeds}
    if unknown:
        raise click.BadParameter(
            f"not in the config: {', '.join(sorted(unknown))}", param_hint="--feed"
        )
    with context.store(config) as store:
        pipeline = Pipeline(config, store)
        feeds = [f for f in config.feeds if not only or f.url in only]
        report = asyncio.run(pipeline.poll(feeds))
        dispatched = pipeline.dispatch()
    click.echo(report.summary(), err=True)
    if dispatched.failed:
        click.echo(f"{dispatched.failed} alert deliveries failed; they stay queued", err=True)
