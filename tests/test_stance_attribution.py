"""Actor attribution: whose position a sentence states, and the positions built from it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from watcher.match import TopicMatcher
from watcher.models import Actor, Stance, Story, Topic
from watcher.stance import actor_positions
from watcher.stance.attribution import attribute, name_pattern

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
US = Actor(
    "US", "United States", ("US", "U.S.", "Washington", "Trump", "Donald Trump", "the White House")
)
UK = Actor("UK", "United Kingdom", ("Britain", "London", "Starmer", "Keir Starmer"))
FRANCE = Actor("France", "France", ("Paris", "Macron"))
TOPIC = Topic(
    id="air-cover",
    claim="The US will provide air cover / a security backstop for European forces deployed in "
    "Ukraine after a ceasefire",
    terms=("air cover", "air support", "air defense", "security guarantee", "backstop"),
    actors=(US, UK, FRANCE),
)


def _positions(text: str, title: str = "") -> dict[str, object]:
    story = Story(
        id="s1",
        feed_url="https://example.org/feed",
        title=title,
        text=text,
        link="https://example.org/story",
        published=datetime(2025, 6, 11, tzinfo=UTC),
    )
    matches = TopicMatcher([TOPIC]).match(story)
    assert matches, "the story should match the topic"
    return {p.actor_id: p for p in actor_positions(TOPIC, story, matches[0])}


@pytest.mark.parametrize(
    ("names", "text", "found"),
    [
        (("Washington",), "Washington's refusal came late.", "Washington's"),
        (("Trump",), "Trump’s aides said so.", "Trump’s"),
        (("Washington",), "WASHINGTON said no.", "WASHINGTON"),
        (("US",), "He told us the US would not.", "US"),
        (("Paris",), "Parisian cafes were full.", None),
    ],
)
def test_names_match_whole_words_any_case_with_possessives(
    names: tuple[str, ...], text: str, found: str | None
) -> None:
    match = name_pattern(names).search(text)
    assert (match.group() if match else None) == found


@pytest.mark.parametrize(
    ("actor", "sentence", "cue"),
    [
        (US, "The US has refused to provide air cover.", "has refused"),
        (US, "Donald Trump would not provide the security guarantees.", "would not provide"),
        (US, "According to the White House, air cover is not on the table.", "according to"),
        (US, "Washington's refusal to provide air cover angered allies.", "refusal"),
        (US, "Air cover is not on offer, Trump said.", "said"),
        (
            UK,
            "London and Paris have been urging the US to provide air support.",
            "have been urging",
        ),
        (
            FRANCE,
            "London and Paris have been urging the US to provide air support.",
            "have been urging",
        ),
        (
            UK,
            "British Prime Minister Keir Starmer believes the guarantee is necessary.",
            "believes",
        ),
    ],
)
def test_speakers_and_agents_are_attributed(actor: Actor, sentence: str, cue: str) -> None:
    attribution = attribute(actor, sentence)
    assert attribution is not None
    assert attribution.cue == cue


@pytest.mark.parametrize(
    ("actor", "sentence"),
    [
        (US, "London and Paris have been urging the US president to provide air support."),
        (US, "Britain urged Washington to provide air cover."),
        (US, "Starmer believes this guarantee from Washington is necessary."),
        (US, "Some in Europe hope that Trump will intervene if British troops are targeted."),
        (US, "They discussed the need to be realistic about Trump's involvement."),
    ],
)
def test_objects_and_others_wishes_are_not_attributed(actor: Actor, sentence: str) -> None:
    assert attribute(actor, sentence) is None


@pytest.mark.parametrize(
    "sentence",
    [
        "The US has declined to provide air defence for the force that Britain plans to send.",
        "Air cover for the troops that Paris and London will deploy is not on offer.",
    ],
)
def test_agents_of_relative_clauses_are_not_attributed(sentence: str) -> None:
    assert attribute(UK, sentence) is None
    assert attribute(FRANCE, sentence) is None


def test_that_after_a_speech_verb_still_opens_the_speakers_clause() -> None:
    attribution = attribute(US, "Officials said that Washington would not provide air cover.")
    assert attribution is not None and attribution.cue == "would not provide"


@pytest.mark.parametrize(
    ("sentence", "reported"),
    [
        ("US refuses to provide air cover for European troops, report says.", True),
        ("According to sources, Trump will not provide air cover.", True),
        ("The US has refused to provide air cover, officials said.", True),
        ("The US will not provide air cover, according to a Bloomberg report.", True),
        ("Officials said that Washington would not provide air cover.", True),
        ("US officials said that Washington would not provide air cover.", False),
        ("The US has refused to provide air cover, US officials said.", False),
        ("The US has refused to provide air cover, Donald Trump said.", False),
        ("The US has refused to provide air cover.", False),
        ("The US has refused to provide air cover, the administration said on Monday.", False),
        ("According to the White House, air cover is not on the table.", False),
    ],
)
def test_third_party_frames_make_a_statement_second_hand(sentence: str, reported: bool) -> None:
    attribution = attribute(US, sentence)
    assert attribution is not None
    assert attribution.reported is reported
    assert "according to" not in attribution.statement.lower()
    assert not attribution.statement.rstrip(".").endswith(("says", "said"))


def test_speech_frame_is_not_part_of_the_statement() -> None:
    attribution = attribute(US, "Air cover is not on offer for European troops, Trump said.")
    assert attribution is not None
    assert "said" not in attribution.statement
    assert attribution.statement.startswith("Air cover is not on offer")


def test_urging_actor_is_for_and_the_urged_actor_gets_nothing() -> None:
    positions = _positions(
        "Britain urged Washington to provide air cover for European forces deployed in Ukraine "
        "after a ceasefire."
    )
    assert set(positions) == {"UK"}
    assert positions["UK"].stance is Stance.FOR


def test_refusal_and_advocacy_in_one_story() -> None:
    positions = _positions(
        "The US has refused to provide air defense as a security guarantee for the European "
        "forces to be deployed in Ukraine after a ceasefire. London and Paris have been urging "
        "the US president to provide air support to the European forces in Ukraine.",
        title="US refuses air cover for European troops in Ukraine",
    )
    assert positions["US"].stance is Stance.AGAINST
    assert positions["UK"].stance is Stance.FOR
    assert positions["France"].stance is Stance.FOR
    us = positions["US"]
    assert us.story_id == "s1" and us.link == "https://example.org/story"
    assert us.source_title == "US refuses air cover for European troops in Ukraine"
    assert us.published == datetime(2025, 6, 11, tzinfo=UTC)
    assert all("urging" not in sentence for sentence in us.verdict.evidence)
    assert "has refused" in us.verdict.cues
    assert "attributed" in us.verdict.explanation


def test_open_position_is_observing() -> None:
    positions = _positions(
        "The US has not ruled out providing air cover for European forces in Ukraine; officials "
        "said no decision had been made."
    )
    assert positions["US"].stance is Stance.OBSERVING


def test_mentioned_actor_without_statement_gets_no_position() -> None:
    positions = _positions(
        "European officials discussed air cover for the forces in Ukraine with Washington."
    )
    assert "US" not in positions


@pytest.mark.skipif(not (SHARED / "seeds").is_dir(), reason="../shared is absent")
def test_seed_story_positions() -> None:
    raw = (SHARED / "seeds" / "us-refuses-aerial-cover.txt").read_text(encoding="utf-8")
    title, _, text = raw.partition("\n")
    positions = _positions(text, title=title)
    assert positions["US"].stance is Stance.AGAINST
    assert positions["UK"].stance is Stance.FOR
    assert positions["France"].stance is Stance.FOR
    assert all(p.stance is not Stance.UNRELATED for p in positions.values())
