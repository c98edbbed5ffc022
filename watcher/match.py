"""Match stage: which tracked topics a story is about.

Each topic term is indexed under its *anchor*, its longest non-stopword, by a short prefix (so
"defence" and "defense" meet). A story's words look up candidate terms in that index; only those
candidates are scored, with rapidfuzz over word windows around the anchor. The cost therefore
follows the number of candidate terms a story touches, not the number of topics configured.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from watcher.models import Story, Topic, TopicMatch
from watcher.text import normalise, split_sentences, words

# Word windows at least this similar to a term count as a mention (0..100).
TERM_THRESHOLD = 85.0
# A topic's score (0..100): 80% from the best term's similarity, plus 10 for each other distinct
# term found, up to two, so a story naming the topic three ways outranks a passing mention.
BEST_TERM_WEIGHT = 0.8
EXTRA_TERM_POINTS = 10.0
MAX_EXTRA_TERMS = 2
_PREFIX = 4
_STOPWORDS = frozenset(
    "a an and are as at be by for from has have in is it its of on or that the to was were "
    "will with".split()
)


@dataclass(frozen=True)
class _Term:
    topic_index: int
    text: str  # normalised
    tokens: tuple[str, ...]
    anchor_position: int  # index of the anchor word inside ``tokens``


def _prefix(token: str) -> str:
    return token[:_PREFIX]


def _anchor_position(tokens: tuple[str, ...]) -> int:
    candidates = [i for i, t in enumerate(tokens) if t not in _STOPWORDS] or list(
        range(len(tokens))
    )
    return max(candidates, key=lambda i: len(tokens[i]))


class TopicMatcher:
    """Finds the topics a story is about; build once per config, reuse for every story."""

    def __init__(self, topics: Iterable[Topic], threshold: float = TERM_THRESHOLD) -> None:
        self.topics = tuple(topics)
        self.threshold = threshold
        self._index: dict[str, list[_Term]] = defaultdict(list)
        for topic_index, topic in enumerate(self.topics):
            for raw in {normalise(term) for term in topic.terms} - {""}:
                tokens = tuple(raw.split())
                term = _Term(topic_index, raw, tokens, _anchor_position(tokens))
                self._index[_prefix(tokens[term.anchor_position])].append(term)

    def match(self, story: Story) -> list[TopicMatch]:
        """The topics ``story`` mentions, best first, with the terms and sentences that matched."""
        found_terms: dict[int, set[str]] = defaultdict(set)
        best_ratio: dict[int, float] = defaultdict(float)
        found_sentences: dict[int, dict[int, str]] = defaultdict(dict)
        for sentence_index, sentence in enumerate(split_sentences(story.full_text)):
            sentence_tokens = words(normalise(sentence))
            for term, ratio in self._terms_in(sentence_tokens):
                found_terms[term.topic_index].add(term.text)
                best_ratio[term.topic_index] = max(best_ratio[term.topic_index], ratio)
                found_sentences[term.topic_index][sentence_index] = sentence
        matches = []
        for topic_index, terms in found_terms.items():
            topic = self.topics[topic_index]
            extra_terms = min(len(terms) - 1, MAX_EXTRA_TERMS)
            score = BEST_TERM_WEIGHT * best_ratio[topic_index] + EXTRA_TERM_POINTS * extra_terms
            if score < topic.min_score:
                continue
            sentences = found_sentences[topic_index]
            matches.append(
                TopicMatch(
                    topic_id=topic.id,
                    story_id=story.id,
                    score=round(score, 1),
                    terms=tuple(sorted(terms)),
                    sentences=tuple(sentences[i] for i in sorted(sentences)),
                )
            )
        return sorted(matches, key=lambda m: (-m.score, m.topic_id))

    def _terms_in(self, tokens: list[str]) -> Iterable[tuple[_Term, float]]:
        """Terms found in one sentence's tokens, each with its best window ratio."""
        best: dict[int, tuple[_Term, float]] = {}
        for position, token in enumerate(tokens):
            for term in self._index.get(_prefix(token), ()):
                ratio = self._window_ratio(term, tokens, position)
                if ratio >= self.threshold and ratio > best.get(id(term), (term, 0.0))[1]:
                    best[id(term)] = (term, ratio)
        return best.values()

    @staticmethod
    def _window_ratio(term: _Term, tokens: list[str], anchor_at: int) -> float:
        """Best similarity between the term and the windows of ``tokens`` around its anchor."""
        start = anchor_at - term.anchor_position
        size = len(term.tokens)
        best = 0.0
        # Windows a word shorter or longer allow a dropped or added word ("coalition of willing").
        for begin in range(max(0, start - 1), start + 2):
            for length in range(max(1, size - 1), size + 2):
                if begin <= anchor_at < begin + length:
                    window = " ".join(tokens[begin : begin + length])
                    best = max(best, fuzz.ratio(term.text, window))
        return best
