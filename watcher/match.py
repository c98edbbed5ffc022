"""Match stage: which tracked topics a story is about.

Each topic term is indexed under its *anchor*, its longest non-stopword, by a short prefix (so
"defence" and "defense" meet). A story's words look up candidate terms in that index; only those
candidates are scored, with rapidfuzz over word windows around the anchor. The cost therefore
follows the number of candidate terms a story touches, not the number of topics configured. With
many topics most of the time goes to those candidates, so each sentence's windows are joined once
and shared by every candidate, and each candidate is scored against its windows in one rapidfuzz
call that gives up below the threshold.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from watcher.models import Story, Topic, TopicMatch
from watcher.text import normalise, split_sentences

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
        shapes: dict[str, dict[tuple[int, int], list[_Term]]] = defaultdict(dict)
        for topic_index, topic in enumerate(self.topics):
            for raw in sorted({normalise(term) for term in topic.terms} - {""}):
                tokens = tuple(raw.split())
                term = _Term(topic_index, raw, tokens, _anchor_position(tokens))
                shape = (term.anchor_position, len(tokens))
                shapes[_prefix(tokens[term.anchor_position])].setdefault(shape, []).append(term)
        self._index = {
            prefix: [
                _Group(*shape, terms, [t.text for t in terms]) for shape, terms in groups.items()
            ]
            for prefix, groups in shapes.items()
        }

    def match(self, story: Story) -> list[TopicMatch]:
        """The topics ``story`` mentions, best first, with the terms and sentences that matched."""
        found_terms: dict[int, set[str]] = defaultdict(set)
        best_ratio: dict[int, float] = defaultdict(float)
        found_sentences: dict[int, dict[int, str]] = defaultdict(dict)
        for sentence_index, sentence in enumerate(split_sentences(story.full_text)):
            sentence_tokens = normalise(sentence).split()  # normalise joins words() with spaces
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
        windows = _Windows(tokens)
        for position, token in enumerate(tokens):
            for group in self._index.get(_prefix(token), ()):
                around = windows.around(position, group.anchor_position, group.size)
                for term, ratio in self._scores(group, around):
                    if ratio > best.get(id(term), (term, 0.0))[1]:
                        best[id(term)] = (term, ratio)
        return best.values()

    def _scores(self, group: _Group, windows: list[str]) -> Iterator[tuple[_Term, float]]:
        """Each term of ``group`` at least ``threshold`` similar to a window, with its best ratio.

        One rapidfuzz call per term, or per window when the group has more terms than windows:
        either way the comparisons run in C and stop early below the threshold.
        """
        if len(group.terms) <= len(windows):
            for term in group.terms:
                found = process.extractOne(
                    term.text, windows, scorer=fuzz.ratio, score_cutoff=self.threshold
                )
                if found is not None:
                    yield term, found[1]
            return
        for window in windows:
            for _, ratio, index in process.extract(
                window, group.texts, scorer=fuzz.ratio, score_cutoff=self.threshold, limit=None
            ):
                yield group.terms[index], ratio


@dataclass(frozen=True)
class _Group:
    """Terms under one prefix with the same shape: compared with the same windows."""

    anchor_position: int
    size: int  # words in each term
    terms: list[_Term]
    texts: list[str]  # the terms' texts, in the same order


class _Windows:
    """The word windows of one sentence that candidate terms are compared with, joined once."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self._of_length: dict[int, list[str]] = {}  # length -> the window starting at each word
        self._around: dict[tuple[int, int, int], list[str]] = {}

    def around(self, anchor_at: int, anchor_position: int, size: int) -> list[str]:
        """The windows where a term of ``size`` words could be, its anchor at token ``anchor_at``.

        Windows a word shorter or longer allow a dropped or added word ("coalition of willing").
        """
        key = (anchor_at, anchor_position, size)
        found = self._around.get(key)
        if found is None:
            start = anchor_at - anchor_position
            found = self._around[key] = [
                self._starting(length)[begin]
                for length in range(max(1, size - 1), size + 2)
                for begin in range(max(0, start - 1, anchor_at - length + 1), start + 2)
                if begin <= anchor_at
            ]
        return found

    def _starting(self, length: int) -> list[str]:
        windows = self._of_length.get(length)
        if windows is None:
            tokens = self.tokens
            windows = [" ".join(tokens[i : i + length]) for i in range(len(tokens))]
            self._of_length[length] = windows
        return windows
