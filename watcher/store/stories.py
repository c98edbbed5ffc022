"""Story records: stories, the feed entries that carried them, their keys and topics."""

from __future__ import annotations

import json
from typing import NamedTuple

from sqlite_utils import Database

from watcher.models import Story, TopicMatch
from watcher.store.sql import insert
from watcher.timeutil import to_iso, utc_now


class KnownStory(NamedTuple):
    """A stored story found under one of an entry's keys."""

    id: str
    content_hash: str
    key: str  # the key it was found under


class StoryRecords:
    """Reads and writes ``stories``, ``story_sources``, ``story_keys`` and ``story_topics``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def find(self, keys: list[str]) -> KnownStory | None:
        """The known story under any of ``keys``, trusted first."""
        for key in keys:
            row = self.db.execute(
                "SELECT s.id, s.content_hash FROM story_keys k JOIN stories s ON s.id = k.story_id "
                "WHERE k.key = ?",
                [key],
            ).fetchone()
            if row:
                return KnownStory(row[0], row[1], key)
        return None

    def guids_from(self, story_id: str, feed_url: str) -> set[str]:
        """The guids under which ``feed_url`` carried story ``story_id``."""
        rows = self.db.execute(
            "SELECT guid FROM story_sources WHERE story_id = ? AND feed_url = ? "
            "AND guid IS NOT NULL",
            [story_id, feed_url],
        )
        return {row[0] for row in rows}

    def add(self, story: Story, keys: list[str]) -> None:
        """Insert a new story with its first source and its keys."""
        insert(
            self.db,
            "stories",
            {
                "id": story.id,
                "title": story.title,
                "text": story.text,
                "link": story.link,
                "published": to_iso(story.published),
                "content_hash": story.content_hash,
                "first_seen_at": to_iso(utc_now()),
            },
        )
        self.add_source(story.id, story, keys)

    def revise(self, story_id: str, story: Story) -> None:
        """Replace a known story's text with a revised version (same guid or link, new content)."""
        self.db.execute(
            "UPDATE stories SET title = ?, text = ?, content_hash = ? WHERE id = ?",
            [story.title, story.text, story.content_hash, story_id],
        )

    def add_source(self, story_id: str, entry: Story, keys: list[str]) -> bool:
        """Record that ``entry`` (from some feed) carried story ``story_id``; False if known."""
        inserted = self.db.execute(
            "INSERT OR IGNORE INTO story_sources "
            "(story_id, feed_url, entry_id, link, guid, published, seen_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                story_id,
                entry.feed_url,
                entry.id,
                entry.link,
                entry.guid,
                to_iso(entry.published),
                to_iso(utc_now()),
            ],
        ).rowcount
        for key in keys:
            self.db.execute(
                "INSERT OR IGNORE INTO story_keys (key, story_id) VALUES (?, ?)", [key, story_id]
            )
        return bool(inserted)

    def record_topics(self, story_id: str, matches: list[TopicMatch]) -> None:
        """Remember which topics a story matched (replacing an earlier analysis)."""
        self.db.execute("DELETE FROM story_topics WHERE story_id = ?", [story_id])
        for match in matches:
            insert(
                self.db,
                "story_topics",
                {
                    "story_id": story_id,
                    "topic_id": match.topic_id,
                    "score": match.score,
                    "terms": json.dumps(list(match.terms)),
                    "sentences": json.dumps(list(match.sentences)),
                },
            )

    def sources(self, story_id: str) -> list[dict]:
        """The feed entries that carried a story, earliest first."""
        return list(
            self.db.query(
                "SELECT feed_url, link, published, seen_at FROM story_sources "
                "WHERE story_id = ? ORDER BY seen_at, rowid",
                [story_id],
            )
        )

    def count(self) -> int:
        """Number of distinct stories stored."""
        return self.db.execute("SELECT COUNT(*) FROM stories").fetchone()[0]
