"""Per-actor positions on explicit statements, across topics: stance, confidence, attribution.

Generic statement patterns (refusals, negated commitments, open positions, commitments, advocacy
by third parties, reported and hedged statements), each written for several unrelated topics so
no rule can be keyed to one claim. Each case is one short story; the expected result is the set
of actors given a position, their stances, and a confidence band.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from watcher.config import ShiftSettings
from watcher.diff import stance_changed
from watcher.match import TopicMatcher
from watcher.models import Actor, Position, Stance, Story, Topic
from watcher.stance import actor_positions

AIR = Topic(
    id="air-cover",
    claim="The US will provide air cover for European forces in Ukraine",
    terms=("air cover", "air support", "air defence", "backstop", "security guarantee"),
    actors=(
        Actor("US", "United States", ("US", "Washington", "the White House", "Trump")),
        Actor("UK", "United Kingdom", ("Britain", "London", "Starmer", "Keir Starmer")),
        Actor("France", "France", ("Paris", "Macron")),
    ),
)
SANCTIONS = Topic(
    id="oil-sanctions",
    claim="The European Union will impose sanctions on Russian oil imports",
    terms=("sanctions", "oil embargo", "Russian oil"),
    actors=(
        Actor("EU", "European Union", ("EU", "Brussels", "the European Commission")),
        Actor("Hungary", "Hungary", ("Budapest", "Viktor Orban", "Orban")),
        Actor("Ukraine", "Ukraine", ("Kyiv", "Zelensky")),
    ),
)
TROOPS = Topic(
    id="troops",
    claim="Germany will deploy troops to Lithuania",
    terms=("troops", "brigade", "deployment"),
    actors=(
        Actor("Germany", "Germany", ("Berlin", "the German government", "Scholz")),
        Actor("Lithuania", "Lithuania", ("Vilnius", "Nauseda")),
    ),
)
TARIFFS = Topic(
    id="tariffs",
    claim="Canada will impose retaliatory tariffs on US steel",
    terms=("tariffs", "counter-tariffs", "steel"),
    actors=(
        Actor("Canada", "Canada", ("Ottawa", "Mark Carney", "Carney")),
        Actor("Mexico", "Mexico", ("Sheinbaum",)),
        Actor("US", "United States", ("US", "Washington")),
    ),
)
RECALL = Topic(
    id="recall",
    claim="Toyota will recall Prius cars over faulty brakes",
    terms=("recall", "Prius", "brakes"),
    actors=(
        Actor("Toyota", "Toyota", ("Toyota Motor",)),
        Actor("NHTSA", "NHTSA", ("the National Highway Traffic Safety Administration",)),
    ),
)

# Confidence bands: a first-hand statement is confident; a reported one keeps its polarity with
# moderate confidence.
FIRST_HAND = (0.7, 1.0)
REPORTED = (0.5, 0.7)
ANY = (0.0, 1.0)


@dataclass(frozen=True)
class Case:
    """One story and the positions expected from it: actor -> (stance, confidence band)."""

    topic: Topic
    text: str
    expected: dict[str, tuple[Stance, tuple[float, float]]]


def positions(topic: Topic, text: str) -> dict[str, Position]:
    """Each actor's position in a one-paragraph story about ``topic``."""
    story = Story(
        id="s",
        feed_url="https://news.example/feed",
        title="",
        text=text,
        link="https://news.example/s",
        published=datetime(2025, 6, 11, tzinfo=UTC),
    )
    matches = TopicMatcher([topic]).match(story)
    assert matches, "the story should match the topic"
    return {p.actor_id: p for p in actor_positions(topic, story, matches[0])}


AGAINST, FOR, OBSERVING = Stance.AGAINST, Stance.FOR, Stance.OBSERVING

