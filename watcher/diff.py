"""Diff stage: compare a new position with the actor's current one and decide if it shifted.

The decision rests on the stances (and their confidence), never on text similarity alone: a
paraphrase keeps the stance, while "will" -> "will not" flips it. The word-level diff and the
similarity are computed for the alert and to tell a plain repeat ("same") from a rewording
("restated").

An actor's stance in force is set only by its baseline or its latest shift; positions that agree
with it refresh its wording (see ``PositionRecords.current``). A hedged report after a refusal is
therefore recorded but does not re-arm an alert for the next outlet that repeats the refusal.
"""

from __future__ import annotations

from rapidfuzz.distance import Indel

from watcher.config import ShiftSettings
from watcher.models import Decision, DiffOp, Position, ShiftDecision, Stance, StanceVerdict

# Two statements at least this similar (0..100, over words) are a repeat, not a rewording.
REPEAT_SIMILARITY = 90.0


def polarity(verdict: StanceVerdict) -> float:
    """The side a verdict takes, -1 (against) .. +1 (for); from its stance when not stored."""
    if verdict.polarity is not None:
        return verdict.polarity
    sign = {Stance.FOR: 1.0, Stance.AGAINST: -1.0}.get(verdict.stance, 0.0)
    return sign * verdict.confidence


def stance_changed(
    prior: StanceVerdict, new: StanceVerdict, policy: ShiftSettings
) -> tuple[bool, str]:
    """Whether ``new`` is a change of stance from ``prior``, and why (pure, no text similarity).

    A flip is two verdicts on opposite sides of the claim, each at least ``min_confidence`` sure
    of its side (the polarity, P(for) - P(against)). The stance labels need not be committed:
    two articles that each lean to a side are compared by their leanings. A weak side on either
    end is no flip (a hedged report does not undo a refusal); what else changed is judged on
    the stances.
    """
    before, after = polarity(prior), polarity(new)
    if before * after < 0 and min(abs(before), abs(after)) >= policy.min_confidence:
        now = Stance.FOR if after > 0 else Stance.AGAINST
        return True, (
            f"stance flipped from {prior.stance} to {now}: the new statement {now.meaning}"
            f"{_words(new)}"
        )
    if prior.stance == new.stance:
        return False, f"same stance ({new.stance})"
    if new.confidence < policy.min_confidence:
        return False, (
            f"stance reads {prior.stance} -> {new.stance} but the new one is not confident enough "
            f"({new.confidence:.2f} < {policy.min_confidence:.2f})"
        )
    if new.stance.is_committed and policy.commitment_changes:
        return True, (
            f"position hardened from {prior.stance} to {new.stance}: the new statement "
            f"{new.stance.meaning}{_words(new)}"
        )
    if new.stance.is_committed:
        return False, f"{prior.stance} -> {new.stance} (commitment changes are not alerted)"
    return (
        False,
        f"{prior.stance} -> {new.stance}: a report without commitment does not undo a stance",
    )


def _words(verdict: StanceVerdict) -> str:
    """The cue words a verdict rests on, quoted, for a reason line ("" when there are none)."""
    return " (" + ", ".join(f"'{cue}'" for cue in verdict.cues[:3]) + ")" if verdict.cues else ""


def tokens(statement: str) -> list[str]:
    """Whitespace tokens of a statement, punctuation kept for display."""
    return statement.split()


def _comparable(token: str) -> str:
    return token.strip(".,;:!?\"'“”‘’()[]").lower()


def word_diff(before: str, after: str) -> tuple[DiffOp, ...]:
    """Word-level diff of two statements (rapidfuzz Indel opcodes over token lists).

    Indel knows only inserts and deletes; a run of them between two equal stretches is merged
    into one ``replace`` so the reader sees what was taken out and what was put in.
    """
    old, new = tokens(before), tokens(after)
    ops: list[DiffOp] = []
    pending_old: list[str] = []
    pending_new: list[str] = []

    def flush() -> None:
        if pending_old or pending_new:
            tag = (
                "replace" if pending_old and pending_new else "delete" if pending_old else "insert"
            )
            ops.append(DiffOp(tag, " ".join(pending_old), " ".join(pending_new)))
            pending_old.clear()
            pending_new.clear()

    comparable = Indel.opcodes([_comparable(t) for t in old], [_comparable(t) for t in new])
    for tag, i1, i2, j1, j2 in comparable:
        if tag == "equal":
            flush()
            ops.append(DiffOp(tag, " ".join(old[i1:i2]), " ".join(new[j1:j2])))
        else:
            pending_old += old[i1:i2]
            pending_new += new[j1:j2]
    flush()
    return tuple(ops)


def similarity(before: str, after: str) -> float:
    """Similarity of two statements over their words, 0..100."""
    old = [_comparable(t) for t in tokens(before)]
    new = [_comparable(t) for t in tokens(after)]
    return 100.0 * Indel.normalized_similarity(old, new)


def decide_shift(prior: Position | None, new: Position, policy: ShiftSettings) -> ShiftDecision:
    """Compare ``new`` with the actor's current position ``prior`` on the same topic."""
    if prior is None:
        first = "first position seen for this actor on this topic"
        if policy.alert_on_baseline:
            return ShiftDecision(Decision.SHIFT, f"{first} (alert_on_baseline)")
        return ShiftDecision(Decision.BASELINE, first)
    score = similarity(prior.statement, new.statement)
    diff = word_diff(prior.statement, new.statement)
    if prior.published and new.published and new.published < prior.published:
        return ShiftDecision(
            Decision.LATE,
            f"published {new.published:%Y-%m-%d %H:%M}, before the current position",
            score,
            diff,
        )
    changed, reason = stance_changed(prior.verdict, new.verdict, policy)
    if changed:
        return ShiftDecision(Decision.SHIFT, reason, score, diff)
    if score >= REPEAT_SIMILARITY:
        return ShiftDecision(Decision.SAME, f"{reason}; a repeat ({score:.0f}% alike)", score, diff)
    return ShiftDecision(Decision.RESTATED, f"{reason}; reworded ({score:.0f}% alike)", score, diff)
