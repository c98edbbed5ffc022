"""What ``watcher status`` shows: the daemon's heartbeat, every feed's health, the outbox.

Everything comes from the database, so it works from any process or container that can open it
while the daemon runs. ``read_status`` gathers it into plain data; ``render_text`` and
``render_json`` present it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from watcher.daemon import heartbeat
from watcher.daemon.heartbeat import Heartbeat
from watcher.daemon.schedule import format_duration
from watcher.store import Store
from watcher.timeutil import from_iso, to_iso

RECENT_DEAD_SHOWN = 5


@dataclass(frozen=True)
class FeedStatus:
    """One configured feed's health and schedule."""

    url: str
    name: str
    enabled: bool  # in the config
    disabled_reason: str | None  # set when the server said it is gone
    disabled_at: datetime | None
    location: str | None  # where it is fetched from since a permanent redirect
    moved_at: datetime | None
    last_polled_at: datetime | None
    last_success_at: datetime | None
    last_status: int | None
    last_error: str | None
    last_error_at: datetime | None
    consecutive_failures: int
    items_seen: int
    next_poll_at: datetime | None
    next_poll_reason: str | None

    @property
    def health(self) -> str:
        """``ok``, ``failing``, ``disabled``, ``off`` (disabled in the config) or ``new``."""
        if self.disabled_reason:
            return "disabled"
        if not self.enabled:
            return "off"
        if self.consecutive_failures:
            return "failing"
        return "ok" if self.last_polled_at else "new"

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> FeedStatus:
        """From a ``feeds`` row."""
        return cls(
            url=row["url"],
            name=row["name"],
            enabled=bool(row["enabled"]),
            disabled_reason=row["disabled_reason"],
            disabled_at=from_iso(row["disabled_at"]),
            location=row["location"],
            moved_at=from_iso(row["moved_at"]),
            last_polled_at=from_iso(row["last_polled_at"]),
            last_success_at=from_iso(row["last_success_at"]),
            last_status=row["last_status"],
            last_error=row["last_error"],
            last_error_at=from_iso(row["last_error_at"]),
            consecutive_failures=row["consecutive_failures"],
            items_seen=row["items_seen"],
            next_poll_at=from_iso(row["next_poll_at"]),
            next_poll_reason=row["next_poll_reason"],
        )


@dataclass(frozen=True)
class Status:
    """Everything ``watcher status`` reports, as of ``now``."""

    now: datetime
    heartbeat: Heartbeat | None
    stale_after: float | None  # the threshold applied (the daemon's own unless overridden)
    feeds: tuple[FeedStatus, ...]
    unconfigured_feeds: int  # rows of feeds no longer in the config
    deliveries: dict[str, int]  # count per status
    recent_dead: tuple[dict[str, Any], ...]
    judge: dict[str, Any] | None = None  # the language-model judge's calls, once it was used

    @property
    def daemon(self) -> str:
        """``running``, ``not responding``, ``stopped`` or ``never started``."""
        beat = self.heartbeat
        if beat is None:
            return "never started"
        if beat.state == heartbeat.STOPPED:
            return "stopped"
        return "running" if beat.age(self.now) <= (self.stale_after or 0) else "not responding"

    @property
    def healthy(self) -> bool:
        """True when the daemon is running and beating: what the container healthcheck asks."""
        return self.daemon == "running"


def read_status(
    store: Store, now: datetime, stale_after: float | None = None, judge_cap: int | None = None
) -> Status:
    """Gather the status; ``stale_after`` overrides the daemon's own threshold.

    ``judge_cap`` is the configured ``max_calls_per_hour``, shown with the judge's calls.
    """
    beat = heartbeat.read(store.db)
    rows = store.feeds.all()
    judge = store.judgements.summary(now)
    used = judge["calls_last_day"] or any(judge["outcomes"].values()) or judge["held"]
    return Status(
        now=now,
        heartbeat=beat,
        stale_after=stale_after if stale_after is not None else beat and beat.stale_after,
        feeds=tuple(FeedStatus.from_row(row) for row in rows if row["configured"]),
        unconfigured_feeds=sum(1 for row in rows if not row["configured"]),
        deliveries=store.deliveries.counts(),
        recent_dead=tuple(store.deliveries.listing(status="dead", limit=RECENT_DEAD_SHOWN)),
        judge=judge | {"max_calls_per_hour": judge_cap} if used else None,
    )


def render_json(status: Status) -> dict[str, Any]:
    """The status as JSON-ready data (times in ISO 8601 UTC)."""
    beat = status.heartbeat
    return _jsonable(
        {
            "now": status.now,
            "healthy": status.healthy,
            "daemon": {
                "state": status.daemon,
                "stale_after": status.stale_after,
                "heartbeat_age": beat.age(status.now) if beat else None,
                **(asdict(beat) if beat else {}),
            },
            "feeds": [asdict(feed) | {"health": feed.health} for feed in status.feeds],
            "unconfigured_feeds": status.unconfigured_feeds,
            "deliveries": status.deliveries,
            "recent_dead_deliveries": [
                {key: row.get(key) for key in _DEAD_KEYS} for row in status.recent_dead
            ],
            "judge": status.judge,
        }
    )


