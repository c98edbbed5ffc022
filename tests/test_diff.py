"""Diff stage: shift decisions rest on stance, the word diff explains them."""

from __future__ import annotations

from datetime import UTC, datetime

from watcher.config import ShiftSettings
from watcher.diff import decide_shift, polarity, similarity, stance_changed, word_diff
from watcher.models import Decision, DiffOp, Position, Stance, StanceVerdict

POLICY = ShiftSettings()


def verdict(stance: Stance, confidence: float = 0.9) -> StanceVerdict:
    return StanceVerdict(stance=stance, confidence=confidence)


def position(stance: Stance, text: str, day: int = 1, confidence: float = 0.9) -> Position:
    return Position(
        topic_id="t",
        actor_id="US",
        story_id=f"s{day}",
        verdict=StanceVerdict(stance=stance, confidence=confidence, evidence=(text,)),
        published=datetime(2025, 6, day, tzinfo=UTC),
    )


def test_word_diff_marks_the_inserted_negation() -> None:
    ops = word_diff("The US will provide air cover.", "The US will not provide air cover.")
    assert [op for op in ops if op.tag != "equal"] == [DiffOp("insert", "", "not")]
    assert ops[0] == DiffOp("equal", "The US will", "The US will")


def test_word_diff_ignores_case_and_punctuation_but_keeps_original_words() -> None:
    ops = word_diff("Washington refused.", "washington refused, officials said")
    assert ops == (
        DiffOp("equal", "Washington refused.", "washington refused,"),
        DiffOp("insert", "", "officials said"),
    )


def test_similarity_is_high_for_a_negation_a_similarity_threshold_would_miss() -> None:
    assert similarity("The US will provide air cover", "The US will not provide air cover") > 90


def test_the_reason_names_the_words_that_decided_the_new_stance_in_plain_words() -> None:
    before = StanceVerdict(Stance.FOR, 0.9, polarity=0.9, cues=("will provide",))
    after = StanceVerdict(Stance.AGAINST, 0.9, polarity=-0.9, cues=("refused", "not"))
    _, reason = stance_changed(before, after, POLICY)
    assert reason == (
        "stance flipped from for to against: the new statement refuses, denies or rules out "
        "the claim ('refused', 'not')"
    )
    assert "polarity" not in reason
    hardened = StanceVerdict(Stance.OBSERVING, 0.8, polarity=0.0)
    _, reason = stance_changed(hardened, after, POLICY)
    assert reason.startswith("position hardened from observing to against: the new statement")


def test_first_position_is_a_baseline_unless_configured() -> None:
    first = position(Stance.OBSERVING, "No decision yet.")
    assert decide_shift(None, first, POLICY).decision is Decision.BASELINE
    loud = ShiftSettings(alert_on_baseline=True)
    assert decide_shift(None, first, loud).decision is Decision.SHIFT


def test_polarity_flip_is_a_shift_even_when_the_words_barely_change() -> None:
    before = position(Stance.FOR, "The US will provide air cover.", day=1)
    after = position(Stance.AGAINST, "The US will not provide air cover.", day=2)
    decision = decide_shift(before, after, POLICY)
    assert decision.decision is Decision.SHIFT
    assert decision.reason == (
        "stance flipped from for to against: the new statement refuses, denies or rules out "
        "the claim"
    )
    assert decision.similarity > 90


def test_rewording_with_the_same_stance_is_restated_and_a_repeat_is_same() -> None:
    before = position(Stance.AGAINST, "The US refused to provide air defence for the force.")
    reworded = position(Stance.AGAINST, "Washington turned down requests for air cover.", day=2)
    repeat = position(Stance.AGAINST, "The US refused to provide air defence for the force", day=3)
    assert decide_shift(before, reworded, POLICY).decision is Decision.RESTATED
    assert decide_shift(before, repeat, POLICY).decision is Decision.SAME


def test_commitment_change_is_a_shift_only_when_enabled_and_only_towards_commitment() -> None:
    open_ = position(Stance.OBSERVING, "No decision has been made.", day=1)
    refusal = position(Stance.AGAINST, "The US refused.", day=2)
    assert decide_shift(open_, refusal, POLICY).decision is Decision.SHIFT
    flips_only = ShiftSettings(commitment_changes=False)
    assert decide_shift(open_, refusal, flips_only).decision is Decision.RESTATED
    # a hedged report after a refusal does not undo it
    hedge = position(Stance.OBSERVING, "Officials may reconsider, sources say.", day=3)
    assert decide_shift(refusal, hedge, POLICY).decision is Decision.RESTATED


def test_unconfident_change_is_not_a_shift() -> None:
    changed, reason = stance_changed(
        verdict(Stance.FOR), verdict(Stance.AGAINST, confidence=0.3), POLICY
    )
    assert not changed
    assert "not confident enough (0.30 < 0.50)" in reason


def test_older_story_arriving_late_is_not_compared_as_news() -> None:
    current = position(Stance.AGAINST, "The US refused.", day=10)
    stale = position(Stance.FOR, "The US will provide air cover.", day=2)
    assert decide_shift(current, stale, POLICY).decision is Decision.LATE


def test_texts_leaning_to_opposite_sides_flip_when_both_lean_surely_enough() -> None:
    before = StanceVerdict(Stance.OBSERVING, 0.6, polarity=0.3)
    after = StanceVerdict(Stance.OBSERVING, 0.55, polarity=-0.2)
    changed, reason = stance_changed(before, after, ShiftSettings(min_confidence=0.15))
    assert changed
    assert reason == (
        "stance flipped from observing to against: the new statement refuses, denies or rules "
        "out the claim"
    )
    # the weaker side decides: 0.2 is not sure enough for 0.25
    assert not stance_changed(before, after, ShiftSettings(min_confidence=0.25))[0]


def test_a_stored_position_without_polarity_takes_its_side_from_the_stance() -> None:
    assert polarity(verdict(Stance.AGAINST, 0.8)) == -0.8
    assert polarity(verdict(Stance.OBSERVING, 0.9)) == 0.0
    stored, new = verdict(Stance.FOR, 0.9), StanceVerdict(Stance.AGAINST, 0.7, polarity=-0.6)
    assert stance_changed(stored, new, POLICY)[0]
