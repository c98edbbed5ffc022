"""``watcher mute TOPIC [ACTOR] --for 7d``: record shifts but send none for a while."""

from __future__ import annotations

import getpass

import click

from watcher.cli.common import Context, configured_topic, pass_context
from watcher.config import parse_duration
from watcher.corrections import mute


def _duration(value: str) -> float:
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--for") from None
    if seconds <= 0:
        raise click.BadParameter("must be longer than 0", param_hint="--for")
    return seconds


@click.command("mute")
@click.argument("topic")
@click.argument("actor", required=False, default="")
@click.option("--for", "duration", required=True, help="How long: 90m, 12h, 7d.")
@click.option("--by", default=getpass.getuser, show_default="your user name", help="Who mutes.")
@pass_context
def command(context: Context, topic: str, actor: str, duration: str, by: str) -> None:
    """Send no alerts for TOPIC (or only for ACTOR on it) for a while; shifts are still
    recorded, and their deliveries are listed as cancelled with the mute as the reason."""
    config = context.config()
    tracked = configured_topic(config, topic)
    if actor and actor not in {a.id for a in tracked.actors}:
        raise click.BadParameter(f"topic {topic!r} has no actor {actor!r}", param_hint="ACTOR")
    with context.store(config) as store:
        muted = mute(store, topic, actor, duration=_duration(duration), by=by)
    click.echo(f"muted {topic}{' ' + actor if actor else ''} until {muted['until']}")
