"""Dedup keys: the entry's own id within a feed, link and content across feeds."""

from __future__ import annotations

from watcher.dedup import story_keys
from watcher.models import Story

LONG_TEXT = "The US has refused to provide air defence as a security guarantee for the force."


def test_keys_are_ordered_by_trust() -> None:
    story = Story(
        "id1", "https://a/feed", "T", LONG_TEXT, link="https://a/1", guid="42", content_hash="abc"
    )
    assert story_keys(story) == ["entry:id1", "link:https://a/1", "content:abc"]


def test_short_generic_content_is_known_only_by_its_entry_id() -> None:
    story = Story("id1", "f", "Live updates", "", content_hash="abc")
    assert story_keys(story) == ["entry:id1"]
