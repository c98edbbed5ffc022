"""``watcher unmute TOPIC [ACTOR]``: lift a mute."""

from __future__ import annotations

import click

from watcher.cli.common import Context, pass_context
from watcher.corrections import unmute


@click.command("unmute")
@click.argument("topic")
@click.argument("actor", required=False, default="")
@pass_context
def command(context: Context, topic: str, actor: str) -> None:
    """Lift the mute of TOPIC (or of ACTOR on it): shifts from now on are sent again."""
    config = context.config()
    with context.store(config) as store:
        lifted = unmute(store, topic, actor)
    what = f"{topic}{' ' + actor if actor else ''}"
    if not lifted:
        raise click.ClickException(f"{what} was not muted")
    click.echo(f"unmuted {what}")
