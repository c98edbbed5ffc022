"""``watcher serve``: the history in a browser through Datasette (the optional ``serve`` extra).

Datasette reads through read-only connections (``mode=ro``), and none of the canned queries here
writes, so browsing can never change the history. The analyst's pages (``watcher.view``) run in
the same Datasette; only with a token can they acknowledge or reject a shift.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from watcher.history.schema import VIEWS
from watcher.models import Topic

CANNED_QUERIES: dict[str, dict[str, Any]] = {
    "timeline": {
        "title": "Timeline of a topic",
        "description": "Positions on a topic in the order they were stated; leave actor empty "
        "for every actor. Rows with shifted_from set are shifts.",
        "params": ["topic", "actor"],
        "sql": """
            SELECT said_at, actor_id, stance, decision, shifted_from, statement,
                   source_title, first_source, link, position_id
            FROM position_timeline
            WHERE topic_id = :topic AND (:actor = '' OR actor_id = :actor)
            ORDER BY said_at, position_id
        """,
    },
    "recent_shifts": {
        "title": "Recent shifts",
        "description": "The latest changes of stance, with the statements before and after and "
        "the outlet that reported the change first.",
        "sql": """
            SELECT shifted_at, topic_id, actor_id, before_stance, after_stance,
                   before_statement, after_statement, first_source, first_reported_at,
                   source_count, after_link, shift_id
            FROM shift_log
            ORDER BY shifted_at DESC, shift_id DESC
            LIMIT 200
        """,
    },
    "who_reported_first": {
        "title": "Who reported each shift, in order",
        "description": "Every outlet that reported a shift, earliest first; leave topic empty "
        "for every topic.",
        "params": ["topic"],
        "sql": """
            SELECT s.shift_id, s.actor_id, s.before_stance, s.after_stance,
                   source.key + 1 AS place,
                   json_extract(source.value, '$.name') AS outlet,
                   json_extract(source.value, '$.published') AS published,
                   json_extract(source.value, '$.link') AS link,
                   json_extract(source.value, '$.corroborating') AS corroborating
            FROM shift_log s, json_each(s.sources) source
            WHERE :topic = '' OR s.topic_id = :topic
            ORDER BY s.shifted_at DESC, s.shift_id DESC, source.key
        """,
    },
    "search_stories": {
        "title": "Search stories",
        "description": "Stories containing the words of q as a phrase, best match first.",
        "params": ["q"],
        "sql": """
            SELECT log.title, log.published, log.first_source,
                   snippet(stories_fts, -1, '<<', '>>', '…', 16) AS snippet,
                   log.link, log.story_id
            FROM stories_fts
            JOIN story_log log ON log.story_id = stories_fts.story_id
            WHERE stories_fts MATCH '"' || replace(:q, '"', '""') || '"'
            ORDER BY bm25(stories_fts, 0.0, 4.0, 1.0)
            LIMIT 50
        """,
    },
}


class ServeUnavailable(RuntimeError):
    """Datasette is not installed (it comes with the ``serve`` extra)."""


def datasette_metadata(database_name: str) -> dict[str, Any]:
    """Datasette metadata: the views described column by column, and the canned queries."""
    tables = {
        name: {"description": doc.description, "columns": dict(doc.columns)}
        for name, doc in VIEWS.items()
    }
    return {
        "title": "watcher history",
        "description": "Stance positions, shifts and stories recorded by watcher. The views "
        "position_timeline, shift_log and story_log are the stable surface; tables may change.",
        "databases": {
            database_name: {
                "tables": tables,
                "queries": {name: dict(query) for name, query in CANNED_QUERIES.items()},
            }
        },
    }


def serve(
    database: Path,
    host: str,
    port: int,
    *,
    topics: dict[str, Topic] | None = None,
    token: str | None = None,
) -> None:
    """Serve ``database`` through Datasette with the analyst's pages on ``host:port`` until
    interrupted; ``topics`` give claims and actor names, ``token`` allows corrections."""
    try:
        import uvicorn

        from watcher.view import ViewSettings, make_datasette
    except ImportError:
        raise ServeUnavailable(
            "watcher serve needs Datasette: pip install 'watcher[serve]'"
        ) from None
    settings = ViewSettings(database, topics or {}, token)
    datasette = make_datasette(settings, datasette_metadata(database.stem))
    asyncio.run(datasette.invoke_startup())  # what `datasette serve` does before serving
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning", lifespan="on")
