"""The dispatcher: one pass over the outbox, sending every delivery that is due.

Each message goes through claim -> send -> finish. The claim (a conditional UPDATE) makes two
dispatchers, in one process or several, never send the same delivery at once; the attempt row it
opens stays open until the outcome is recorded, so a dispatcher killed mid-send leaves a trace.
The next pass releases such a claim (at once when its process is gone from this host, otherwise
when its lease expires) and sends the delivery again: at-least-once, see docs/alerts.md.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from watcher.alert.base import Channel, PermanentFailure, RetryLater
from watcher.alert.message import Envelope, load_alert
from watcher.alert.schedule import backoff_delay, digest_ready, quiet_until
from watcher.config import AlertSettings, QuietHoursSettings
from watcher.fetch import describe_error
from watcher.judge import Judge, JudgeReport
from watcher.models import Topic
from watcher.store import Store
from watcher.store.deliveries import Claim
from watcher.timeutil import from_iso, utc_now

log = logging.getLogger(__name__)


@dataclass
class DispatchReport:
    """What one dispatch pass did (counts of deliveries, except ``messages``)."""

    sent: int = 0
    failed: int = 0  # failed this pass and will be retried
    dead: int = 0  # failed for the last time (or permanently) this pass
    held: int = 0  # due, but in quiet hours or collecting for a digest
    released: int = 0  # claims of a dispatcher that died, made due again
    messages: int = 0  # messages sent: a digest carries several deliveries
    # when the next delivery waiting (settle window, backoff, quiet hours, digest) is due
    wake_at: datetime | None = None
    judge: JudgeReport = field(default_factory=JudgeReport)  # the language model's rulings

    def summary(self) -> str:
        """One line for humans."""
        line = (
            f"{self.sent} deliveries sent in {self.messages} messages, {self.failed} failed "
            f"(will retry), {self.dead} dead, {self.held} held, {self.released} released"
        )
        return f"{line}; judge: {self.judge.summary()}" if self.judge.judged else line


# Tells this process from an earlier one that had the same pid (a container restarted: pid 1).
_INCARNATION = uuid.uuid4().hex[:8]


def worker_id() -> str:
    """This process's name in claims: ``host:pid:incarnation``."""
    return f"{socket.gethostname()}:{os.getpid()}:{_INCARNATION}"


def worker_alive(worker: str) -> bool:
    """False only when ``worker`` ran on this host and its process is gone.

    A dispatcher on another host is presumed alive; its claims are released when they expire.
    """
    host, _, process = worker.partition(":")
    pid, _, incarnation = process.partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    if int(pid) == os.getpid():
        return incarnation == _INCARNATION
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


@dataclass(frozen=True)
class _Plan:
    """One message to send: the deliveries in it and, for a digest, its batch key."""

    channel: str
    ids: list[int]
    batch: str | None


def plan_messages(
    rows: list[dict[str, Any]],
    digest: float,
    quiet: QuietHoursSettings | None,
    max_batch: int,
    now: datetime,
) -> tuple[list[_Plan], int, datetime | None]:
    """Split one channel's due deliveries into messages.

    Returns (plans, number held back, when the held ones may go). A digest that was tried
    before is resent with exactly the same deliveries (so its key, and an email's Message-ID,
    stay the same); new deliveries on a digest channel wait until the oldest has waited the
    digest window, then go out together.
    """
    if not rows:
        return [], 0, None
    channel = rows[0]["channel"]
    quiet_end = quiet_until(now, quiet)
    if quiet_end:
        return [], len(rows), quiet_end
    plans: list[_Plan] = []
    batched = sorted((r for r in rows if r["batch"]), key=lambda r: (r["batch"], r["id"]))
    for batch, members in groupby(batched, key=lambda r: r["batch"]):
        plans.append(_Plan(channel, [r["id"] for r in members], batch))
    # a follow-up goes alone: it is not news for a digest
    follow_ups = [r for r in rows if not r["batch"] and r["follow_up"]]
    plans += [_Plan(channel, [r["id"]], None) for r in follow_ups]
    loose = [r for r in rows if not r["batch"] and not r["follow_up"]]
    if not digest:
        return plans + [_Plan(channel, [r["id"]], None) for r in loose], 0, None
    if not loose:
        return plans, 0, None
    first_queued = from_iso(loose[0]["created_at"])
    if not digest_ready(first_queued, digest, now):
        return plans, len(loose), first_queued + timedelta(seconds=digest)
    for start in range(0, len(loose), max_batch):
        chunk = loose[start : start + max_batch]
        plans.append(_Plan(channel, [r["id"] for r in chunk], f"digest-{uuid.uuid4().hex}"))
    return plans, 0, None


