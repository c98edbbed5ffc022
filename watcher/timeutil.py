"""UTC timestamps, stored as ISO 8601 text so SQLite sorts and compares them correctly."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def to_iso(moment: datetime | None) -> str | None:
    """ISO 8601 text in UTC, or None."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_iso(text: str | None) -> datetime | None:
    """Parse what :func:`to_iso` wrote."""
    return datetime.fromisoformat(text) if text else None
