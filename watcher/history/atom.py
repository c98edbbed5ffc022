"""An Atom feed of detected shifts, so a feed reader can subscribe to them.

Entry ids are derived from what the shift *is* (topic, actor, the stances, and the new
statement's date, link and words), not from row ids or the database file: the same shift keeps
its id when the feed is regenerated, when the database is rebuilt from the same feeds (the demo
does this on every run) or restored elsewhere, and a reused row id never passes a new shift off
as one the reader has already seen.
"""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from watcher import __version__
from watcher.alert.html_render import render_alert_html
from watcher.alert.message import load_alert
from watcher.history.files import replace_file
from watcher.history.filters import EVERYTHING, HistoryFilter
from watcher.history.timeline import shift_log
from watcher.models import Topic
from watcher.store import Store

ATOM_NS = "http://www.w3.org/2005/Atom"
# Fixed for ever: changing it would change every entry id, and readers would show old shifts anew.
_ID_NAMESPACE = uuid.UUID("c1945923-78e1-417a-a69f-d2f36dae868b")
DEFAULT_TITLE = "watcher: stance shifts"
DEFAULT_LIMIT = 50

ET.register_namespace("", ATOM_NS)


def shift_entry_id(shift: dict[str, Any]) -> str:
    """The Atom id of a ``shift_log`` row: a name-based UUID URN of the shift's content."""
    key = "\x1f".join(
        str(shift[column] or "")
        for column in (
            "topic_id",
            "actor_id",
            "before_stance",
            "after_stance",
            "after_published",
            "after_link",
            "after_statement",
        )
    )
    return uuid.uuid5(_ID_NAMESPACE, "shift\x1f" + key).urn


def feed_id(title: str, selection: HistoryFilter, self_url: str | None) -> str:
    """The feed's own id: from its public URL when it has one, else from its title and filter."""
    key = self_url or "\x1f".join((title, selection.topic or "", selection.actor or ""))
    return uuid.uuid5(_ID_NAMESPACE, "feed\x1f" + key).urn


def shift_feed(
    store: Store,
    *,
    topics: dict[str, Topic] | None = None,
    selection: HistoryFilter = EVERYTHING,
    limit: int = DEFAULT_LIMIT,
    title: str = DEFAULT_TITLE,
    self_url: str | None = None,
) -> bytes:
    """The Atom document (UTF-8) of the ``limit`` most recent shifts matching ``selection``.

    ``topics`` supply claims and actor names for the entry text; without them ids are shown.
    Nothing in it depends on the time it is generated, so unchanged history gives equal bytes.
    """
    shifts = _unique_by_id(shift_log(store.db.conn, selection, limit))
    feed = ET.Element(_tag("feed"))
    _text(feed, "id", feed_id(title, selection, self_url))
    _text(feed, "title", title)
    _text(feed, "updated", _feed_updated(store, shifts))
    author = ET.SubElement(feed, _tag("author"))
    _text(author, "name", "watcher")
    _text(feed, "generator", "watcher", version=__version__)
    if self_url:
        ET.SubElement(feed, _tag("link"), rel="self", type="application/atom+xml", href=self_url)
    for shift in shifts:
        _add_entry(feed, store, shift, topics or {})
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def write_shift_feed(store: Store, path: Path | str, **options: Any) -> bool:
    """Write :func:`shift_feed` to ``path`` atomically; return False if it was already current.

    ``options`` are :func:`shift_feed`'s. Safe to call after every poll: an unchanged feed is not
    rewritten, so its modification time (and a web server's Last-Modified) stays put.
    """
    path = Path(path)
    document = shift_feed(store, **options)
    if path.is_file() and path.read_bytes() == document:
        return False
    replace_file(path, document)
    return True


def _unique_by_id(shifts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop repeats of a shift already listed (the same change recorded twice)."""
    seen: set[str] = set()
    unique = []
    for shift in shifts:
        entry_id = shift_entry_id(shift)
        if entry_id not in seen:
            seen.add(entry_id)
            unique.append({**shift, "entry_id": entry_id})
    return unique


def _feed_updated(store: Store, shifts: list[dict[str, Any]]) -> str:
    """The newest detection or correction; for an empty feed, when the database was created
    (not "now")."""
    if shifts:
        corrected = [c["made_at"] for s in shifts for c in json.loads(s["corrections"] or "[]")]
        return max([*(shift["detected_at"] for shift in shifts), *corrected])
    created = store.db.execute("SELECT MIN(applied_at) FROM schema_migrations").fetchone()[0]
    return created


def _add_entry(
    feed: ET.Element, store: Store, shift: dict[str, Any], topics: dict[str, Topic]
) -> None:
    alert = load_alert(store, shift["shift_id"], topics)
    entry = ET.SubElement(feed, _tag("entry"))
    corrections = json.loads(shift["corrections"] or "[]")
    voided = shift["status"] in ("rejected", "superseded")
    _text(entry, "id", shift["entry_id"])
    _text(entry, "title", f"[{shift['status']}] {alert.headline}" if voided else alert.headline)
    # a correction updates the entry, so feed readers show the change
    _text(entry, "updated", max([shift["detected_at"], *(c["made_at"] for c in corrections)]))
    if shift["after_published"]:
        _text(entry, "published", shift["after_published"])
    if shift["after_link"]:
        link = shift["after_link"]
        ET.SubElement(entry, _tag("link"), rel="alternate", type="text/html", href=link)
    terms = [("topic", shift["topic_id"]), ("actor", shift["actor_id"])]
    if voided:
        terms.append(("status", shift["status"]))
    for scheme, term in terms:
        ET.SubElement(entry, _tag("category"), term=term, label=f"{scheme}: {term}")
    _text(entry, "summary", shift["after_statement"] or alert.headline)
    # the email's HTML, diff marked in colour (sanitised: feed text cannot inject markup)
    _text(entry, "content", render_alert_html(alert), type="html")


def _tag(name: str) -> str:
    return f"{{{ATOM_NS}}}{name}"


def _text(parent: ET.Element, name: str, value: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, _tag(name), **attributes)
    element.text = value
    return element
