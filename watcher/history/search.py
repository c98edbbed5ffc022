"""Full-text search over stories (the ``stories_fts`` index), ranked, with snippets."""

from __future__ import annotations

import re
import sqlite3

from watcher.history.connection import fetch_rows
from watcher.history.filters import EVERYTHING, HistoryFilter

_PHRASE_OR_WORD = re.compile(r'"([^"]*)"?|(\S+)')

# bm25 weights per index column (story_id, title, text): a hit in the title counts more.
_WEIGHTS = "0.0, 4.0, 1.0"


class SearchError(ValueError):
    """A query the full-text index cannot run (only raw FTS5 syntax can be malformed)."""


def plain_query(text: str) -> str:
    """FTS5 syntax for what a person typed: every word must appear, "quoted words" as a phrase.

    Each word is quoted, so punctuation (U.S., air-cover) and operator words (NOT, OR) are text.
    """
    terms = []
    for phrase, word in _PHRASE_OR_WORD.findall(text):
        term = phrase if phrase.strip() else word
        if term.strip():
            terms.append('"' + term.replace('"', '""') + '"')
    return " ".join(terms)


def search_stories(
    connection: sqlite3.Connection,
    text: str,
    selection: HistoryFilter = EVERYTHING,
    *,
    raw: bool = False,
    limit: int = 20,
    marks: tuple[str, str] = ("[", "]"),
) -> list[dict]:
    """Stories matching ``text``, best first, each with a ``snippet`` whose hits are in ``marks``.

    ``raw`` passes ``text`` to FTS5 as is (OR, NEAR, prefix*, column filters). The filter's topic
    restricts to stories that matched that topic; ``since`` compares the publication date.
    """
    match = text if raw else plain_query(text)
    if not match.strip():
        raise SearchError("nothing to search for")
    where, params = selection.where(
        "COALESCE(log.published, log.first_seen_at)",
        topic_sql="EXISTS (SELECT 1 FROM json_each(log.topics) WHERE value = ?)",
        actor_sql=None,
    )
    sql = f"""
        WITH hits AS (
            SELECT story_id,
                   snippet(stories_fts, -1, ?, ?, '…', 16) AS snippet,
                   bm25(stories_fts, {_WEIGHTS}) AS score
            FROM stories_fts WHERE stories_fts MATCH ?
        )
        SELECT log.story_id, log.title, log.published, log.first_source, log.source_count,
               log.topics, log.link, hits.snippet, -hits.score AS relevance
        FROM hits JOIN story_log log ON log.story_id = hits.story_id
        {where}
        ORDER BY hits.score, log.story_id
        LIMIT ?
    """
    try:
        return fetch_rows(connection, sql, [*marks, match, *params, limit])
    except sqlite3.OperationalError as exc:
        if "fts5" in str(exc) or "syntax" in str(exc) or "no such column" in str(exc):
            raise SearchError(f"cannot search for {match!r}: {exc}") from None
        raise
