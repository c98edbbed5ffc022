"""The stance decision: negation scope, refusals, hedges, polarity, explanations, and FNC-1."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from watcher.config import ShiftSettings
from watcher.diff import stance_changed
from watcher.evaluation import fnc1_score, read_fnc1, read_shifts, shift_report
from watcher.models import Stance
from watcher.stance import classify, classify_statement
from watcher.stance.explain import FEATURE_PHRASES
from watcher.stance.model import load_model
from watcher.stance.reading import read_sentence

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CLAIM = (
    "The US will provide air cover / a security backstop for European forces deployed in "
    "Ukraine after a ceasefire"
)
FLIPS = ShiftSettings(commitment_changes=False, min_confidence=0.0)


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("Washington will not provide air cover.", {"provid", "air", "cover"}),
        ("The US won't send jets, but it will share intelligence.", {"send", "jet"}),
        ("The US refused to provide air defence.", {"provid", "air", "defenc"}),
        ("The airline has no plans to separate passengers.", {"separat", "passenger"}),
    ],
)
def test_negation_scope_ends_at_the_clause(sentence: str, negated: set[str]) -> None:
    assert read_sentence(sentence).negated == negated


@pytest.mark.parametrize(
    "sentence",
    [
        "The US has not ruled out providing air cover.",
        "The White House did not deny that it was considering the request.",
        "It has not been confirmed by the ministry.",
    ],
)
def test_negated_refusal_leaves_the_question_open(sentence: str) -> None:
    reading = read_sentence(sentence)
    assert reading.opened
    assert not reading.refusals
    assert not reading.denies


def test_negated_falsity_confirms() -> None:
    reading = read_sentence("The video is not a hoax, police said.")
    assert reading.confirmations == ("not a hoax",)
    assert not reading.refutations


def test_not_only_is_no_negation() -> None:
    assert not read_sentence("They urged it not only to provide air support.").negated


@pytest.mark.parametrize(
    "statement",
    [
        "The US has refused to provide air cover for European forces in Ukraine.",
        "Washington will not provide air cover for European troops deployed in Ukraine.",
        "The US has ruled out providing an air defence backstop for European forces in Ukraine.",
        "The United States has no plans to provide air cover for European forces in Ukraine.",
    ],
)
def test_refusals_are_against(statement: str) -> None:
    verdict = classify_statement(CLAIM, statement)
    assert verdict.stance is Stance.AGAINST, verdict.explanation
    assert verdict.cues, "an against verdict names the cue words it rests on"
    assert any(cue in statement.lower() for cue in verdict.cues)


@pytest.mark.parametrize(
    "statement",
    [
        "The US will provide air cover for European forces deployed in Ukraine after a ceasefire.",
        "The US pledged to provide air cover for European forces in Ukraine.",
    ],
)
def test_commitments_are_for(statement: str) -> None:
    assert classify_statement(CLAIM, statement).stance is Stance.FOR


@pytest.mark.parametrize(
    "statement",
    [
        "The US has not ruled out providing air cover for European forces; officials said no "
        "decision had been made.",
        "The US is reportedly considering air cover for European forces in Ukraine.",
        "Sources say Washington may provide air cover for European forces in Ukraine.",
        "Will the US provide air cover for European forces in Ukraine?",
    ],
)
def test_hedged_and_open_reports_are_observing(statement: str) -> None:
    verdict = classify_statement(CLAIM, statement)
    assert verdict.stance is Stance.OBSERVING, verdict.explanation


def test_unrelated_text() -> None:
    text = (
        "The city council approved a new budget for public libraries on Tuesday. The mayor said "
        "opening hours would be extended in the spring."
    )
    assert classify(CLAIM, text).stance is Stance.UNRELATED


def test_verdict_is_explained_and_deterministic() -> None:
    text = (
        "US refuses to provide air cover for European forces in Ukraine. The US has refused to "
        "provide air defence as a security guarantee for the European forces that Britain "
        "plans to deploy in Ukraine after a ceasefire."
    )
    first, second = classify(CLAIM, text), classify(CLAIM, text)
    assert first == second
    assert 0.0 <= first.confidence <= 1.0
    assert first.evidence and all(sentence in text for sentence in first.evidence)
    assert first.explanation.startswith(first.stance.value)


@pytest.mark.parametrize(
    ("before", "after", "shifted"),
    [
        # Paraphrases keep the stance.
        (
            "The US has refused to provide air cover for European forces in Ukraine.",
            "Washington declined to give air cover to the European troops in Ukraine.",
            False,
        ),
        (
            "The US will provide air cover for European forces deployed in Ukraine.",
            "European troops in Ukraine will get air cover provided by the US.",
            False,
        ),
        # Polarity flips are shifts.
        (
            "The US will provide air cover for European forces deployed in Ukraine.",
            "The US will not provide air cover for European forces deployed in Ukraine.",
            True,
        ),
        (
            "The US has refused to provide air cover for European forces in Ukraine.",
            "The US pledged to provide air cover for European forces in Ukraine.",
            True,
        ),
    ],
)
def test_flips_are_shifts_and_paraphrases_are_not(before: str, after: str, shifted: bool) -> None:
    changed, reason = stance_changed(
        classify_statement(CLAIM, before), classify_statement(CLAIM, after), FLIPS
    )
    assert changed is shifted, reason


def default_shift_policy() -> ShiftSettings:
    """Flips only, at the threshold ``watcher eval shifts`` uses by default."""
    return ShiftSettings(
        commitment_changes=False,
        min_confidence=load_model().settings["shift_min_confidence"],
    )


BEAR = "Fisherman saved from bear attack by his Justin Bieber ringtone"
BEAR_REPORT = (
    "A Russian fisherman was saved from a bear attack when his Justin Bieber ringtone went off. "
    "The bear ran away when the phone rang, local media said. He was treated for minor injuries."
)
# The sentence that restates the claim is plain; the refutation is in the rest of the article.
BEAR_DEBUNK = (
    "A Russian fisherman was saved from a bear attack when his Justin Bieber ringtone went off, "
    "several sites reported. The story is a hoax. Local police say no such attack was reported, "
    "and the photos are fake. The tale appears to have been made up by a satirical site."
)


def test_an_article_that_calls_the_story_false_elsewhere_is_against_it() -> None:
    report, debunk = classify(BEAR, BEAR_REPORT), classify(BEAR, BEAR_DEBUNK)
    assert report.stance is Stance.FOR, report.explanation
    assert debunk.stance is Stance.AGAINST, debunk.explanation
    assert "calls something false" in debunk.explanation
    changed, reason = stance_changed(report, debunk, default_shift_policy())
    assert changed, reason


def test_denying_claim_flips_polarity() -> None:
    claim = "Airline denies it will separate male and female passengers"
    denial = "The airline said it has no plans to separate male and female passengers."
    report = "The airline will separate male and female passengers on all flights from May."
    assert classify_statement(claim, denial).stance is Stance.FOR
    assert classify_statement(claim, report).stance is Stance.AGAINST


# The shipped model scores 0.834 here; CV on unseen stories 0.821 (training/README).
FNC1_FLOOR = 0.80
FNC1_SAMPLE = 3000
# The shipped model on all shift pairs at its default threshold (0.09): precision 0.77, recall
# 0.45 (these pairs were in its training data; CV figures are lower, see training/README).
# The model before whole-text refutation features and story sides (0.71 at 0.25) fails both.
SHIFT_PRECISION_FLOOR = 0.72
SHIFT_RECALL_FLOOR = 0.28


@pytest.mark.skipif(not (SHARED / "eval" / "fnc1").is_dir(), reason="../shared is absent")
def test_fnc1_score_on_a_fixed_sample_stays_above_the_floor() -> None:
    pairs = read_fnc1(SHARED / "eval" / "fnc1")
    sample = random.Random(3).sample(pairs, FNC1_SAMPLE)
    predicted = [classify(p.claim, p.text).stance for p in sample]
    assert fnc1_score([p.stance for p in sample], predicted) >= FNC1_FLOOR


@pytest.mark.skipif(not (SHARED / "eval").is_dir(), reason="../shared is absent")
def test_shift_pairs_stay_above_the_floor() -> None:
    pairs = read_shifts(SHARED / "eval" / "shift-pairs-dev.jsonl")
    policy = default_shift_policy()
    predicted = [
        stance_changed(classify(p.claim, p.before), classify(p.claim, p.after), policy)[0]
        for p in pairs
    ]
    report = shift_report([p.shift for p in pairs], predicted)
    assert report.precision >= SHIFT_PRECISION_FLOOR
    assert report.recall >= SHIFT_RECALL_FLOOR


def test_every_model_input_has_a_phrase_for_the_explanation() -> None:
    stages = load_model().stages.values()
    assert {name for stage in stages for name in stage.features} <= set(FEATURE_PHRASES)


def test_a_non_answer_is_no_refusal() -> None:
    verdict = classify_statement(CLAIM, "The US declined to comment on air cover for Ukraine.")
    assert verdict.stance is Stance.OBSERVING, verdict.explanation
    assert "declined to comment" in verdict.cues
