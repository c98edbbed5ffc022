"""``watcher alerts``: the outbox from the command line: list, show, test, dispatch, send,
retry."""

from __future__ import annotations

import json
from datetime import datetime

import click

from watcher.alert.channels import build_channels
from watcher.alert.dispatch import dispatch_due
from watcher.alert.sample import sample_envelope
from watcher.alert.schedule import held
from watcher.cli.common import Context, pass_context
from watcher.config import Config
from watcher.judge import build_judge
from watcher.redact import describe_error, redact
from watcher.store import Store
from watcher.store.deliveries import STATUSES
from watcher.timeutil import to_iso, utc_now


@click.group("alerts")
def command() -> None:
    """Alert deliveries: what is pending, sent or dead; test a channel; send what is due."""


def _when(row: dict, hold: tuple[str, datetime] | None = None) -> str:
    if row["status"] == "sent":
        return f"sent {row['sent_at']}"
    if row["status"] == "dead":
        return f"dead {row['dead_at']}"
    if row["status"] == "cancelled":
        return "not sent"
    if row["status"] == "withheld":
        return "withheld by the judge"
    if row["claimed_by"]:
        return f"sending ({row['claimed_by']})"
    if hold:
        return f"until {to_iso(hold[1])} ({hold[0]})"
    return f"next {row['next_attempt_at']}"


class _Holds:
    """Which pending deliveries are held back (settle window, quiet hours, digest), per the
    config's channels."""

    def __init__(self, config: Config, store: Store, now: datetime) -> None:
        self.policies = {channel.name: channel for channel in config.alerts.channels}
        self.digest_since = store.deliveries.digest_since(now)
        self.now = now

    def of(self, row: dict) -> tuple[str, datetime] | None:
        policy = self.policies.get(row["channel"])
        return held(
            row,
            policy.digest if policy else 0.0,
            policy.quiet_hours if policy else None,
            self.digest_since.get(row["channel"]),
            self.now,
        )


