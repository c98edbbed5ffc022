"""Dedup stage: the keys under which a story is recognised when it comes again.

Within a feed an entry is the same story when its id matches: the id derives from the feed and
the entry's guid, else its link, else its content (see ``watcher.parse``). Across feeds
(syndication) it is the same story when its canonical link or its normalised content matches.
The store looks the keys up; this module only computes them, most specific first.
"""

from __future__ import annotations

from watcher.models import Story

# Content shorter than this many words is too generic to identify a story across feeds
# ("Live updates").
MIN_WORDS_FOR_CONTENT_KEY = 12


def story_keys(story: Story) -> list[str]:
    """Keys for ``story``: its entry id in its feed, then canonical link, then content."""
    keys = [f"entry:{story.id}"]
    if story.link:
        keys.append(f"link:{story.link}")
    if story.content_hash and len(story.full_text.split()) >= MIN_WORDS_FOR_CONTENT_KEY:
        keys.append(f"content:{story.content_hash}")
    return keys
