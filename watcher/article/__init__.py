"""Read the article behind a feed entry when the entry itself is only a summary.

The entry point is :class:`ArticleReader` (``await reader.read_all(client, stories)``), with
:func:`wants_article` deciding which entries it is given. A story keeps both texts: ``text`` from
the feed and ``article`` from the page, and the stages read the article when there is one.
"""

from watcher.article.policy import Relevance, wants_article
from watcher.article.reader import ArticleReader

__all__ = ["ArticleReader", "Relevance", "wants_article"]
