"""An actor's stance is read from its own clause: another's act in a subordinate clause
("... after other EU states agreed to share the risk") never decides it."""

from __future__ import annotations

import pytest
from test_stance_statements import positions

from watcher.models import Actor, Position, Stance, Topic
from watcher.stance.attribution import attribute, own_clause

LOAN = Topic(
    id="eu-loan",
    claim="Belgium will back the EU loan to Ukraine",
    terms=("loan", "reparations loan", "frozen assets"),
    actors=(
        Actor("Belgium", "Belgium", ("Brussels", "De Wever", "the Belgian government")),
        Actor("EU", "European Union", ("EU states", "the Commission")),
    ),
)


def position(text: str, actor: str = "Belgium") -> Position:
    return positions(LOAN, text)[actor]


def test_the_cue_is_the_actors_own_would_support_not_the_others_agreed() -> None:
    sentence = (
        "Belgium said it would support the loan after other EU states agreed to share the risk."
    )
    found = position(sentence)
    assert found.stance is Stance.FOR
    assert "would support" in found.verdict.cues
    assert "agreed" not in found.verdict.cues
    assert "'agreed'" not in found.verdict.explanation
    assert found.verdict.evidence == (sentence,)  # the whole sentence is still shown


def test_a_refusal_is_not_undone_by_what_others_agreed_after_it() -> None:
    found = position(
        "Belgium refused to back the loan after other EU states agreed to share the risk."
    )
    assert found.stance is Stance.AGAINST
    assert found.verdict.cues[0] == "refused"
    assert "agreed" not in found.verdict.cues


def test_the_statement_the_model_reads_stops_at_the_other_subjects_clause() -> None:
    attribution = attribute(
        LOAN.actors[0],
        "Belgium said it would support the loan after other EU states agreed to share the risk.",
    )
    assert attribution is not None
    assert attribution.statement == "It would support the loan."


@pytest.mark.parametrize(
    ("statement", "kept"),
    [
        (
            "It would support the loan because the Commission offered guarantees.",
            "It would support the loan.",
        ),
        ("It agreed after weighing the risks.", "It agreed after weighing the risks."),  # own act
        ("Britain, when asked, said no.", "Britain, when asked, said no."),  # too short to cut
        ("It will not back the loan until the risk is shared.", "It will not back the loan."),
    ],
)
def test_own_clause(statement: str, kept: str) -> None:
    assert own_clause(statement) == kept