def dispatch_due(
    store: Store,
    channels: dict[str, Channel],
    topics: dict[str, Topic],
    settings: AlertSettings,
    now: datetime | None = None,
    rand: Callable[[], float] = random.random,
    judge: Judge | None = None,
) -> DispatchReport:
    """Send every due delivery once; record each attempt and outcome. Returns what it did.

    Safe to call repeatedly and from several processes at once. ``now`` fixes the clock for the
    whole pass (tests); by default each step reads the real time. Sends are synchronous: a caller
    on an event loop runs this in a worker thread with its own ``Store``. With a ``judge``, each
    shift is put to it before its deliveries are first sent (see ``watcher.judge.review``).
    """

    def clock() -> datetime:
        return now or utc_now()

    worker = worker_id()
    report = DispatchReport()
    report.released = store.deliveries.release_stale(clock(), worker_alive, settings.max_attempts)
    policies = {channel.name: channel for channel in settings.channels}
    due = store.deliveries.due(clock())
    wakes: list[datetime | None] = []
    if judge is not None:  # the one place where a language model may hold a shift back
        due = judge.screen(store, due, topics, clock, report.judge)
    for name, rows in groupby(sorted(due, key=lambda r: r["channel"]), key=lambda r: r["channel"]):
        channel = channels.get(name)
        max_batch = channel.max_batch if channel else 1
        policy = policies.get(name)  # None: the channel was removed from the config
        plans, held, held_until = plan_messages(
            list(rows),
            policy.digest if policy else 0.0,
            policy.quiet_hours if policy else None,
            max_batch,
            clock(),
        )
        report.held += held
        wakes.append(held_until)
        for plan in plans:
            claim = store.deliveries.claim(
                plan.ids, worker, clock(), clock() + timedelta(seconds=settings.lease), plan.batch
            )
            if claim is not None:  # None: another dispatcher took it first
                _send(store, channel, claim, topics, settings, clock, rand, report)
    wakes.append(store.deliveries.next_due(clock()))
    report.wake_at = min((w for w in wakes if w is not None), default=None)
    return report


def _send(
    store: Store,
    channel: Channel | None,
    claim: Claim,
    topics: dict[str, Topic],
    settings: AlertSettings,
    clock: Callable[[], datetime],
    rand: Callable[[], float],
    report: DispatchReport,
) -> None:
    name = claim.deliveries[0]["channel"]
    try:
        if channel is None:
            raise LookupError(f"channel {name!r} is not configured")
        first = claim.deliveries[0]
        following_up = first["follow_up"] == "queued"
        envelope = Envelope(
            # a follow-up is a message of its own: email systems must not take it for a repeat
            key=f"{claim.key}-update" if following_up else claim.key,
            channel=name,
            alerts=tuple(load_alert(store, row["shift_id"], topics) for row in claim.deliveries),
            rules=tuple(dict.fromkeys(row["rule"] for row in claim.deliveries if row["rule"])),
            update=(
                tuple(store.shift_sources.outlets_since(first["shift_id"], first["sent_at"]))
                if following_up
                else ()
            ),
            # a follow-up asks only about its own attempts, not the alert's before it
            possible_repeat=store.deliveries.interrupted(
                claim.ids, first["sent_at"] if following_up else None
            ),
        )
        channel.send(envelope)
    except Exception as exc:  # a channel failure must never stop the others
        failures = max(row["attempts"] for row in claim.deliveries) + 1
        delay = backoff_delay(
            failures, settings.retry_initial, settings.retry_max, settings.retry_jitter, rand
        )
        if isinstance(exc, RetryLater):
            delay = max(delay, exc.seconds)
        error = describe_error(exc)
        permanent = isinstance(exc, PermanentFailure)
        retry_at = clock() + timedelta(seconds=delay)
        store.deliveries.finish_failed(
            claim, clock(), error, retry_at, settings.max_attempts, permanent
        )
        dead = sum(
            permanent or row["attempts"] + 1 >= settings.max_attempts for row in claim.deliveries
        )
        report.dead += dead
        report.failed += len(claim.deliveries) - dead
        if dead:
            log.error("delivery %s to %s failed for good (dead): %s", claim.key, name, error)
        else:
            log.warning(
                "delivery %s to %s failed, retry in %.0fs: %s", claim.key, name, delay, error
            )
    else:
        report.sent += store.deliveries.finish_sent(claim, clock())
        report.messages += 1
