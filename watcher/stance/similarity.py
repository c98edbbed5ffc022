"""Term weights (inverse document frequency) and claim-to-text overlap measures."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class TermWeights:
    """Inverse document frequencies of word stems, from a reference collection of news texts.

    A stem never seen in the collection gets the weight of a stem seen once: unseen words are
    the rare, topical ones.
    """

    document_frequency: Mapping[str, int]
    documents: int

    def idf(self, stem: str) -> float:
        """Smoothed inverse document frequency of ``stem``."""
        seen = self.document_frequency.get(stem, 1)
        return math.log((1 + self.documents) / (1 + seen)) + 1.0

    @classmethod
    def from_texts(cls, stem_sets: Iterable[Iterable[str]], min_count: int = 2) -> TermWeights:
        """Count in how many texts each stem occurs (stems seen fewer times are dropped)."""
        counts: Counter[str] = Counter()
        documents = 0
        for stems in stem_sets:
            counts.update(set(stems))
            documents += 1
        kept = {stem: n for stem, n in counts.items() if n >= min_count}
        return cls(kept, documents)


def weighted(stems: Iterable[str], weights: TermWeights) -> dict[str, float]:
    """Each distinct stem with its idf weight."""
    return {stem: weights.idf(stem) for stem in set(stems)}


def coverage(claim: Mapping[str, float], stems: frozenset[str] | set[str]) -> float:
    """Share of the claim's idf weight whose stems occur in ``stems`` (0..1)."""
    total = sum(claim.values())
    if not total:
        return 0.0
    return sum(w for stem, w in claim.items() if stem in stems) / total


def cosine(left: Mapping[str, float], right: Mapping[str, float]) -> float:
    """Cosine of two sparse weight vectors."""
    if len(left) > len(right):
        left, right = right, left
    dot = sum(w * right.get(stem, 0.0) for stem, w in left.items())
    if not dot:
        return 0.0
    norm = math.sqrt(sum(w * w for w in left.values()) * sum(w * w for w in right.values()))
    return dot / norm