REFUSALS = [
    Case(
        AIR,
        "The US has refused to provide air cover for European forces in Ukraine.",
        {"US": (AGAINST, FIRST_HAND)},
    ),
    Case(
        SANCTIONS,
        "The European Commission ruled out sanctions on Russian oil imports.",
        {"EU": (AGAINST, FIRST_HAND)},
    ),
    Case(
        TROOPS,
        "Germany declined to deploy troops to Lithuania.",
        {"Germany": (AGAINST, FIRST_HAND)},
    ),
    Case(
        TARIFFS,
        "Canada turned down calls to impose retaliatory tariffs on US steel.",
        {"Canada": (AGAINST, FIRST_HAND)},
    ),
    Case(
        RECALL,
        "Toyota denied that it would recall Prius cars over faulty brakes.",
        {"Toyota": (AGAINST, FIRST_HAND)},
    ),
    Case(
        RECALL,
        "Toyota rejected demands to recall Prius cars over their brakes.",
        {"Toyota": (AGAINST, FIRST_HAND)},
    ),
]
NEGATED_COMMITMENTS = [
    Case(
        AIR,
        "Washington will not provide air cover for the European troops in Ukraine.",
        {"US": (AGAINST, FIRST_HAND)},
    ),
    Case(TROOPS, "Berlin won't send troops to Lithuania.", {"Germany": (AGAINST, FIRST_HAND)}),
    Case(
        RECALL,
        "Toyota has no plans to recall Prius cars over brake complaints.",
        {"Toyota": (AGAINST, FIRST_HAND)},
    ),
    Case(
        TARIFFS,
        "Ottawa does not intend to impose retaliatory tariffs on US steel.",
        {"Canada": (AGAINST, FIRST_HAND)},
    ),
]
OPEN_POSITIONS = [
    Case(
        AIR,
        "The White House has not ruled out providing air cover for European forces.",
        {"US": (OBSERVING, ANY)},
    ),
    Case(
        TARIFFS,
        "Canada has yet to decide whether to impose retaliatory tariffs on US steel.",
        {"Canada": (OBSERVING, ANY)},
    ),
    Case(
        SANCTIONS,
        "No decision has been made on sanctions on Russian oil imports, the European "
        "Commission said.",
        {"EU": (OBSERVING, ANY)},
    ),
    Case(
        RECALL,
        "Toyota is considering a recall of Prius cars over brake problems.",
        {"Toyota": (OBSERVING, ANY)},
    ),
    Case(TROOPS, "Berlin is open to deploying troops to Lithuania.", {"Germany": (OBSERVING, ANY)}),
    Case(
        SANCTIONS,
        "Brussels is reportedly considering sanctions on Russian oil imports.",
        {"EU": (OBSERVING, ANY)},
    ),
    Case(
        TARIFFS, "Canada may impose retaliatory tariffs on US steel.", {"Canada": (OBSERVING, ANY)}
    ),
    Case(
        RECALL,
        "Toyota declined to comment on whether it would recall Prius cars over faulty brakes.",
        {"Toyota": (OBSERVING, ANY)},
    ),
    Case(
        RECALL,
        "Toyota is expected to recall Prius cars over faulty brakes, analysts said.",
        {"Toyota": (OBSERVING, ANY)},
    ),
]
COMMITMENTS = [
    Case(
        AIR,
        "The US will provide air cover for European forces in Ukraine.",
        {"US": (FOR, FIRST_HAND)},
    ),
    Case(
        SANCTIONS,
        "The EU pledged to impose sanctions on Russian oil imports.",
        {"EU": (FOR, FIRST_HAND)},
    ),
    Case(
        TROOPS,
        "Germany agreed to deploy a brigade of troops to Lithuania.",
        {"Germany": (FOR, FIRST_HAND)},
    ),
    Case(
        RECALL,
        "Toyota announced it will recall Prius cars over faulty brakes.",
        {"Toyota": (FOR, FIRST_HAND)},
    ),
    Case(
        TARIFFS,
        "Canada will impose retaliatory tariffs on US steel, Mark Carney said.",
        {"Canada": (FOR, FIRST_HAND)},
    ),
]
THIRD_PARTIES = [
    Case(
        AIR,
        "Britain urged Washington to provide air cover for European forces in Ukraine.",
        {"UK": (FOR, ANY)},
    ),
    Case(TROOPS, "Lithuania asked Germany for troops.", {"Lithuania": (FOR, ANY)}),
    Case(
        AIR,
        "Starmer believes a guarantee of air cover from Washington is necessary.",
        {"UK": (FOR, ANY)},
    ),
    Case(
        TARIFFS,
        "Mexico urged Canada to impose retaliatory tariffs on US steel.",
        {"Mexico": (FOR, ANY)},
    ),
    Case(
        SANCTIONS,
        "Kyiv called on the European Union to impose sanctions on Russian oil imports.",
        {"Ukraine": (FOR, ANY)},
    ),
    Case(
        SANCTIONS, "Hungary opposes sanctions on Russian oil imports.", {"Hungary": (AGAINST, ANY)}
    ),
]
REPORTED_FRAMES = [
    Case(
        AIR,
        "US refuses to provide air cover for European troops in Ukraine, report says.",
        {"US": (AGAINST, REPORTED)},
    ),
    Case(
        RECALL,
        "According to sources, Toyota will recall Prius cars over faulty brakes.",
        {"Toyota": (FOR, REPORTED)},
    ),
    Case(
        TROOPS,
        "Germany has declined to deploy troops to Lithuania, officials said.",
        {"Germany": (AGAINST, REPORTED)},
    ),
    Case(
        SANCTIONS,
        "The EU will impose sanctions on Russian oil imports, according to diplomats.",
        {"EU": (FOR, REPORTED)},
    ),
]
OBJECTS_AND_RELATIVE_CLAUSES = [
    Case(
        AIR,
        "The US has declined to provide air defence for the force that Britain and France "
        "plan to send to Ukraine.",
        {"US": (AGAINST, FIRST_HAND)},
    ),
    Case(
        SANCTIONS,
        "The EU will not impose sanctions on the Russian oil imports that Hungary depends on.",
        {"EU": (AGAINST, FIRST_HAND)},
    ),
    Case(AIR, "European officials discussed air cover for the force with Washington.", {}),
    Case(TARIFFS, "Tariffs on US steel were discussed with Ottawa and Mexico.", {}),
    Case(
        RECALL,
        "The NHTSA denied reports that Toyota would recall Prius cars over faulty brakes.",
        {"NHTSA": (AGAINST, ANY)},
    ),
]
NOT_ABOUT_THE_CLAIM = [
    Case(
        AIR,
        "Britain and France are leading talks on a coalition of European forces in Ukraine. "
        "Air cover remains an open question.",
        {},
    ),
    Case(
        RECALL,
        "Toyota reported record quarterly profits on Tuesday. Regulators are examining "
        "complaints about Prius brakes.",
        {},
    ),
    Case(
        TROOPS,
        "Germany said it would increase its defence budget. Lithuania hosts NATO troops.",
        {},
    ),
]


