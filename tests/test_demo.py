"""`watcher demo` end to end: the outcome seeds/README.md promises, snapshot by snapshot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from watcher.cli import cli
from watcher.demo import find_seeds, run_demo
from watcher.store import Store

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("demo")
    with open(workdir / "narration.txt", "w", encoding="utf-8") as out:
        result = run_demo(find_seeds(SEEDS), workdir, out)
    return result, (workdir / "narration.txt").read_text(encoding="utf-8")


def decisions(report) -> list[tuple[str, str, str]]:
    return [(p.actor_id, p.stance.value, d.decision.value) for p, d in report.recorded]


def test_march_restates_the_starting_positions_and_gives_russia_none(demo) -> None:
    result, _ = demo
    march = result.reports[0]
    assert decisions(march) == [("US", "observing", "restated"), ("UK", "for", "restated")]
    assert march.shift_ids == []


def test_april_rewording_and_unchanged_feeds_are_no_shift(demo) -> None:
    result, _ = demo
    april = result.reports[1]
    assert april.unchanged == 2  # the feeds missing from the snapshot answered 304
    assert decisions(april) == [("US", "observing", "restated")]
    assert april.shift_ids == []


def test_june_is_one_us_shift_with_every_outlet_as_a_source(demo) -> None:
    result, narration = demo
    june = result.reports[2]
    assert result.shift_ids == june.shift_ids and len(june.shift_ids) == 1
    assert sorted(decisions(june)) == [
        ("France", "for", "restated"),
        ("UK", "for", "restated"),
        ("US", "against", "restated"),  # the re-worded report from another outlet
        ("US", "against", "shift"),
    ]
    with Store(result.database) as store:
        shift = store.positions.shift(june.shift_ids[0])
        assert (shift["actor_id"], shift["before_stance"], shift["after_stance"]) == (
            "US",
            "observing",
            "against",
        )
    alerts = [json.loads(line) for line in result.alerts_file.read_text().splitlines()]
    assert len(alerts) == 1
    assert len(alerts[0]["sources"]) == 3
    assert "1 shift(s) detected" in narration


def test_the_shift_rests_on_the_article_behind_a_summary_only_entry(demo) -> None:
    result, _ = demo
    june = result.reports[2]
    with Store(result.database) as store:
        shift = store.positions.shift(june.shift_ids[0])
        after = store.db["positions"].get(shift["after_position_id"])
        story = store.db["stories"].get(after["story_id"])
    assert after["evidence_from"] == "article"
    assert story["text"].startswith("Washington has given its answer")  # the feed's summary
    assert "The US has refused to provide air defense" in story["article"]
    evidence = " ".join(json.loads(after["evidence"]))
    assert "The US has refused to provide air defense" in evidence
    assert "has refused" not in story["text"]  # the summary alone could not have said it
    # The page's related-stories box says the opposite; it never reaches the article text.
    assert "agrees to provide air cover" not in story["article"] + evidence
    assert story["author"] == "Anastasiia Mohylevets"


def test_the_command_exits_0_and_prints_the_shift(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["demo", "--seeds", str(SEEDS), "--workdir", str(tmp_path)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert (
        "United States shifted on air cover for the European force in Ukraine: observing -> against"
        in result.output
    )
    for shown in ("Before: observing", "After: against", "Diff", "refuses", "Sources (3)"):
        assert shown in result.output
