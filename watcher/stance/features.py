"""Features of a (claim, text) pair: how related they are, and how the text treats the claim.

Every feature is a named number with a meaning a reader can check (shares and means, so short
statements and long articles are on the same scale). Text-level work (sentence readings, term
vectors) is done once per text and cached, so one article scored against many claims costs
little more than one.
"""

from __future__ import annotations

import math
from collections import Counter, OrderedDict
from dataclasses import dataclass
from itertools import pairwise

from watcher.stance.reading import SentenceReading, read_claim, read_text
from watcher.stance.similarity import TermWeights, cosine, coverage, weighted

# Sentences that share less than this of the claim's weight are not "about the claim".
RELEVANT = 0.2
# Sentences read as the lead (a title, when there is one, is the first).
LEAD_SENTENCES = 3

RELATEDNESS_FEATURES = (
    "cos",  # tf-idf cosine of claim and text
    "cov_text",  # share of the claim's weight found anywhere in the text
    "cov_best",  # ... in the single best sentence
    "cov_lead",  # ... in the lead
    "cov_rare",  # ... of the claim's three rarest words
    "bigrams",  # share of the claim's word pairs found side by side in the text
    "relevant_share",  # share of sentences about the claim
    "claim_words",  # log length of the claim
    "text_words",  # log length of the text
)
STANCE_FEATURES = (
    "refute_rel",  # refutation ("hoax", "fake", "not true") in sentences about the claim
    "refute_lead",
    "refute_text",  # refutations per sentence over the whole text
    "refute_any",  # whether the text calls anything false anywhere
    "refute_count",  # log(1 + refutations anywhere): a debunk repeats itself
    "refusal_any",  # whether anyone in the text denies or refuses anything
    "refusal_count",  # log(1 + refusals anywhere)
    "negated_rel",  # share of the claim's words under a negation or refusal, about-sentences
    "refusal_rel",
    "deny_rel",  # about-sentences that negate, refuse or refute
    "affirm_rel",  # about-sentences that state something plainly: no denial, no hedge
    "hedge_rel",  # hedges ("reportedly", "may", "sources say") in about-sentences
    "hedge_text",
    "opened_rel",  # negated refusals: "has not ruled out"
    "report_rel",  # attribution ("said", "according to")
    "report_text",
    "confirm_rel",
    "commit_rel",
    "question_rel",
    "question_text",
    "quote_text",
    "claim_denies",  # the claim itself negates or calls something false
    "claim_hedged",
)
# Read by the decision itself, not by a trained stage (a text that asserts nothing takes no side).
RULE_FEATURES = (
    "unasserted_rel",  # about-sentences that assert nothing: questions, "declined to comment",
    # "has not ruled out" with nothing committed
)
FEATURES = RELATEDNESS_FEATURES + STANCE_FEATURES + RULE_FEATURES


@dataclass(frozen=True)
class TextProfile:
    """Claim-independent facts about one text."""

    sentences: tuple[SentenceReading, ...]
    vector: dict[str, float]  # tf-idf over content stems
    stems: frozenset[str]
    lead_stems: frozenset[str]
    bigrams: frozenset[tuple[str, str]]
    word_count: int


@dataclass(frozen=True)
class Analysis:
    """Features of one (claim, text) pair and the sentences they came from."""

    features: dict[str, float]
    claim: SentenceReading
    sentences: tuple[SentenceReading, ...]
    relevance: tuple[float, ...]  # per sentence: share of the claim's weight it contains
    negated: tuple[float, ...]  # per sentence: share of the claim's weight it negates

    def vector(self, names: tuple[str, ...]) -> list[float]:
        """The features in the order ``names`` gives."""
        return [self.features[name] for name in names]

    def ranked_sentences(self) -> list[int]:
        """Sentence indices, most claim-like first (ties: earlier first)."""
        return sorted(range(len(self.sentences)), key=lambda i: (-self.relevance[i], i))


def _bigrams(order: tuple[str, ...]) -> set[tuple[str, str]]:
    return set(pairwise(order))


class FeatureExtractor:
    """Computes ``Analysis`` objects with fixed term weights; caches text profiles."""

    def __init__(self, weights: TermWeights, cache_size: int = 256) -> None:
        self.weights = weights
        self._cache: OrderedDict[str, TextProfile] = OrderedDict()
        self._cache_size = cache_size

    def profile(self, text: str) -> TextProfile:
        """The claim-independent profile of ``text`` (cached, least recently used dropped)."""
        cached = self._cache.get(text)
        if cached is not None:
            self._cache.move_to_end(text)
            return cached
        sentences = read_text(text)
        counts: Counter[str] = Counter()
        bigrams: set[tuple[str, str]] = set()
        for reading in sentences:
            counts.update(reading.stem_sequence)
            bigrams |= _bigrams(reading.stem_sequence)
        vector = {stem: (1 + math.log(n)) * self.weights.idf(stem) for stem, n in counts.items()}
        lead = frozenset().union(*(r.stems for r in sentences[:LEAD_SENTENCES]))
        profile = TextProfile(
            sentences=sentences,
            vector=vector,
            stems=frozenset(counts),
            lead_stems=lead,
            bigrams=frozenset(bigrams),
            word_count=sum(r.word_count for r in sentences),
        )
        self._cache[text] = profile
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return profile

    @property
    def cached(self) -> int:
        """How many text profiles the cache holds."""
        return len(self._cache)

    def clear(self) -> None:
        """Drop every cached profile."""
        self._cache.clear()

    def relevance(self, claim: str, text: str) -> float:
        """The largest share of the claim's weight that one sentence of ``text`` contains.

        The same figure as ``analyse(claim, text).relevance`` gives, without the other features.
        """
        claim_weights = weighted(read_claim(claim).stem_sequence, self.weights)
        return max((coverage(claim_weights, r.stems) for r in read_text(text)), default=0.0)

    def analyse(self, claim: str, text: str, about_claim: bool = False) -> Analysis:
        """Features of ``text`` with respect to ``claim``.

        ``about_claim`` vouches that every sentence of ``text`` is about the claim (as for the
        statements attributed to an actor), so each weighs the same in the stance features.
        """
        claim_reading = read_claim(claim)
        claim_weights = weighted(claim_reading.stem_sequence, self.weights)
        body = self.profile(text)
        relevance = tuple(coverage(claim_weights, r.stems) for r in body.sentences)
        negated = tuple(coverage(claim_weights, r.negated) for r in body.sentences)
        features = _relatedness(claim_reading, claim_weights, body, relevance)
        features.update(_stance(claim_reading, body, relevance, negated, about_claim))
        return Analysis(features, claim_reading, body.sentences, relevance, negated)


