"""Analysts' verdicts as labelled data: each acknowledged or rejected shift becomes a pair
`watcher eval shifts FILE --labels shift` reads, so rejected shifts become test cases."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

# The verdict each shift status stands for: did the stance really shift?
_SHIFTED = {"acknowledged": True, "rejected": False}
# Columns of an exported correction, in order.
LABEL_COLUMNS = (
    "id",
    "claim",
    "before",
    "after",
    "shift",
    "topic",
    "actor",
    "before_stance",
    "after_stance",
    "status",
    "reason",
    "made_by",
    "made_at",
)


def labelled_shifts(rows: Iterable[dict[str, Any]], claims: dict[str, str]) -> Iterator[dict]:
    """One labelled pair per corrected shift (``shift_log`` rows; ``claims``: topic -> claim).

    ``shift`` is the analyst's verdict (acknowledged: true, rejected: false); ``reason``,
    ``made_by`` and ``made_at`` come from the latest correction. Open shifts are left out, and
    so are shifts whose topic is no longer configured (their claim is unknown).
    """
    for row in rows:
        if row["status"] not in _SHIFTED or row["topic_id"] not in claims:
            continue
        corrections = row["corrections"]
        latest = (json.loads(corrections) if isinstance(corrections, str) else corrections)[-1]
        yield {
            "id": f"shift-{row['shift_id']}",
            "claim": claims[row["topic_id"]],
            "before": row["before_statement"] or "",
            "after": row["after_statement"] or "",
            "shift": _SHIFTED[row["status"]],
            "topic": row["topic_id"],
            "actor": row["actor_id"],
            "before_stance": row["before_stance"],
            "after_stance": row["after_stance"],
            "status": row["status"],
            "reason": latest["reason"],
            "made_by": latest["made_by"],
            "made_at": latest["made_at"],
        }
