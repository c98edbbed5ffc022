"""Analysts correcting shifts: ack and reject (the stance before is back in force, unsent
deliveries cancelled), what the history shows of it, and mutes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest
from alerting import TOPIC, Recorder, add_story, day, position, record, shift

from watcher.alert.dispatch import dispatch_due
from watcher.config import AlertSettings
from watcher.corrections import (
    CorrectionError,
    ack_shift,
    mute,
    reject_shift,
    shift_corrections,
    shift_status,
    unmute,
)
from watcher.history.atom import shift_feed
from watcher.history.connection import open_readonly
from watcher.history.filters import HistoryFilter
from watcher.history.timeline import shift_log, timeline
from watcher.models import Stance
from watcher.store import Store

TOPICS = {"air": TOPIC}
ATOM = {"a": "http://www.w3.org/2005/Atom"}
WHEN = datetime(2030, 1, 1, 12, tzinfo=UTC)
DESK = AlertSettings.model_validate(
    {"channels": [{"type": "console", "name": "rec"}, {"type": "console", "name": "other"}]}
)


def test_reject_restores_the_stance_before_and_cancels_unsent_deliveries(store: Store) -> None:
    shift_id = shift(store, settings=DESK)
    assert store.positions.current("air", "US").position.stance is Stance.AGAINST
    sent = Recorder("other")
    dispatch_due(store, {"other": sent}, TOPICS, DESK, now=WHEN)  # "rec" is not configured here
    assert len(sent.sent) == 1

    result = reject_shift(store, shift_id, why="misread a quote", by="ana", now=WHEN)

    assert (result["status"], result["cancelled"]) == ("rejected", 1)
    assert store.positions.current("air", "US").position.stance is Stance.OBSERVING
    statuses = {
        row["channel"]: (row["status"], row["last_error"]) for row in store.deliveries.all()
    }
    assert statuses["other"][0] == "sent"  # already out: nothing to take back
    assert statuses["rec"] == ("cancelled", "shift rejected by ana: misread a quote")
    rec = Recorder("rec")
    dispatch_due(store, {"rec": rec}, TOPICS, DESK, now=WHEN + timedelta(days=1))
    assert rec.sent == []
    [correction] = shift_corrections(store, shift_id)["corrections"]
    assert (correction["action"], correction["reason"], correction["made_by"]) == (
        "reject",
        "misread a quote",
        "ana",
    )
    assert correction["made_at"] == "2030-01-01T12:00:00+00:00"


def test_after_a_reject_the_next_report_of_the_same_shift_alerts_again(store: Store) -> None:
    shift_id = shift(store, settings=DESK)
    reject_shift(store, shift_id, why="wrong actor", by="ana")
    # the stance in force is "observing" again, so the same refusal reported later is a shift
    add_story(store, "s2", published=day(12))
    _, again = record(
        store, position(Stance.AGAINST, "The US refused air cover.", day(12), "s2"), DESK
    )
    assert again is not None and again != shift_id


def test_ack_confirms_and_an_ack_after_a_reject_puts_the_shift_back_in_force(
    store: Store,
) -> None:
    shift_id = shift(store, settings=DESK)
    assert shift_status(store, shift_id) == "open"
    assert ack_shift(store, shift_id, by="ben", now=WHEN)["status"] == "acknowledged"
    reject_shift(store, shift_id, why="second thoughts", by="ana", now=WHEN)
    assert store.positions.current("air", "US").position.stance is Stance.OBSERVING
    ack_shift(store, shift_id, by="ben", now=WHEN + timedelta(hours=1))
    assert shift_status(store, shift_id) == "acknowledged"
    assert store.positions.current("air", "US").position.stance is Stance.AGAINST
    actions = [c["action"] for c in shift_corrections(store, shift_id)["corrections"]]
    assert actions == ["ack", "reject", "ack"]


def test_the_history_views_show_the_status_and_the_corrections(store: Store) -> None:
    shift_id = shift(store, settings=DESK)
    reject_shift(store, shift_id, why="misread a quote", by="ana", now=WHEN)
    with closing(open_readonly(store.path)) as connection:
        [row] = shift_log(connection, HistoryFilter("air"))
        positions = timeline(connection, HistoryFilter("air"))
    assert row["status"] == "rejected"
    corrections = json.loads(row["corrections"])
    assert [(c["action"], c["made_by"]) for c in corrections] == [("reject", "ana")]
    assert [p["shift_status"] for p in positions] == [None, "rejected"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda store: ack_shift(store, 99, by="ana"), "no shift #99"),
        (lambda store: reject_shift(store, 99, why="x", by="ana"), "no shift #99"),
        (lambda store: shift_corrections(store, 99), "no shift #99"),
        (lambda store: reject_shift(store, 1, why="  ", by="ana"), "needs a reason"),
        (lambda store: ack_shift(store, 1, by=""), "name of who"),
    ],
)
def test_a_correction_that_cannot_be_made_says_why(store: Store, call, message: str) -> None:
    shift(store, settings=DESK)
    with pytest.raises(CorrectionError, match=message):
        call(store)
    assert store.corrections.all() == []


def test_a_muted_actor_s_shifts_are_recorded_but_not_sent(store: Store) -> None:
    mute(store, "air", "US", duration=7 * 86400, by="ana")
    shift_id = shift(store, settings=DESK)
    rows = store.deliveries.all()
    assert {row["status"] for row in rows} == {"cancelled"}
    assert all(row["last_error"].startswith("muted until ") for row in rows)
    assert store.positions.find_shift(shift_id)["status"] == "open"  # recorded as usual
    assert unmute(store, "air", "US") is True
    assert unmute(store, "air", "US") is False
    other = shift(store, settings=DESK, actor="UK")
    assert {row["status"] for row in store.deliveries.all() if row["shift_id"] == other} == {
        "pending"
    }


def test_a_mute_of_the_topic_covers_every_actor_and_ends_on_time(store: Store) -> None:
    now = datetime.now(UTC)
    mute(store, "air", duration=3600, by="ana", now=now - timedelta(hours=2))  # expired
    shift(store, settings=DESK, actor="UK")
    assert {row["status"] for row in store.deliveries.all()} == {"pending"}
    mute(store, "air", duration=3600, by="ana")
    shift(store, settings=DESK, actor="FR")
    assert sorted(row["status"] for row in store.deliveries.all()) == [
        "cancelled",
        "cancelled",
        "pending",
        "pending",
    ]


def test_the_atom_entry_of_a_rejected_shift_says_so_and_keeps_its_id(store: Store) -> None:
    shift_id = shift(store, settings=DESK)
    before = ET.fromstring(shift_feed(store, topics=TOPICS))
    reject_shift(store, shift_id, why="misread a quote", by="ana", now=WHEN)
    after = ET.fromstring(shift_feed(store, topics=TOPICS))
    [old], [new] = before.findall("a:entry", ATOM), after.findall("a:entry", ATOM)
    assert new.findtext("a:id", namespaces=ATOM) == old.findtext("a:id", namespaces=ATOM)
    assert new.findtext("a:title", namespaces=ATOM).startswith("[rejected] United States")
    assert new.findtext("a:updated", namespaces=ATOM) == "2030-01-01T12:00:00+00:00"
    terms = {c.get("term") for c in new.findall("a:category", ATOM)}
    assert "rejected" in terms
