"""Dedup keys: guid within a feed, link and content across feeds."""

from __future__ import annotations

from watcher.dedup import story_keys
from watcher.models import Story

LONG_TEXT = "The US has refused to provide air defence as a security guarantee for the force."


def test_keys_are_ordered_by_trust_and_guid_is_feed_scoped() -> None:
    story = Story(
        "id", "https://a/feed", "T", LONG_TEXT, link="https://a/1", guid="42", content_hash="abc"
    )
    assert story_keys(story) == ["guid:https://a/feed:42", "link:https://a/1", "content:abc"]
    other_feed = Story("id2", "https://b/feed", "T", LONG_TEXT, guid="42", content_hash="abc")
    assert story_keys(other_feed)[0] != story_keys(story)[0]


def test_short_generic_content_gets_no_content_key() -> None:
    story = Story("id", "f", "Live updates", "", content_hash="abc")
    assert story_keys(story) == []
