"""What a person reads, compared with stored snapshots: the Atom entry's HTML content and the
plain-text alert, for the hand-made history's US shift (tests/historystore.py).

A change to either rendering shows here as a readable diff. When the change is intended,
regenerate the snapshots and review them with ``git diff``:

    WATCHER_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_snapshots.py
"""

from __future__ import annotations

import os
from pathlib import Path

import feedparser
import pytest
from historystore import TOPIC, build_history

from watcher.alert.message import load_alert
from watcher.alert.render import render_text
from watcher.history.atom import shift_feed
from watcher.models import Topic
from watcher.store import Store

SNAPSHOTS = Path(__file__).parent / "data" / "snapshots"
UPDATE = os.environ.get("WATCHER_UPDATE_SNAPSHOTS") == "1"


def matches_snapshot(name: str, actual: str) -> None:
    """``actual`` equals the snapshot ``name`` (written instead, when updating)."""
    path = SNAPSHOTS / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    if not path.exists():
        pytest.fail(f"no snapshot {path}; run with WATCHER_UPDATE_SNAPSHOTS=1 to write it")
    assert actual == path.read_text(encoding="utf-8")


@pytest.fixture
def history(tmp_path: Path) -> Store:
    with Store(build_history(tmp_path / "h.db")) as store:
        yield store


def test_the_atom_content_is_the_emails_html(history: Store, demo_topic: Topic) -> None:
    (entry,) = feedparser.parse(shift_feed(history, topics={TOPIC: demo_topic})).entries
    content = entry.content[0]
    assert content.type == "text/html"
    matches_snapshot("atom-content.html", content.value + "\n")


def test_the_text_alert(history: Store, demo_topic: Topic) -> None:
    shift_id = history.db.execute("SELECT id FROM shifts").fetchone()[0]
    text = render_text(load_alert(history, shift_id, {TOPIC: demo_topic}))
    matches_snapshot("alert.txt", text + "\n")
