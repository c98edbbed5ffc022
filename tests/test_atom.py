"""The Atom feed of shifts: valid Atom, one entry per shift, ids stable across runs."""

from __future__ import annotations

import io
import stat
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from historystore import TOPIC, build_history, demo_database

from watcher.cli import cli
from watcher.history.atom import ATOM_NS, shift_feed, write_shift_feed
from watcher.history.filters import HistoryFilter
from watcher.models import Decision, Position, ShiftDecision, Stance, StanceVerdict, Topic
from watcher.store import Store, StoredPosition

A = f"{{{ATOM_NS}}}"


def check_atom(document: bytes) -> feedparser.FeedParserDict:
    """Parse with feedparser and check what RFC 4287 requires of a feed and its entries."""
    parsed = feedparser.parse(document)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    root = ET.fromstring(document)
    assert root.tag == f"{A}feed"
    for element in (root, *root.findall(f"{A}entry")):
        for required in ("id", "title", "updated"):
            assert len(element.findall(f"{A}{required}")) == 1, required
        assert element.findtext(f"{A}id").startswith("urn:uuid:")
        datetime.fromisoformat(element.findtext(f"{A}updated"))  # RFC 3339
    assert root.find(f"{A}author/{A}name") is not None  # so entries need no author of their own
    return parsed


def add_shift(store: Store, actor: str, statement: str, day: int) -> None:
    """A baseline and a shift for ``actor`` (no story: only the positions matter here)."""

    def position(stance: Stance, text: str) -> Position:
        verdict = StanceVerdict(stance, 0.9, evidence=(text,))
        published = datetime(2025, 7, day, tzinfo=UTC)
        return Position(TOPIC, actor, "", verdict, published=published, link=f"https://x/{day}")

    with store.transaction():
        first, _ = store.positions.record(
            position(Stance.FOR, "We will help."), ShiftDecision(Decision.BASELINE, "first"), None
        )
        prior = StoredPosition(first, store.positions.get(first))
        decision = ShiftDecision(Decision.SHIFT, "changed", 10.0)
        store.positions.record(position(Stance.AGAINST, statement), decision, prior)


def test_the_feed_is_valid_atom_with_one_entry_per_shift(tmp_path: Path, demo_topic: Topic) -> None:
    with Store(build_history(tmp_path / "h.db")) as store:
        parsed = check_atom(shift_feed(store, topics={TOPIC: demo_topic}))
    (entry,) = parsed.entries
    assert entry.title == (
        "United States shifted on air cover for the European force in Ukraine: observing -> against"
    )
    assert entry.link == "https://briefing.example/news/us-refuses-aerial-cover"
    assert entry.published.startswith("2025-06-11T18:20:00")
    assert [tag.term for tag in entry.tags] == [TOPIC, "US"]
    assert entry.summary.startswith("The US has refused to provide aerial cover")
    html = entry.content[0].value
    assert "<strong>Claim:</strong> The US will provide air cover" in html
    assert '<a href="https://wire.example/news/us-aerial-cover"' in html  # sources are links
    assert "<del " in html and "<ins " in html and "[-" not in html  # the email's HTML diff
    assert html.index("Eastern Europe Wire") < html.index("Continental Daily")


def test_entry_ids_survive_regeneration_and_a_rebuilt_database(tmp_path: Path) -> None:
    first = tmp_path / "first.db"
    with Store(build_history(first)) as store:
        document = shift_feed(store)
        assert shift_feed(store) == document  # regenerated: the same bytes
    ids = [entry.id for entry in check_atom(document).entries]

    # Rebuilt elsewhere, with another shift recorded first: every row id moves.
    rebuilt = tmp_path / "rebuilt.db"
    with Store(rebuilt) as store:
        add_shift(store, "France", "We will not send jets.", day=1)
    with Store(build_history(rebuilt)) as store:
        row = store.db.execute("SELECT id FROM shifts WHERE actor_id = 'US'").fetchone()
        assert row[0] == 2
        again = check_atom(shift_feed(store, selection=HistoryFilter(actor="US")))
    assert [entry.id for entry in again.entries] == ids


def test_a_new_shift_adds_an_entry_and_keeps_the_others(tmp_path: Path) -> None:
    target = tmp_path / "public" / "shifts.atom"
    with Store(build_history(tmp_path / "h.db")) as store:
        assert write_shift_feed(store, target) is True
        stamp = target.stat().st_mtime_ns
        assert write_shift_feed(store, target) is False  # unchanged: not rewritten
        assert target.stat().st_mtime_ns == stamp
        old_ids = {entry.id for entry in check_atom(target.read_bytes()).entries}
        add_shift(store, "Russia", "Moscow rejects any European force.", day=2)
        assert write_shift_feed(store, target) is True
    parsed = check_atom(target.read_bytes())
    assert old_ids < {entry.id for entry in parsed.entries}
    assert parsed.entries[0].title.startswith("Russia shifted")  # newest first
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # readable by a web server
    assert [p.name for p in target.parent.iterdir()] == ["shifts.atom"]  # no temporary left


def test_filters_and_limit(tmp_path: Path) -> None:
    with Store(build_history(tmp_path / "h.db")) as store:
        add_shift(store, "Russia", "Moscow rejects any European force.", day=2)
        everything = check_atom(shift_feed(store))
        only_us = check_atom(shift_feed(store, selection=HistoryFilter(actor="US")))
        newest = check_atom(shift_feed(store, limit=1))
    assert len(everything.entries) == 2
    assert [entry.title for entry in only_us.entries] == [
        "US shifted on coalition-air-cover: observing -> against"  # no config: no title
    ]
    assert [entry.id for entry in newest.entries] == [everything.entries[0].id]
    assert only_us.feed.id != everything.feed.id  # another filter is another feed


def test_an_empty_history_is_still_a_valid_feed(store: Store) -> None:
    parsed = check_atom(shift_feed(store, title="Nothing yet", self_url="https://x.example/f"))
    assert parsed.entries == []
    assert parsed.feed.title == "Nothing yet"
    assert parsed.feed.links[0].href == "https://x.example/f"


def test_feed_command_writes_the_file(tmp_path: Path) -> None:
    history = build_history(tmp_path / "h.db")
    target = tmp_path / "shifts.atom"
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", str(history), "feed", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert f"{target}: written" in result.stderr
    result = runner.invoke(cli, ["--db", str(history), "feed", "-o", str(target)])
    assert f"{target}: already up to date" in result.stderr
    result = runner.invoke(cli, ["--db", str(history), "feed", "--title", "US shifts"])
    assert check_atom(result.stdout_bytes).feed.title == "US shifts"


def test_demo_feed_ids_are_the_same_on_every_run(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    from watcher.demo import find_seeds, run_demo

    first = demo_database(tmp_path_factory)
    second = run_demo(find_seeds(), tmp_path / "again", io.StringIO()).database
    feeds = []
    for database in (first, second):
        with Store(database) as store:
            feeds.append(check_atom(shift_feed(store)))
    ids = [[entry.id for entry in feed.entries] for feed in feeds]
    assert ids[0], "the demo produced no shift entry"
    assert ids[0] == ids[1]
    assert feeds[0].feed.id == feeds[1].feed.id
