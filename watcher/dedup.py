"""Dedup stage: the keys under which a story is recognised when it comes again.

Within a feed an entry is the same story when its id matches: the id derives from the feed and
the entry's guid, else its link, else its content (see ``watcher.parse``). Across feeds
(syndication) it is the same story when its canonical link or its normalised content matches.
The store looks the keys up; this module only computes them, most specific first.
"""

from __future__ import annotations

import hashlib

from watcher.models import Story
from watcher.text import normalise

# Content shorter than this many words is too generic to identify a story across feeds
# ("Live updates").
MIN_WORDS_FOR_CONTENT_KEY = 12
CONTENT_KEY = "content:"  # keys under which equal content is found: a repeat, never a revision


def content_hash(title: str, text: str) -> str:
    """The hash of a story's normalised title and text: equal for the same words in any markup."""
    return hashlib.sha1(normalise(f"{title} {text}").encode()).hexdigest()


def story_keys(story: Story) -> list[str]:
    """Keys for ``story``: its entry id in its feed, then canonical link, then content.

    A story whose article was read has its article's content as a key too, so a summary-only
    entry and another feed's entry carrying the whole article are one story.
    """
    keys = [f"entry:{story.id}"]
    if story.link:
        keys.append(f"link:{story.link}")
    for digest, text in ((story.content_hash, story.text), (story.article_hash, story.article)):
        if digest and len(f"{story.title} {text}".split()) >= MIN_WORDS_FOR_CONTENT_KEY:
            keys.append(f"{CONTENT_KEY}{digest}")
    return keys
