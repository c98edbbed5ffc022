"""Which entries' articles are read: the per-feed mode, the entry's length, its relevance."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from watcher.config import ArticleSettings
from watcher.match import TopicMatcher
from watcher.models import Story, Topic
from watcher.stance.attribution import name_pattern

# Top-level domains reserved for documentation and tests (RFC 2606, RFC 6761): no page behind them.
RESERVED_DOMAINS = ("example", "invalid", "test")


def wants_article(
    story: Story, mode: str, settings: ArticleSettings, relevant: Callable[[Story], bool]
) -> bool:
    """True when ``story``'s linked page should be read.

    ``mode`` is the feed's ``articles`` setting: ``"never"``; ``"always"`` (every entry with a
    web link); ``"auto"``: the entry's own text is shorter than ``settings.min_chars`` and, with
    ``settings.relevant_only``, ``relevant(story)`` says its title or summary names a topic's
    terms or actors. Links to reserved domains (``*.example``) are never followed.
    """
    if mode == "never" or not _followable(story.link or ""):
        return False
    if mode == "always":
        return True
    if len(story.text) >= settings.min_chars:
        return False
    return not settings.relevant_only or relevant(story)


def _followable(link: str) -> bool:
    try:
        parts = urlsplit(link)
    except ValueError:
        return False
    host = (parts.hostname or "").rstrip(".")
    return parts.scheme in ("http", "https") and host.rpartition(".")[2] not in RESERVED_DOMAINS


class Relevance:
    """Whether an entry's title or summary names a topic: a topic term (matched as the match
    stage does, fuzzily) or one of its actors' names. Build once per config."""

    def __init__(self, topics: Iterable[Topic], matcher: TopicMatcher) -> None:
        names = tuple(name for topic in topics for actor in topic.actors for name in actor.names)
        self._actor_names = name_pattern(names) if names else None
        self._matcher = matcher

    def __call__(self, story: Story) -> bool:
        """True when ``story`` (its feed text: no article yet) names a tracked topic or actor."""
        return self.names_actor(story) or self.matches_terms(story)

    def names_actor(self, story: Story) -> bool:
        """True when the title or summary names one of the topics' actors."""
        return bool(self._actor_names and self._actor_names.search(story.full_text))

    def matches_terms(self, story: Story) -> bool:
        """True when the title or summary matches a topic's terms, as the match stage finds them."""
        return bool(self._matcher.match(story))
