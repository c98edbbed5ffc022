"""Feed records: configured feeds, their HTTP validators and their health."""

from __future__ import annotations

from collections.abc import Iterable

from sqlite_utils import Database

from watcher.config import FeedSettings
from watcher.models import FeedState, FetchResult, ParsedFeed
from watcher.timeutil import to_iso, utc_now

# Errors kept per feed; older ones are pruned so a feed failing for months stays bounded.
ERRORS_KEPT_PER_FEED = 100


class FeedRecords:
    """Reads and writes the ``feeds`` and ``feed_errors`` tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def sync(self, feeds: Iterable[FeedSettings]) -> None:
        """Make sure every configured feed has a row, with its current name and enabled flag."""
        with self.db.atomic():
            for feed in feeds:
                self.db.execute(
                    "INSERT INTO feeds (url, name, enabled) VALUES (?, ?, ?) "
                    "ON CONFLICT(url) DO UPDATE SET "
                    "name = excluded.name, enabled = excluded.enabled",
                    [feed.url, feed.name, int(feed.enabled)],
                )

    def state(self, url: str) -> FeedState:
        """What conditional GET needs to know about ``url``."""
        row = self.db.execute(
            "SELECT etag, last_modified, body_hash FROM feeds WHERE url = ?", [url]
        ).fetchone()
        if row is None:
            return FeedState(url)
        return FeedState(url, etag=row[0], last_modified=row[1], body_hash=row[2])

    def record_fetch(self, result: FetchResult) -> None:
        """Remember the outcome of a fetch: validators on success, the error on failure."""
        now = to_iso(utc_now())
        with self.db.atomic():
            if result.ok:
                self.db.execute(
                    "UPDATE feeds SET etag = ?, last_modified = ?, body_hash = ?, last_status = ?, "
                    "last_polled_at = ?, last_success_at = ?, consecutive_failures = 0 "
                    "WHERE url = ?",
                    [
                        result.etag,
                        result.last_modified,
                        result.body_hash,
                        result.status,
                        now,
                        now,
                        result.url,
                    ],
                )
            else:
                self.db.execute(
                    "UPDATE feeds SET last_status = ?, last_polled_at = ?, "
                    "consecutive_failures = consecutive_failures + 1 WHERE url = ?",
                    [result.status, now, result.url],
                )
                self._record_error(result.url, "fetch", result.error or "unknown error")

    def record_parse(self, parsed: ParsedFeed) -> None:
        """Record a malformed feed's problem; its entries are still processed."""
        if parsed.error:
            with self.db.atomic():
                self._record_error(parsed.url, "parse", parsed.error)

    def count_items(self, url: str, new_items: int) -> None:
        """Add to the number of entries seen in ``url``."""
        self.db.execute(
            "UPDATE feeds SET items_seen = items_seen + ? WHERE url = ?", [new_items, url]
        )

    def _record_error(self, url: str, stage: str, message: str) -> None:
        now = to_iso(utc_now())
        self.db.execute(
            "UPDATE feeds SET last_error = ?, last_error_at = ? WHERE url = ?", [message, now, url]
        )
        self.db.execute(
            "INSERT INTO feed_errors (feed_url, stage, message, occurred_at) VALUES (?, ?, ?, ?)",
            [url, stage, message, now],
        )
        self.db.execute(
            "DELETE FROM feed_errors WHERE feed_url = ? AND id NOT IN "
            "(SELECT id FROM feed_errors WHERE feed_url = ? ORDER BY id DESC LIMIT ?)",
            [url, url, ERRORS_KEPT_PER_FEED],
        )

    def errors(self, url: str | None = None) -> list[dict]:
        """Recorded feed errors, newest first."""
        where, params = ("WHERE feed_url = ?", [url]) if url else ("", [])
        return list(self.db.query(f"SELECT * FROM feed_errors {where} ORDER BY id DESC", params))

    def all(self) -> list[dict]:
        """Every feed row."""
        return list(self.db.query("SELECT * FROM feeds ORDER BY url"))
