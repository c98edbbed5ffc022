"""The stance decision: features -> the model's three stages -> a verdict with its explanation.

One core decides every verdict: the same features, the same stages, the same cascade. What
differs between a whole text and an actor's statement is what is assumed before the evidence,
the ``Prior``:

- ``ARTICLE``: the base rates of the news articles the model was trained on (FNC-1: about a third
  of related articles take a side, and about a third of those deny what they report).
  ``classify`` and ``watcher eval`` decide under it.
- a statement prior: attribution has already stripped the reporting around an actor's
  statement ("X said", "according to X"), and reporting is what makes most articles merely
  discuss a claim. A short statement in the news takes a side far more often: the model stores
  how often the claims of its training data (FNC-1 headlines, real short statements) do, by the
  same reading (about four in five), and ``classify_statement`` starts from that. Whether a
  side taken denies or affirms starts at even odds: actors refuse and commit alike. A statement
  known only second-hand ("..., a report says", "according to sources") keeps its side with
  less certainty: its chance of taking a side is scaled by ``REPORTED_TRUST``.

Each verdict carries the probability of its stance as its confidence, and its polarity,
P(for) - P(against), which the shift decision compares (``watcher.diff.stance_changed``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from watcher.models import Stance, StanceVerdict
from watcher.stance.explain import cues_for, explanation, select_evidence, top_reasons
from watcher.stance.features import Analysis, FeatureExtractor, claim_polarity
from watcher.stance.model import StageResult, StanceModel, load_model
from watcher.stance.reading import read_sentence, read_text

# Each stage decides at even odds; the shift threshold is applied later, on the polarity.
THRESHOLD = 0.5
# How much of a first-hand statement's certainty a second-hand report of it keeps.
REPORTED_TRUST = 0.7


@dataclass(frozen=True)
class Prior:
    """What a decision assumes before the evidence: base rates, and whether it is about the claim.

    ``committed`` and ``refutes`` replace the base rates the stages were trained on (None keeps
    them); ``trust`` scales the chance of taking a side (second-hand reports).
    """

    committed: float | None = None
    refutes: float | None = None
    assume_related: bool = False
    trust: float = 1.0


ARTICLE = Prior()


@dataclass(frozen=True)
class StageOutputs:
    """The three stage results for one (claim, text) pair."""

    related: StageResult
    committed: StageResult
    refutes: StageResult


class StanceEngine:
    """A loaded model with its feature extractor (which caches per-text work)."""

    def __init__(self, model: StanceModel) -> None:
        self.model = model
        self.extractor = FeatureExtractor(model.weights)
        self.statement = Prior(
            committed=model.settings["statement_committed"], refutes=0.5, assume_related=True
        )
        self.reported = replace(self.statement, trust=REPORTED_TRUST)

    def stages(self, analysis: Analysis, prior: Prior = ARTICLE) -> StageOutputs:
        """Run the three stages on an analysis under ``prior``."""
        values = analysis.features
        return StageOutputs(
            self.model.run("related", values),
            self.model.run("committed", values, prior.committed),
            self.model.run("refutes", values, prior.refutes),
        )

    def classify(self, claim: str, text: str) -> StanceVerdict:
        """Four-way stance of ``text`` towards ``claim``."""
        return self.decide(self.extractor.analyse(claim, text), ARTICLE)

    def classify_statement(self, claim: str, text: str, reported: bool = False) -> StanceVerdict:
        """Stance of a statement known to be about ``claim``: for, against or observing.

        ``reported``: the statement is known second-hand (a report, unnamed sources).
        """
        analysis = self.extractor.analyse(claim, text, about_claim=True)
        return self.decide(analysis, self.reported if reported else self.statement)

    def relevance(self, claim: str, sentence: str) -> float:
        """Share of the claim's weighted words that ``sentence`` contains (0..1)."""
        return self.extractor.relevance(claim, sentence)

    def decide(self, analysis: Analysis, prior: Prior) -> StanceVerdict:
        """The verdict on an analysed (claim, text) pair under ``prior``: the one decision core."""
        out = self.stages(analysis, prior)
        claim_denies = claim_polarity(analysis.claim) < 0
        p_related = 1.0 if prior.assume_related else out.related.probability
        # A question or a non-answer asserts nothing, whatever its words (FNC-1's articles rarely
        # consist of them, so the model cannot learn it): that share of the text takes no side.
        unasserted = analysis.features["unasserted_rel"]
        p_committed = out.committed.probability * prior.trust * (1.0 - unasserted)
        # "against" is refuting what the claim affirms, or not refuting what it denies.
        p_refutes = out.refutes.probability
        p_against = 1.0 - p_refutes if claim_denies else p_refutes
        chance = {
            Stance.FOR: p_related * p_committed * (1.0 - p_against),
            Stance.AGAINST: p_related * p_committed * p_against,
            Stance.OBSERVING: p_related * (1.0 - p_committed),
            Stance.UNRELATED: 1.0 - p_related,
        }
        if p_related < THRESHOLD:
            stance = Stance.UNRELATED
        elif p_committed < THRESHOLD:
            stance = Stance.OBSERVING
        else:
            stance = Stance.AGAINST if p_against >= THRESHOLD else Stance.FOR
        reasons = _reasons(out, stance, claim_denies)
        if unasserted >= THRESHOLD:
            reasons.insert(0, "asks or declines to say rather than states")
        if prior.trust < 1.0:
            reasons.append("known second-hand")
        evidence = select_evidence(analysis, stance)
        sentences = [analysis.sentences[i] for i in evidence]
        cues = cues_for(sentences, stance, claim_denies)
        # What the negations deny, shown when the verdict rests on a denial.
        denying = stance.is_committed and (stance is Stance.AGAINST) != claim_denies
        scopes = [scope for s in sentences for scope in s.scopes] if denying else []
        confidence = chance[stance]
        return StanceVerdict(
            stance=stance,
            confidence=round(confidence, 4),
            evidence=tuple(s.text for s in sentences) if stance is not Stance.UNRELATED else (),
            cues=tuple(cues),
            explanation=explanation(stance, confidence, list(dict.fromkeys(reasons)), cues, scopes),
            polarity=round(chance[Stance.FOR] - chance[Stance.AGAINST], 4),
            commitment=round(p_related * p_committed, 4),
        )