@pytest.mark.parametrize(
    "case",
    REFUSALS
    + NEGATED_COMMITMENTS
    + OPEN_POSITIONS
    + COMMITMENTS
    + THIRD_PARTIES
    + REPORTED_FRAMES
    + OBJECTS_AND_RELATIVE_CLAUSES
    + NOT_ABOUT_THE_CLAIM,
    ids=lambda case: case.text[:60],
)
def test_statement_positions(case: Case) -> None:
    found = positions(case.topic, case.text)
    assert set(found) == set(case.expected), {a: p.verdict.explanation for a, p in found.items()}
    for actor, (stance, (low, high)) in case.expected.items():
        verdict = found[actor].verdict
        assert verdict.stance is stance, verdict.explanation
        assert low <= verdict.confidence <= high, verdict.explanation


def test_explanation_names_cues_scope_and_attribution() -> None:
    verdict = positions(TROOPS, "Berlin has refused to deploy troops to Lithuania.")[
        "Germany"
    ].verdict
    assert "'refused'" in verdict.explanation
    assert "in scope: refused [to deploy troops to lithuania]" in verdict.explanation
    assert "attributed: Berlin has refused" in verdict.explanation
    reported = positions(TROOPS, "Berlin has refused to deploy troops to Lithuania, a report says.")
    assert "(second-hand)" in reported["Germany"].verdict.explanation


# (topic, actor, before, after): the same stance in other words, then the opposite stance.
REWORDINGS = [
    (
        TARIFFS,
        "Canada",
        "Canada will impose retaliatory tariffs on US steel.",
        "Ottawa is going ahead with counter-tariffs on steel from the US, Mark Carney said.",
    ),
    (
        RECALL,
        "Toyota",
        "Toyota has refused to recall Prius cars over faulty brakes.",
        "Toyota rejected calls for a recall of its Prius cars over brake defects.",
    ),
    (
        SANCTIONS,
        "EU",
        "The European Commission ruled out sanctions on Russian oil imports.",
        "Brussels will not impose sanctions on imports of Russian oil.",
    ),
]
FLIPS = [
    (
        TARIFFS,
        "Canada",
        "Canada will impose retaliatory tariffs on US steel.",
        "Canada will not impose retaliatory tariffs on US steel.",
    ),
    (
        TROOPS,
        "Germany",
        "Germany agreed to deploy troops to Lithuania.",
        "Germany has refused to deploy troops to Lithuania.",
    ),
    (
        RECALL,
        "Toyota",
        "Toyota denied that it would recall Prius cars over faulty brakes.",
        "Toyota announced it will recall Prius cars over faulty brakes.",
    ),
]


def _shift(topic: Topic, actor: str, before: str, after: str) -> tuple[bool, str]:
    return stance_changed(
        positions(topic, before)[actor].verdict,
        positions(topic, after)[actor].verdict,
        ShiftSettings(),
    )


@pytest.mark.parametrize(("topic", "actor", "before", "after"), REWORDINGS)
def test_rewordings_are_no_shift(topic: Topic, actor: str, before: str, after: str) -> None:
    changed, reason = _shift(topic, actor, before, after)
    assert not changed, reason


@pytest.mark.parametrize(("topic", "actor", "before", "after"), FLIPS)
def test_polarity_flips_are_shifts(topic: Topic, actor: str, before: str, after: str) -> None:
    changed, reason = _shift(topic, actor, before, after)
    assert changed and reason.startswith("stance flipped"), reason


def test_a_hedged_report_does_not_undo_a_refusal() -> None:
    changed, reason = _shift(
        RECALL,
        "Toyota",
        "Toyota has refused to recall Prius cars over faulty brakes.",
        "Toyota is reportedly considering a recall of Prius cars over brake problems.",
    )
    assert not changed, reason
