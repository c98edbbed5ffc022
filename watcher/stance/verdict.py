"""A statement's verdict: the engine's probabilities turned into a stance, cues and a reason.

The explanation says in plain words what the statement does with the claim, names the words that
decided it (the cue words the reading found: refusals, negations, hedges, commitments), the
features that weighed most for the chosen stance over the next likeliest one, and what a
negation or refusal covers.
"""

from __future__ import annotations

from watcher.models import Stance, StanceVerdict
from watcher.stance.explain import MAX_SCOPES, cues_for, select_evidence, top_reasons
from watcher.stance.features import Analysis, claim_polarity
from watcher.stance.statement import LABELS, StatementReading

# How much of a first-hand statement's certainty a second-hand report of it keeps.
REPORTED_TRUST = 0.7
# Features named in an explanation, beside the cue words.
DECIDING_FEATURES = 2


def second_hand(probabilities: dict[Stance, float], trust: float) -> dict[Stance, float]:
    """Probabilities of a statement known only through a third party: the side it takes is
    kept with ``trust`` of its certainty; the rest goes to observing."""
    side_for = probabilities[Stance.FOR] * trust
    side_against = probabilities[Stance.AGAINST] * trust
    return {
        Stance.FOR: side_for,
        Stance.AGAINST: side_against,
        Stance.OBSERVING: 1.0 - side_for - side_against,
    }


def deciding(reading: StatementReading, stance: Stance) -> list[str]:
    """The features that weighed most for ``stance`` over the next likeliest stance, as
    phrases, strongest first."""
    chosen = LABELS.index(stance)
    runner_up = max(
        (i for i in range(len(LABELS)) if i != chosen),
        key=lambda i: reading.probabilities[LABELS[i]],
    )
    margins = {
        name: terms[chosen] - terms[runner_up] for name, terms in reading.contributions.items()
    }
    return top_reasons(margins, toward=1.0, count=DECIDING_FEATURES)


def statement_verdict(
    analysis: Analysis, reading: StatementReading, reported: bool = False
) -> StanceVerdict:
    """The verdict on one statement from its analysis and the engine's reading of it."""
    probabilities = second_hand(reading.probabilities, REPORTED_TRUST if reported else 1.0)
    stance = max(LABELS, key=lambda label: probabilities[label])
    evidence = [analysis.sentences[i] for i in select_evidence(analysis, stance)]
    cues = cues_for(evidence, stance, claim_polarity(analysis.claim) < 0)
    confidence = probabilities[stance]
    line = f"{stance.value} ({confidence:.2f}): {stance.meaning}"
    if cues:
        line += "; the words: " + ", ".join(f"'{cue}'" for cue in cues)
    reasons = deciding(reading, stance)
    if reasons:
        line += "; weighed: " + ", ".join(reasons)
    if reported:
        line += "; known second-hand, so less sure"
    if stance.is_committed:
        scopes = list(dict.fromkeys(scope for s in evidence for scope in s.scopes))[:MAX_SCOPES]
        if scopes:
            line += "; in scope: " + ", ".join(scopes)
    return StanceVerdict(
        stance=stance,
        confidence=round(confidence, 4),
        evidence=tuple(s.text for s in evidence),
        cues=tuple(cues),
        explanation=line,
        polarity=round(probabilities[Stance.FOR] - probabilities[Stance.AGAINST], 4),
        commitment=round(probabilities[Stance.FOR] + probabilities[Stance.AGAINST], 4),
    )
