"""Dedup stage: the keys under which a story is recognised when it comes again.

Within a feed an entry is the same story when its guid matches; across feeds (syndication) when
its canonical link or its normalised content matches. The store looks the keys up; this module
only computes them, in order of trust.
"""

from __future__ import annotations

from watcher.models import Story

# Content shorter than this many words is too generic to identify a story ("Live updates").
MIN_WORDS_FOR_CONTENT_KEY = 12


def story_keys(story: Story) -> list[str]:
    """Keys for ``story``, most specific first: feed-scoped guid, canonical link, content."""
    keys = []
    if story.guid:
        keys.append(f"guid:{story.feed_url}:{story.guid}")
    if story.link:
        keys.append(f"link:{story.link}")
    if story.content_hash and len(story.full_text.split()) >= MIN_WORDS_FOR_CONTENT_KEY:
        keys.append(f"content:{story.content_hash}")
    return keys
