"""Positions placed in event time: a report published earlier but read later takes its place in
the timeline, moves a shift's evidence to itself, or re-decides what came after it."""

from __future__ import annotations

from alerting import add_story, day, position
from click.testing import CliRunner

from watcher.cli import cli
from watcher.config import Config
from watcher.models import Decision, Position, Stance
from watcher.placement import place_position
from watcher.store import Store

CONFIG = Config.model_validate({"alerts": {"settle": "2m"}})
BASELINE = "Belgium rules out sending troops."
FIRST_HAND = "Belgium will send troops, the prime minister announced."
SECOND_HAND = "Belgium will send troops, according to a report."


def place(store: Store, new: Position) -> tuple[int, Decision, int | None]:
    with store.transaction():
        placed = place_position(store, CONFIG, new)
    return placed.position_id, placed.decision.decision, placed.shift_id


def report(store: Store, story: str, stance: Stance, sentence: str, when, outlet: str) -> Position:
    add_story(
        store, story, feed=f"https://{outlet}.example/feed.xml", outlet=outlet, published=when
    )
    return position(stance, sentence, when, story)


def test_an_earlier_report_read_later_becomes_the_shift_s_evidence_and_first_source(
    store: Store,
) -> None:
    place(store, position(Stance.AGAINST, BASELINE, day(1)))
    later = report(store, "later", Stance.FOR, SECOND_HAND, day(11, 21), "Aggregator")
    _, decision, shift_id = place(store, later)
    assert decision is Decision.SHIFT
    earlier = report(store, "earlier", Stance.FOR, FIRST_HAND, day(11, 18), "Gazette")

    position_id, decision, moved = place(store, earlier)

    assert (decision, moved) == (Decision.SHIFT, shift_id)
    [shift] = store.positions.shifts()
    assert shift["after_position_id"] == position_id
    assert shift["before_stance"] == "against"
    decisions = [row["decision"] for row in store.positions.history("air", "US")]
    assert decisions == ["baseline", "restated", "shift"]  # in the order recorded; none late
    sources = store.shift_sources.sources(shift_id)
    assert [s["feed_name"] for s in sources] == ["Gazette", "Aggregator"]
    assert len(store.deliveries.all()) == 1  # one alert, still waiting out its settle window
    assert store.positions.current("air", "US").position.statement == SECOND_HAND


def test_only_a_report_older_than_the_first_known_position_is_late(store: Store) -> None:
    place(store, position(Stance.AGAINST, BASELINE, day(5)))
    _, decision, shift_id = place(store, position(Stance.FOR, FIRST_HAND, day(2)))
    assert (decision, shift_id) == (Decision.LATE, None)
    [_, late] = store.positions.history("air", "US")
    assert "before the first position known (2025-06-05 12:00)" in late["decision_reason"]
    assert "cannot change anything" in late["decision_reason"]
    assert store.positions.current("air", "US").position.stance is Stance.AGAINST


def test_the_history_command_says_why_a_position_is_late(store: Store) -> None:
    place(store, position(Stance.AGAINST, BASELINE, day(5)))
    place(store, position(Stance.FOR, FIRST_HAND, day(2)))
    result = CliRunner().invoke(cli, ["--db", str(store.path), "history", "air"])
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.stdout.splitlines() if "late:" in line]
    assert line.split()[:3] == ["2025-06-02", "US", "for"]
    assert "late: published 2025-06-02 12:00, before the first position" in line
    assert "cannot change anything" in " ".join(result.stdout.split())  # the reason, wrapped


def test_an_earlier_shift_re_decides_the_positions_after_it(store: Store) -> None:
    place(store, position(Stance.AGAINST, BASELINE, day(1)))
    restated = report(
        store, "again", Stance.AGAINST, "Belgium again rules out troops.", day(9), "A"
    )
    assert place(store, restated)[1] is Decision.RESTATED
    earlier = report(store, "u-turn", Stance.FOR, FIRST_HAND, day(5), "B")

    _, decision, shift_id = place(store, earlier)

    assert decision is Decision.SHIFT
    shifts = store.positions.shifts()
    assert [(s["before_stance"], s["after_stance"]) for s in shifts] == [
        ("against", "for"),
        ("for", "against"),  # the restatement on day 9 now undoes the day-5 shift
    ]
    assert shifts[0]["id"] == shift_id
    assert {d["shift_id"] for d in store.deliveries.all()} == {s["id"] for s in shifts}
    assert store.positions.current("air", "US").position.stance is Stance.AGAINST
    timeline = [row["decision"] for row in store.positions.history("air", "US")]
    assert timeline == ["baseline", "shift", "shift"]


def test_a_report_in_the_middle_that_agrees_with_its_time_changes_nothing_after_it(
    store: Store,
) -> None:
    place(store, position(Stance.AGAINST, BASELINE, day(1)))
    shift_report = report(store, "turn", Stance.FOR, FIRST_HAND, day(10), "A")
    _, _, shift_id = place(store, shift_report)
    middle = report(store, "middle", Stance.AGAINST, "Belgium still rules it out.", day(5), "B")
    assert place(store, middle)[1] is Decision.RESTATED
    [shift] = store.positions.shifts()
    assert (shift["id"], shift["before_stance"], shift["status"]) == (shift_id, "against", "open")