_DEAD_KEYS = ("id", "channel", "topic_id", "actor_id", "attempts", "last_error", "dead_at")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def render_text(status: Status) -> str:
    """The status for a terminal."""
    now = status.now
    lines = [_daemon_line(status)]
    beat = status.heartbeat
    if beat and beat.reload_error:
        lines.append(f"  last config reload rejected, old config kept: {beat.reload_error}")
    counts = status.deliveries
    lines.append(
        f"deliveries: {counts.get('pending', 0)} pending, {counts.get('dead', 0)} dead, "
        f"{counts.get('sent', 0)} sent"
        + (f", {counts['withheld']} withheld by the judge" if counts.get("withheld") else "")
    )
    for row in status.recent_dead:
        lines.append(
            f"  dead #{row['id']} to {row['channel']} ({row.get('actor_id')} on "
            f"{row.get('topic_id')}), {row['attempts']} attempts: {row.get('last_error')}"
        )
    if status.judge:
        lines += _judge_lines(status.judge, now)
    healths = [feed.health for feed in status.feeds]
    summary = ", ".join(f"{healths.count(h)} {h}" for h in dict.fromkeys(healths))
    lines.append("")
    lines.append(f"feeds: {len(status.feeds)} configured ({summary or 'none'})")
    if status.unconfigured_feeds:
        lines[-1] += f"; {status.unconfigured_feeds} no longer configured"
    for feed in status.feeds:
        lines.append(
            f"  {feed.health.upper():<9} {feed.name + '  ' if feed.name else ''}{feed.url}"
        )
        lines += [f"            {detail}" for detail in _feed_details(feed, now)]
    return "\n".join(lines)


def _daemon_line(status: Status) -> str:
    beat = status.heartbeat
    if beat is None:
        return "daemon: never started on this database"
    where = f"pid {beat.pid} on {beat.host}, watcher {beat.version}"
    if status.daemon == "stopped":
        return f"daemon: stopped {_ago(beat.beat_at, status.now)} ({where})"
    age = f"last heartbeat {_ago(beat.beat_at, status.now)}"
    if status.daemon == "not responding":
        return (
            f"daemon: NOT RESPONDING - {age}, more than {format_duration(status.stale_after or 0)}"
            f" ({where})"
        )
    up = format_duration((status.now - beat.started_at).total_seconds())
    return f"daemon: running - {where}, up {up}, {age}, {beat.feeds} feeds scheduled"


def _judge_lines(judge: dict[str, Any], now: datetime) -> list[str]:
    cap = judge["max_calls_per_hour"]
    outcomes = judge["outcomes"]
    lines = [
        f"judge: {_count(judge['calls_last_hour'], 'call')} in the last hour"
        + (f" (cap {cap})" if cap else "")
        + f", {judge['failures_last_hour']} failed; {judge['calls_last_day']} in the last day, "
        f"{judge['failures_last_day']} failed",
        f"  shifts: {outcomes['confirmed']} confirmed, {outcomes['disputed']} disputed, "
        f"{outcomes['failed']} alerted without an answer, {judge['held']} held for it",
    ]
    if cap and judge["calls_last_hour"] >= cap:
        lines.append("  HOURLY CAP REACHED: new shifts wait (on_error = hold) or go unjudged")
    if judge["blocked_until"]:
        lines.append(f"  the server asked to wait until {to_iso(judge['blocked_until'])}")
    if judge["last_error"]:
        lines.append(f"  last failure {_ago(judge['last_error_at'], now)}: {judge['last_error']}")
    return lines


def _feed_details(feed: FeedStatus, now: datetime) -> list[str]:
    if feed.disabled_reason:
        return [
            f"{feed.disabled_reason} ({_ago(feed.disabled_at, now)}): not polled any more; "
            "remove it from the config"
        ]
    details = []
    if feed.enabled:
        when = _until(feed.next_poll_at, now) if feed.next_poll_at else "not scheduled"
        reason = f" ({feed.next_poll_reason})" if feed.next_poll_reason else ""
        details.append(
            f"last success {_ago(feed.last_success_at, now)}, next poll {when}{reason}, "
            f"{_count(feed.items_seen, 'item')} seen"
        )
    else:
        details.append(f"disabled in the config; {_count(feed.items_seen, 'item')} seen")
    if feed.consecutive_failures:
        details.append(
            f"{_count(feed.consecutive_failures, 'failure')} in a row; last error "
            f"{_ago(feed.last_error_at, now)}: {feed.last_error}"
        )
    elif feed.last_error:
        details.append(f"last error {_ago(feed.last_error_at, now)}: {feed.last_error}")
    if feed.location:
        details.append(
            f"moved permanently to {feed.location} ({_ago(feed.moved_at, now)}); "
            "polled there now: update the config"
        )
    return details


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    seconds = (now - moment).total_seconds()
    return f"{format_duration(seconds)} ago" if seconds >= 0 else f"in {format_duration(-seconds)}"


def _until(moment: datetime, now: datetime) -> str:
    seconds = (moment - now).total_seconds()
    return f"in {format_duration(seconds)}" if seconds > 0 else "due now"
