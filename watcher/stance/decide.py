"""The stance decisions: whole texts (articles) and actors' statements.

The cue model (``model.json``: three logistic stages over cue features, trained on FNC-1) reads
both. What differs between a whole text and a statement is what is assumed before the evidence,
the ``Prior``:

- ``ARTICLE``: the base rates of the news articles the model was trained on (FNC-1: about a third
  of related articles take a side, and about a third of those deny what they report).
  ``classify`` and ``watcher eval fnc1`` decide under it.
- a statement prior: attribution has already stripped the reporting around an actor's
  statement ("X said", "according to X"), and reporting is what makes most articles merely
  discuss a claim. A short statement in the news takes a side far more often: the model stores
  how often the claims of its training data (FNC-1 headlines, real short statements) do, by the
  same reading (about four in five). Whether a side taken denies or affirms starts at even odds.

A statement's stance is then read by the statement engine the config selects
(``watcher.stance.engines``): the light one starts from the cue model's reading and adds what
real headlines teach; the model engine averages a cross-encoder with it. A statement known only
second-hand keeps its side with less certainty (``watcher.stance.verdict``).

Each verdict carries the probability of its stance as its confidence, and its polarity,
P(for) - P(against), which the shift decision compares (``watcher.diff.stance_changed``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from watcher.models import Stance, StanceVerdict
from watcher.stance.engines import StatementEngine, load_engine
from watcher.stance.explain import cues_for, explanation, select_evidence, top_reasons
from watcher.stance.features import Analysis, FeatureExtractor, claim_polarity
from watcher.stance.model import StageResult, StanceModel, load_model
from watcher.stance.reading import read_sentence, read_text
from watcher.stance.statement import load_statement_model
from watcher.stance.verdict import statement_verdict

# Each stage decides at even odds; the shift threshold is applied later, on the polarity.
THRESHOLD = 0.5


@dataclass(frozen=True)
class Prior:
    """What a decision assumes before the evidence: base rates, and whether it is about the claim.

    ``committed`` and ``refutes`` replace the base rates the stages were trained on (None keeps
    them).
    """

    committed: float | None = None
    refutes: float | None = None
    assume_related: bool = False


ARTICLE = Prior()


@dataclass(frozen=True)
class StageOutputs:
    """The three stage results for one (claim, text) pair."""

    related: StageResult
    committed: StageResult
    refutes: StageResult


@dataclass(frozen=True)
class Chances:
    """What the three stages make of one pair: the chance it is related, takes a side, and
    that the side taken is against the claim."""

    stages: StageOutputs
    claim_denies: bool
    related: float
    committed: float
    against: float

    def by_stance(self) -> dict[Stance, float]:
        """The probability of each stance."""
        side = self.related * self.committed
        return {
            Stance.FOR: side * (1.0 - self.against),
            Stance.AGAINST: side * self.against,
            Stance.OBSERVING: self.related * (1.0 - self.committed),
            Stance.UNRELATED: 1.0 - self.related,
        }

    def polarity(self) -> float:
        """P(for) - P(against), as a verdict stores it."""
        chance = self.by_stance()
        return round(chance[Stance.FOR] - chance[Stance.AGAINST], 4)

    def commitment(self) -> float:
        """P(it takes a side), as a verdict stores it."""
        return round(self.related * self.committed, 4)


class StanceEngine:
    """A loaded article model, its feature extractor (which caches per-text work) and the
    statement engine that reads actors' statements."""

    def __init__(self, model: StanceModel, statements: str = "light") -> None:
        self.model = model
        self.extractor = FeatureExtractor(model.weights)
        # The cue reading of a statement under a statement's prior: attribution has stripped
        # the reporting around it, and short news statements take a side far more often than
        # articles (the share of the training claims that do); denying or affirming start even.
        self.statement = Prior(
            committed=model.settings["statement_committed"], refutes=0.5, assume_related=True
        )
        self.engine_name = statements

    @cached_property
    def loaded(self) -> tuple[StatementEngine, str | None]:
        """The statement engine (loaded on first use) and, if it fell back to light, why."""
        return load_engine(self.engine_name, self.cue_sides)

    @property
    def statements(self) -> StatementEngine:
        """The engine that reads actors' statements."""
        return self.loaded[0]

    @property
    def note(self) -> str | None:
        """Why the configured engine could not be used, if it could not."""
        return self.loaded[1]

    @property
    def shift_min_confidence(self) -> float:
        """The flip threshold chosen by cross-validation for this engine (training/README.md)."""
        settings = load_statement_model().settings
        key = "model_shift_min_confidence" if self.statements.name == "model" else ""
        return float(settings.get(key) or settings.get("shift_min_confidence", 0.5))

    def cue_sides(self, analysis: Analysis) -> tuple[float, float]:
        """P(for) and P(against) of a statement by the cue model alone (the statement engine's
        starting point), as a verdict of it would state them (rounded), without building one."""
        found = self.chances(analysis, self.statement)
        commitment, polarity = found.commitment(), found.polarity()
        return (commitment + polarity) / 2, (commitment - polarity) / 2

    def stages(self, analysis: Analysis, prior: Prior = ARTICLE) -> StageOutputs:
        """Run the three stages on an analysis under ``prior``."""
        values = analysis.features
        return StageOutputs(
            self.model.run("related", values),
            self.model.run("committed", values, prior.committed),
            self.model.run("refutes", values, prior.refutes),
        )

    def classify(self, claim: str, text: str) -> StanceVerdict:
        """Four-way stance of a whole text (an article) towards ``claim``."""
        return self.decide(self.extractor.analyse(claim, text), ARTICLE)

    def classify_statement(self, claim: str, text: str, reported: bool = False) -> StanceVerdict:
        """Stance of a statement known to be about ``claim``: for, against or observing.

        Read by the statement engine; ``reported``: the statement is known second-hand (a
        report, unnamed sources), so it takes its side less surely.
        """
        return self.classify_statements(claim, [text], reported)[0]

    def classify_statements(
        self, claim: str, texts: Sequence[str], reported: bool = False
    ) -> list[StanceVerdict]:
        """``classify_statement`` for many statements on one claim (batched for the model)."""
        analyses = [self.extractor.analyse(claim, text, about_claim=True) for text in texts]
        readings = self.statements.read(claim, texts, analyses)
        return [
            statement_verdict(analysis, reading, reported)
            for analysis, reading in zip(analyses, readings, strict=True)
        ]

    def relevance(self, claim: str, sentence: str) -> float:
        """Share of the claim's weighted words that ``sentence`` contains (0..1)."""
        return self.extractor.relevance(claim, sentence)

    def chances(self, analysis: Analysis, prior: Prior) -> Chances:
        """The stages' probabilities of each stance for an analysed pair under ``prior``."""
        out = self.stages(analysis, prior)
        claim_denies = claim_polarity(analysis.claim) < 0
        p_related = 1.0 if prior.assume_related else out.related.probability
        # A question or a non-answer asserts nothing, whatever its words (FNC-1's articles rarely
        # consist of them, so the model cannot learn it): that share of the text takes no side.
        p_committed = out.committed.probability * (1.0 - analysis.features["unasserted_rel"])
        # "against" is refuting what the claim affirms, or not refuting what it denies.
        p_refutes = out.refutes.probability
        p_against = 1.0 - p_refutes if claim_denies else p_refutes
        return Chances(out, claim_denies, p_related, p_committed, p_against)

    def decide(self, analysis: Analysis, prior: Prior) -> StanceVerdict:
        """The verdict on an analysed (claim, text) pair under ``prior``: the one decision core."""
        found = self.chances(analysis, prior)
        out, claim_denies, chance = found.stages, found.claim_denies, found.by_stance()
        p_related, p_committed, p_against = found.related, found.committed, found.against
        unasserted = analysis.features["unasserted_rel"]
        if p_related < THRESHOLD:
            stance = Stance.UNRELATED
        elif p_committed < THRESHOLD:
            stance = Stance.OBSERVING
        else:
            stance = Stance.AGAINST if p_against >= THRESHOLD else Stance.FOR
        reasons = _reasons(out, stance, claim_denies)
        if unasserted >= THRESHOLD:
            reasons.insert(0, "asks or declines to say rather than states")
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
            polarity=found.polarity(),
            commitment=found.commitment(),
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


_ENGINES: dict[str, StanceEngine] = {}


def engine(name: str = "light") -> StanceEngine:
    """The engine whose statements are read by ``name`` (built on first use, then kept)."""
    if name not in _ENGINES:
        _ENGINES[name] = StanceEngine(load_model(), name)
    return _ENGINES[name]


def forget_texts() -> None:
    """Empty the per-text caches, so no story outlives the poll that read it."""
    read_text.cache_clear()
    read_sentence.cache_clear()
    for loaded in _ENGINES.values():
        loaded.extractor.clear()


def classify(claim: str, text: str) -> StanceVerdict:
    """Stance of ``text`` towards ``claim``: for, against, observing or unrelated, explained."""
    return engine().classify(claim, text)


def classify_statement(
    claim: str, text: str, reported: bool = False, engine_name: str = "light"
) -> StanceVerdict:
    """Stance of a statement about ``claim`` (never unrelated), explained."""
    return engine(engine_name).classify_statement(claim, text, reported)
