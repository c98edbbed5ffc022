"""Which entries' articles are read: the per-feed mode, the entry's length, its relevance."""

from __future__ import annotations

from collections.abc import Callable

from watcher.config import ArticleSettings
from watcher.models import Story


def wants_article(
    story: Story, mode: str, settings: ArticleSettings, relevant: Callable[[Story], bool]
) -> bool:
    """True when ``story``'s linked page should be read.

    ``mode`` is the feed's ``articles`` setting: ``"never"``; ``"always"`` (every entry with a
    web link); ``"auto"``: the entry's own text is shorter than ``settings.min_chars`` and, with
    ``settings.relevant_only``, ``relevant(story)`` says its title or summary names a topic's
    terms or actors.
    """
    if mode == "never" or not (story.link or "").startswith(("http://", "https://")):
        return False
    if mode == "always":
        return True
    if len(story.text) >= settings.min_chars:
        return False
    return not settings.relevant_only or relevant(story)
