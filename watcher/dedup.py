"""Dedup stage: the keys under which a story is recognised when it comes again.

Within a feed an entry is the same story when its id matches: the id derives from the feed and
the entry's guid, else its link, else its content (see ``watcher.parse``). Across feeds
(syndication) it is the same story when its canonical link or its normalised content matches.
A link match is overruled when the feed itself says the entries differ: it gave them different
guids (the posts of a live blog under one link). The store looks the keys up; this module only
computes them, most specific first, and judges a link match.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from watcher.models import Story

LINK_KEY = "link:"

# Content shorter than this many words is too generic to identify a story across feeds
# ("Live updates").
MIN_WORDS_FOR_CONTENT_KEY = 12


def story_keys(story: Story) -> list[str]:
    """Keys for ``story``: its entry id in its feed, then canonical link, then content."""
    keys = [f"entry:{story.id}"]
    if story.link:
        keys.append(f"{LINK_KEY}{story.link}")
    if story.content_hash and len(story.full_text.split()) >= MIN_WORDS_FOR_CONTENT_KEY:
        keys.append(f"content:{story.content_hash}")
    return keys


def another_entry(
    story: Story, matched_key: str, feed_guids: Callable[[], Collection[str]]
) -> bool:
    """True when a link match is not the same entry: the feed gave it another guid.

    ``feed_guids()`` gives the guids under which the matched story came from ``story``'s feed
    (asked only for a link match). A distinct guid keeps entries distinct, so "same link, new
    content" is a revision only when nothing says otherwise; across feeds guids say nothing
    (each feed has its own).
    """
    if not matched_key.startswith(LINK_KEY) or story.guid is None:
        return False
    guids = feed_guids()
    return bool(guids) and story.guid not in guids
