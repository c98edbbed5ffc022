"""When to try a delivery again, and when a channel may speak: backoff, quiet hours, digests.

Pure functions of their arguments (randomness is passed in), so each rule is tested alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from watcher.config import QuietHoursSettings
from watcher.timeutil import from_iso


def backoff_delay(
    failures: int, initial: float, cap: float, jitter: float, rand: Callable[[], float]
) -> float:
    """Seconds before the next attempt after ``failures`` failed ones (1, 2, ...).

    Doubles from ``initial`` up to ``cap``; up to a ``jitter`` share is taken off at random so
    deliveries that failed together do not all come back at the same moment.
    """
    delay = min(cap, initial * 2 ** max(0, failures - 1))
    return delay * (1 - jitter * rand())


def quiet_until(now: datetime, quiet: QuietHoursSettings | None) -> datetime | None:
    """When the quiet hours that ``now`` falls in end (UTC), or None outside them."""
    if quiet is None:
        return None
    zone = ZoneInfo(quiet.timezone)
    local = now.astimezone(zone)
    moment = local.time().replace(tzinfo=None)
    if quiet.start < quiet.end:
        inside = quiet.start <= moment < quiet.end
    else:  # the window spans midnight, e.g. 22:00-07:00
        inside = moment >= quiet.start or moment < quiet.end
    if not inside:
        return None
    end_day = local.date() if moment < quiet.end else local.date() + timedelta(days=1)
    return datetime.combine(end_day, quiet.end, tzinfo=zone).astimezone(UTC)


def digest_ready(oldest_queued: datetime, window: float, now: datetime) -> bool:
    """True once the oldest queued alert has waited the digest window."""
    return now >= oldest_queued + timedelta(seconds=window)


def held(
    row: dict[str, Any],
    digest: float,
    quiet: QuietHoursSettings | None,
    digest_since: datetime | None,
    now: datetime,
) -> tuple[str, datetime] | None:
    """Why a pending delivery is held back, and until when; None when it may go (or is only
    waiting for a retry).

    ``digest_since``: when the oldest delivery of the channel's next digest was queued.
    """
    if row["status"] != "pending" or row["claimed_by"]:
        return None
    next_at = from_iso(row["next_attempt_at"]) or now
    if row["attempts"] == 0 and next_at > now:  # never tried: settling, or held by the judge
        return row["last_error"] or "settle window", next_at
    quiet_end = quiet_until(max(now, next_at), quiet)
    if quiet_end:
        return "quiet hours", quiet_end
    if digest and not row["batch"] and next_at <= now and digest_since:
        ready = digest_since + timedelta(seconds=digest)
        if ready > now:
            return "digest", ready
    return None
