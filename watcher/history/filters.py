"""The filters every history command shares: topic, actor, and a --since moment or age."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from watcher.config import parse_duration
from watcher.timeutil import to_iso, utc_now

# An age needs its unit, so that "2025" stays a year and never becomes 2025 seconds.
_AGE = re.compile(r"^\s*\d+(?:\.\d+)?\s*(s|sec|m|min|h|d)\s*$")


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """A moment from an ISO date or time ("2025-06-01", "2025-06-01T18:00") or an age ("30d").

    Dates and times without a zone are UTC, like everything watcher stores.
    """
    if _AGE.match(text):
        return (now or utc_now()) - timedelta(seconds=parse_duration(text))
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a date (2025-06-01), a time (2025-06-01T18:00) "
            "nor an age (90m, 12h, 30d)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class HistoryFilter:
    """Which part of the history to read; None means no restriction."""

    topic: str | None = None
    actor: str | None = None
    since: datetime | None = None

    def where(
        self,
        time_column: str,
        topic_sql: str = "topic_id = ?",
        actor_sql: str | None = "actor_id = ?",
    ) -> tuple[str, list[Any]]:
        """A ``WHERE ...`` clause (empty when nothing is filtered) and its parameters.

        ``topic_sql`` and ``actor_sql`` are conditions with one ``?``; ``actor_sql`` is None for
        rows that have no actor (stories), where asking for one is an error.
        """
        conditions: list[str] = []
        params: list[Any] = []
        if self.topic is not None:
            conditions.append(topic_sql)
            params.append(self.topic)
        if self.actor is not None:
            if actor_sql is None:
                raise ValueError("these rows have no actor to filter on")
            conditions.append(actor_sql)
            params.append(self.actor)
        if self.since is not None:
            # Stored times are ISO 8601 in UTC, so text order is time order.
            conditions.append(f"{time_column} >= ?")
            params.append(to_iso(self.since))
        return ("WHERE " + " AND ".join(conditions) if conditions else ""), params


EVERYTHING = HistoryFilter()  # no restriction: the whole history
