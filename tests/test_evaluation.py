"""How FNC-1 labels become the training target of the refutes stage (``story_sides``)."""

from __future__ import annotations

from watcher.evaluation import Pair, story_sides
from watcher.models import Stance

REPORT = "Airline to separate men and women on flights"
DENIAL = "Airline denies it will separate men and women"


def reads_as_denial(claim: str) -> bool:
    return "denies" in claim


def test_a_body_has_one_side_whatever_headline_it_is_paired_with() -> None:
    pairs = [
        Pair(REPORT, "debunk", "...", Stance.AGAINST),
        Pair(DENIAL, "debunk", "...", Stance.FOR),
        Pair(REPORT, "scoop", "...", Stance.FOR),
        Pair(DENIAL, "scoop", "...", Stance.AGAINST),
    ]
    assert story_sides(pairs, reads_as_denial) == {"debunk": True, "scoop": False}


def test_a_misread_headline_is_outvoted_by_the_rest_of_its_story() -> None:
    # The third headline affirms the story but reads as a denial ("won't"); the two bodies keep
    # the sides the two well-read headlines give them instead of swapping.
    misread = "Airline won't let men sit next to women"

    def careless(claim: str) -> bool:
        return "denies" in claim or "won't" in claim

    pairs = [
        Pair(REPORT, "scoop", "...", Stance.FOR),
        Pair(DENIAL, "scoop", "...", Stance.AGAINST),
        Pair(misread, "scoop", "...", Stance.FOR),
        Pair(REPORT, "debunk", "...", Stance.AGAINST),
        Pair(misread, "debunk", "...", Stance.AGAINST),
    ]
    assert story_sides(pairs, careless) == {"scoop": False, "debunk": True}


def test_separate_stories_are_oriented_on_their_own() -> None:
    other = "Singer denies cancelling the tour"
    pairs = [
        Pair(REPORT, "scoop", "...", Stance.FOR),
        Pair(other, "tour-debunk", "...", Stance.AGAINST),
        Pair(other, "tour-denial", "...", Stance.FOR),
    ]
    sides = story_sides(pairs, reads_as_denial)
    assert sides == {"scoop": False, "tour-debunk": False, "tour-denial": True}