def _relatedness(
    claim: SentenceReading,
    claim_weights: dict[str, float],
    body: TextProfile,
    relevance: tuple[float, ...],
) -> dict[str, float]:
    rare = dict(sorted(claim_weights.items(), key=lambda item: (-item[1], item[0]))[:3])
    claim_pairs = _bigrams(claim.stem_sequence)
    return {
        "cos": cosine(claim_weights, body.vector),
        "cov_text": coverage(claim_weights, body.stems),
        "cov_best": max(relevance, default=0.0),
        "cov_lead": coverage(claim_weights, body.lead_stems),
        "cov_rare": coverage(rare, body.stems),
        "bigrams": len(claim_pairs & body.bigrams) / len(claim_pairs) if claim_pairs else 0.0,
        "relevant_share": _mean([1.0 if r >= RELEVANT else 0.0 for r in relevance]),
        "claim_words": math.log1p(len(claim.stem_sequence)),
        "text_words": math.log1p(body.word_count),
    }


def _stance(
    claim: SentenceReading,
    body: TextProfile,
    relevance: tuple[float, ...],
    negated: tuple[float, ...],
    about_claim: bool,
) -> dict[str, float]:
    sentences = body.sentences
    # Weight sentences by squared relevance: the few that restate the claim dominate.
    weights = [1.0 if about_claim else r * r if r >= RELEVANT else 0.0 for r in relevance]
    total = sum(weights)

    def rel(values: list[float]) -> float:
        return sum(w * v for w, v in zip(weights, values, strict=True)) / total if total else 0.0

    def has(field: str) -> list[float]:
        return [1.0 if getattr(s, field) else 0.0 for s in sentences]

    def per_sentence(field: str) -> float:
        return _mean([min(2.0, len(getattr(s, field))) for s in sentences])

    def log_count(field: str) -> float:
        return math.log1p(sum(len(getattr(s, field)) for s in sentences))

    negated_share = [n / r if r else 0.0 for n, r in zip(negated, relevance, strict=True)]
    denies = [float(denial(s, share)) for s, share in zip(sentences, negated_share, strict=True)]
    affirms = [0.0 if d or hedged(s) else 1.0 for s, d in zip(sentences, denies, strict=True)]
    refuting, refusing, asking = has("refutations"), has("refusals"), has("question")
    return {
        "refute_rel": rel(refuting),
        "refute_lead": max(refuting[:LEAD_SENTENCES], default=0.0),
        "refute_text": per_sentence("refutations"),
        "refute_any": max(refuting, default=0.0),
        "refute_count": log_count("refutations"),
        "refusal_any": max(refusing, default=0.0),
        "refusal_count": log_count("refusals"),
        "negated_rel": rel(negated_share),
        "refusal_rel": rel(refusing),
        "deny_rel": rel(denies),
        "affirm_rel": rel(affirms),
        "hedge_rel": rel([min(2.0, len(s.hedges)) / 2 for s in sentences]),
        "hedge_text": per_sentence("hedges"),
        "opened_rel": rel(has("opened")),
        "report_rel": rel(has("reporting")),
        "report_text": per_sentence("reporting"),
        "confirm_rel": rel(has("confirmations")),
        "commit_rel": rel(has("commitments")),
        "question_rel": rel(asking),
        "question_text": _mean(asking),
        "quote_text": _mean(has("quoted")),
        "claim_denies": 1.0 if claim_polarity(claim) < 0 else 0.0,
        "claim_hedged": 1.0 if hedged(claim) else 0.0,
        "unasserted_rel": rel([1.0 if unasserted(s) else 0.0 for s in sentences]),
    }


# A sentence negates the claim when at least this share of the claim words it has are negated.
NEGATED_SHARE = 0.3


def denial(sentence: SentenceReading, negated_share: float) -> bool:
    """Whether a sentence refutes, refuses or negates (most of) the claim words it contains."""
    return bool(sentence.refutations or sentence.refusals) or negated_share >= NEGATED_SHARE


def unasserted(sentence: SentenceReading) -> bool:
    """Whether a sentence takes no side whatever its words: a question, a non-answer ("declined
    to comment"), or an open position with nothing committed or refused ("has not ruled out")."""
    open_only = bool(sentence.opened) and not (sentence.refusals or sentence.commitments)
    return sentence.question or bool(sentence.non_answer) or open_only


def hedged(sentence: SentenceReading) -> bool:
    """Whether a sentence reports without committing: a hedge, an open question."""
    return bool(sentence.hedges or sentence.opened or sentence.question)


def claim_polarity(claim: SentenceReading) -> int:
    """-1 when the claim itself denies something ("X denies Y", "Y is a hoax"), else +1."""
    return -1 if claim.denies or claim.refusals else 1


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0