def _reasons(out: StageOutputs, stance: Stance, claim_denies: bool) -> list[str]:
    """The features that pushed hardest towards ``stance``, in the stage that decided it."""
    if stance is Stance.UNRELATED:
        return top_reasons(out.related.contributions, toward=-1.0)
    if stance is Stance.OBSERVING:
        return top_reasons(out.committed.contributions, toward=-1.0)
    refuting = (stance is Stance.AGAINST) != claim_denies
    reasons = top_reasons(out.refutes.contributions, toward=1.0 if refuting else -1.0)
    return reasons + top_reasons(out.committed.contributions, toward=1.0, count=1)


_ENGINE: StanceEngine | None = None


def engine() -> StanceEngine:
    """The engine for the shipped model (built on first use)."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = StanceEngine(load_model())
    return _ENGINE


def forget_texts() -> None:
    """Empty the per-text caches, so no story outlives the poll that read it."""
    read_text.cache_clear()
    read_sentence.cache_clear()
    if _ENGINE is not None:
        _ENGINE.extractor.clear()


def classify(claim: str, text: str) -> StanceVerdict:
    """Stance of ``text`` towards ``claim``: for, against, observing or unrelated, explained."""
    return engine().classify(claim, text)


def classify_statement(claim: str, text: str, reported: bool = False) -> StanceVerdict:
    """Stance of a statement about ``claim`` (never unrelated), explained."""
    return engine().classify_statement(claim, text, reported)
