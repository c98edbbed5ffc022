"""When to try a delivery again, and when a channel may speak: backoff, quiet hours, digests.

Pure functions of their arguments (randomness is passed in), so each rule is tested alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from watcher.config import QuietHoursSettings


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