@command.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only deliveries in this state.")
@click.option("--limit", default=50, show_default=True, help="Newest first, at most this many.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_context
def list_deliveries(context: Context, status: str | None, limit: int, as_json: bool) -> None:
    """Show pending, held, sent, dead, cancelled and withheld deliveries, newest first.

    A pending delivery waiting out the settle window, quiet hours or its digest (or a judge that
    could not answer yet) shows as ``held``, with the reason and when it will go.
    """
    config = context.config()
    with context.store(config) as store:
        rows = store.deliveries.listing(status, limit)
        counts = store.deliveries.counts()
        holds = _Holds(config, store, utc_now())
        held_count = sum(holds.of(row) is not None for row in store.deliveries.pending())
    rows = [row | {"last_error": row["last_error"] and redact(row["last_error"])} for row in rows]
    if as_json:
        for row in rows:
            hold = holds.of(row)
            shown = {**row, "held": hold[0] if hold else None}
            shown["held_until"] = to_iso(hold[1]) if hold else None
            click.echo(json.dumps(shown, ensure_ascii=False))
        return
    # cancelled (corrections) and withheld (the judge) only when there are some
    shown = {name: n for name, n in counts.items() if n or name in ("pending", "sent", "dead")}
    summary = ", ".join(f"{count} {name}" for name, count in shown.items())
    click.echo(summary.replace(" pending", f" pending ({held_count} held)", 1))
    for row in rows:
        before = row["before_stance"] or "none"
        hold = holds.of(row)
        click.echo(
            f"#{row['id']:<4} shift {row['shift_id']:<4} {row['channel']:<12} "
            f"{'held' if hold else row['status']:<7} attempts {row['attempts']:<2} "
            f"{_when(row, hold)}  "
            f"{row['topic_id']} {row['actor_id']}: {before} -> {row['after_stance']}"
            + (" (follow-up)" if row["follow_up"] == "queued" else "")
        )
        if row["last_error"] and row["status"] != "sent":
            label = "reason" if row["status"] == "cancelled" else "last error"
            click.echo(f"      {label}: {row['last_error']}")


@command.command("show")
@click.argument("delivery_id", type=int)
@pass_context
def show(context: Context, delivery_id: int) -> None:
    """One delivery with its rule and every attempt."""
    config = context.config()
    with context.store(config) as store:
        row = store.deliveries.get(delivery_id)
        if row is None:
            raise click.ClickException(f"no delivery #{delivery_id}")
        attempts = store.deliveries.attempts(delivery_id)
    click.echo(
        f"delivery #{row['id']} (key {row['key']}): shift {row['shift_id']} to "
        f"{row['channel']}, {row['status']}, {row['attempts']} attempts, {_when(row)}"
    )
    click.echo(f"rule: {row['rule'] or '-'}")
    for attempt in attempts:
        outcome = attempt["outcome"] or "in flight"
        error = f": {redact(attempt['error'])}" if attempt["error"] else ""
        click.echo(
            f"  attempt {attempt['attempt']} by {attempt['worker']} at {attempt['started_at']}: "
            f"{outcome}{error}"
        )


@command.command("test")
@click.argument("channel_name")
@pass_context
def test(context: Context, channel_name: str) -> None:
    """Send a sample alert through CHANNEL_NAME now (not through the outbox)."""
    config = context.config()
    channels = build_channels(config.alerts.channels)
    channel = channels.get(channel_name)
    if channel is None:
        raise click.BadParameter(
            f"no channel named {channel_name!r} (configured: {', '.join(channels) or 'none'})",
            param_hint="CHANNEL_NAME",
        )
    try:
        channel.send(sample_envelope(channel_name))
    except Exception as exc:
        raise click.ClickException(f"{channel_name}: {describe_error(exc)}") from None
    click.echo(f"{channel_name}: sample alert sent", err=True)


@command.command("dispatch")
@pass_context
def dispatch(context: Context) -> None:
    """One pass over the outbox: send every due delivery, then exit (the daemon does this)."""
    config = context.config()
    channels = build_channels(config.alerts.channels)
    topics = {topic.id: topic for topic in config.topic_list()}
    judge = build_judge(config.stance.judge)
    with context.store(config) as store:
        report = dispatch_due(store, channels, topics, config.alerts, judge=judge)
    if judge is not None:
        judge.close()
    click.echo(report.summary(), err=True)


@command.command("send")
@click.argument("delivery_ids", type=int, nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every pending delivery.")
@pass_context
def send(context: Context, delivery_ids: tuple[int, ...], every: bool) -> None:
    """Send pending deliveries now, without waiting for their retry backoff or settle window
    (after fixing a channel's secret, say); quiet hours and digests still apply."""
    if not delivery_ids and not every:
        raise click.UsageError("name pending deliveries by id, or pass --all")
    config = context.config()
    channels = build_channels(config.alerts.channels)
    topics = {topic.id: topic for topic in config.topic_list()}
    with context.store(config) as store:
        with store.transaction():
            made_due = store.deliveries.send_now(delivery_ids, every=every)
        if delivery_ids and made_due < len(set(delivery_ids)):
            click.echo(
                f"{len(set(delivery_ids)) - made_due} of the named deliveries are not pending",
                err=True,
            )
        report = dispatch_due(store, channels, topics, config.alerts)
    click.echo(report.summary(), err=True)
    if report.failed or report.dead:
        raise SystemExit(1)


@command.command("retry")
@click.argument("delivery_ids", type=int, nargs=-1)
@click.option("--dead", "all_dead", is_flag=True, help="Every dead delivery.")
@pass_context
def retry(context: Context, delivery_ids: tuple[int, ...], all_dead: bool) -> None:
    """Give dead deliveries a fresh set of attempts; the next dispatch sends them.

    A withheld delivery (the judge disputed its shift) named by id is sent all the same.
    """
    if not delivery_ids and not all_dead:
        raise click.UsageError("name dead deliveries by id, or pass --dead for all of them")
    config = context.config()
    with context.store(config) as store:
        count = store.deliveries.requeue(delivery_ids, all_dead=all_dead)
    click.echo(f"{count} deliveries queued again", err=True)
