"""Feed records: configured feeds, their HTTP validators, their health and their schedule."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from watcher.config import FeedSettings
from watcher.models import FeedState, FetchResult, ParsedFeed
from watcher.redact import error_text
from watcher.store.sql import write_transaction
from watcher.timeutil import to_iso, utc_now

# Errors kept per feed; older ones are pruned so a feed failing for months stays bounded.
ERRORS_KEPT_PER_FEED = 100


class FeedRecords:
    """Reads and writes the ``feeds`` and ``feed_errors`` tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def sync(self, feeds: Iterable[FeedSettings]) -> None:
        """Give every configured feed a row with its name and enabled flag; mark the others.

        Rows of feeds no longer configured stay (their stories refer to them), marked
        ``configured = 0``. A feed the server removed (410) stays disabled whatever the config says.
        """
        with write_transaction(self.db):
            self.db.execute("UPDATE feeds SET configured = 0")
            for feed in feeds:
                self.db.execute(
                    "INSERT INTO feeds (url, name, enabled) VALUES (?, ?, ?) "
                    "ON CONFLICT(url) DO UPDATE SET "
                    "name = excluded.name, enabled = excluded.enabled, configured = 1",
                    [feed.url, feed.name, int(feed.enabled)],
                )

    def state(self, url: str) -> FeedState:
        """What conditional GET needs to know about ``url``, and where it lives now."""
        row = self.db.execute(
            "SELECT etag, last_modified, body_hash, location FROM feeds WHERE url = ?", [url]
        ).fetchone()
        if row is None:
            return FeedState(url)
        return FeedState(url, etag=row[0], last_modified=row[1], body_hash=row[2], location=row[3])

    def record_fetch(self, result: FetchResult) -> None:
        """Remember the outcome of a fetch: validators on success, the error on failure.

        A successful fetch through permanent redirects (301/308 all the way) moves the feed:
        later fetches go straight to the new location. The configured URL stays its key. A
        success also lifts a 410 Gone: the feed is back
        (``watcher poll --once --force --feed URL``).
        """
        now = to_iso(utc_now())
        with write_transaction(self.db):
            if result.ok:
                self.db.execute(
                    "UPDATE feeds SET etag = ?, last_modified = ?, body_hash = ?, last_status = ?, "
                    "last_polled_at = ?, last_success_at = ?, consecutive_failures = 0, "
                    "disabled_reason = NULL, disabled_at = NULL WHERE url = ?",
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
                if result.permanent_redirect:
                    location = None if result.final_url == result.url else result.final_url
                    self.db.execute(
                        "UPDATE feeds SET location = ?, moved_at = ? "
                        "WHERE url = ? AND location IS NOT ?",
                        [location, now, result.url, location],
                    )
            else:
                self.db.execute(
                    "UPDATE feeds SET last_status = ?, last_polled_at = ?, "
                    "consecutive_failures = consecutive_failures + 1 WHERE url = ?",
                    [result.status, now, result.url],
                )
                self._record_error(result.url, "fetch", result.error or "unknown error")

    def record_parse(self, parsed: ParsedFeed) -> None:
        """Remember the feed's own update hint; record a malformed feed's problem, and a
        warning (stage ``warning``) for a feed that brought nothing usable.

        A malformed feed's entries are still processed.
        """
        with write_transaction(self.db):
            self.db.execute(
                "UPDATE feeds SET ttl_minutes = ? WHERE url = ?", [parsed.ttl_minutes, parsed.url]
            )
            if parsed.error:
                self._record_error(parsed.url, "parse", parsed.error)
            if parsed.warning:
                self._record_error(parsed.url, "warning", f"warning: {parsed.warning}")

    def count_items(self, url: str, new_items: int) -> None:
        """Add to the number of entries seen in ``url``."""
        self.db.execute(
            "UPDATE feeds SET items_seen = items_seen + ? WHERE url = ?", [new_items, url]
        )

    def count_article(self, url: str, error: str | None) -> None:
        """Count an article read (``error`` None) or not read, remembering the last failure."""
        if error is None:
            self.db.execute(
                "UPDATE feeds SET articles_read = articles_read + 1 WHERE url = ?", [url]
            )
            return
        self.db.execute(
            "UPDATE feeds SET articles_failed = articles_failed + 1, last_article_error = ?, "
            "last_article_error_at = ? WHERE url = ?",
            [error, to_iso(utc_now()), url],
        )

    def schedule(self, url: str, at: datetime | None, reason: str | None) -> None:
        """Record when the feed is polled next and why then (None: it is not scheduled)."""
        self.db.execute(
            "UPDATE feeds SET next_poll_at = ?, next_poll_reason = ? WHERE url = ?",
            [to_iso(at), reason, url],
        )

    def disable(self, url: str, reason: str) -> None:
        """Stop polling a feed for good (the server said it is gone), saying why."""
        self.db.execute(
            "UPDATE feeds SET disabled_reason = ?, disabled_at = ?, next_poll_at = NULL, "
            "next_poll_reason = NULL WHERE url = ?",
            [reason, to_iso(utc_now()), url],
        )

    def record_error(self, url: str, stage: str, message: str) -> None:
        """Record a problem with one of a feed's stories (``stage`` says where it happened)."""
        with write_transaction(self.db):
            self._record_error(url, stage, message)

    def _record_error(self, url: str, stage: str, message: str) -> None:
        message = error_text(message)  # whatever a server said: redacted, one short line
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

    def get(self, url: str) -> dict[str, Any] | None:
        """One feed row, or None."""
        rows = list(self.db.query("SELECT * FROM feeds WHERE url = ?", [url]))
        return rows[0] if rows else None

    def all(self) -> list[dict]:
        """Every feed row."""
        return list(self.db.query("SELECT * FROM feeds ORDER BY url"))
