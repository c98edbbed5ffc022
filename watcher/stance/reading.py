"""Sentence reading: the cues of one sentence and the words a negation or refusal has in scope.

A negator ("not", "won't", "no") or a refusal ("refused to", "ruled out") scopes over the rest of
its clause: the words after it up to a comma, a semicolon or a clause word such as "but". A
negated refusal or confirmation ("has not ruled out", "not confirmed") leaves the matter open and
is read as a hedge, not as a negation. Negated falsity ("is not a hoax") confirms. A non-answer
("declined to comment") is no refusal: it says nothing on the matter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from watcher.stance import lexicon
from watcher.text import split_sentences, words

_CLAUSE_PUNCTUATION = re.compile(r"[,;:()\[\]—–]|\s-\s")
# How far a negator looks ahead for the cue it turns around ("not yet ruled out").
_NEGATED_CUE_WINDOW = 3
_QUOTES = re.compile(r"[\"“”]")
# Words of a negation's scope shown in an explanation.
_SCOPE_SHOWN = 6


@dataclass(frozen=True)
class SentenceReading:
    """What one sentence says, as cue lists and word stems."""

    text: str
    stem_sequence: tuple[str, ...]  # content-word stems in order
    stems: frozenset[str]
    negated: frozenset[str]  # content-word stems inside a negation or refusal scope
    negations: tuple[str, ...] = ()  # negators with something in scope ("will not", "no")
    refusals: tuple[str, ...] = ()
    refutations: tuple[str, ...] = ()
    hedges: tuple[str, ...] = ()
    opened: tuple[str, ...] = ()  # negated refusals or confirmations: "not ruled out"
    scopes: tuple[str, ...] = ()  # what each negation or refusal covers: "refused [to provide"
    reporting: tuple[str, ...] = ()
    confirmations: tuple[str, ...] = ()
    commitments: tuple[str, ...] = ()
    question: bool = False
    non_answer: str = ""  # "declined to comment": the sentence says nothing on the matter
    quoted: bool = False
    word_count: int = 0

    @property
    def denies(self) -> bool:
        """True when the sentence negates, refuses or calls something false."""
        return bool(self.negated or self.refutations)


def clauses(sentence: str) -> list[list[str]]:
    """Word tokens of each clause of ``sentence`` (split at punctuation and clause words)."""
    out: list[list[str]] = []
    for chunk in _CLAUSE_PUNCTUATION.split(sentence):
        current: list[str] = []
        for token in words(chunk):
            if token in lexicon.CLAUSE_BREAKS and current:
                out.append(current)
                current = []
            current.append(token)
        if current:
            out.append(current)
    return out


def content_stems(tokens: list[str]) -> list[str]:
    """Stems of the content words among ``tokens`` (hyphenated words count part by part)."""
    return [
        lexicon.stem(part)
        for token in tokens
        if not lexicon.is_negator(token)
        for part in token.split("-")
        if part not in lexicon.STOPWORDS and len(part) > 1
    ]


_CUE_FIELDS = (
    "negations",
    "refusals",
    "refutations",
    "hedges",
    "opened",
    "reporting",
    "confirmations",
    "commitments",
)


# A capital then a small letter: "May" is a name, "FAKE" is emphasis.
_CAPITALISED = re.compile(r"(?<=[\w,;:]\s)[A-Z][a-z][\w'’]*")


def proper_names(sentence: str) -> frozenset[str]:
    """Lower-cased words written capitalised inside a sentence ("United States", "May").

    They are names, not cues. In title-case text (headlines) capitals say nothing, so none; words
    in capitals throughout ("A FAKE") are shouted, not named, so they stay cues.
    """
    capitalised = _CAPITALISED.findall(sentence)
    # Title case capitalises most words that are not function words ("Was Just a Hoax").
    content = [w for w in words(sentence) if w not in lexicon.STOPWORDS]
    if 2 * len(capitalised) > len(content):
        return frozenset()
    return frozenset(w.lower().replace("’", "'") for w in capitalised)


class _Collector:
    """Accumulates the cues found while scanning one sentence's clauses."""

    def __init__(self, names: frozenset[str]) -> None:
        self.found: dict[str, list[str]] = {name: [] for name in _CUE_FIELDS}
        self.negated: set[str] = set()
        self.scopes: list[str] = []
        self.non_answer = ""
        self.names = names

    def scan(self, clause: list[str]) -> None:
        position = 0
        while position < len(clause):
            position = self._step(clause, position)

    def _step(self, clause: list[str], at: int) -> int:
        """Read the cue starting at ``at``; return where reading continues."""
        token = clause[at]
        if token in self.names:
            return at + 1
        non_answer = lexicon.phrases_at(clause, at, lexicon.NON_ANSWERS)
        if non_answer:  # "declined to comment" is no refusal: skip it and what it scopes over
            self.non_answer = self.non_answer or non_answer
            return len(clause)
        if lexicon.is_negator(token):
            return self._negation(clause, at)
        refusal = lexicon.phrases_at(clause, at, lexicon.REFUSALS)
        if refusal:
            self.found["refusals"].append(refusal)
            self._negate(refusal, clause[at + len(refusal.split()) :])
            return at + len(refusal.split())
        for name, family in (
            ("refutations", lexicon.REFUTATIONS),
            ("hedges", lexicon.HEDGES),
            ("reporting", lexicon.REPORTING),
            ("confirmations", lexicon.CONFIRMATIONS),
            ("commitments", lexicon.COMMITMENTS),
        ):
            cue = lexicon.phrases_at(clause, at, family)
            if cue:
                self.found[name].append(cue)
        if "-" in token:  # a compound names falsity too: "a fake-news site", "hoax-busting"
            parts = token.split("-")
            self.found["refutations"].extend(p for p in parts if p in lexicon.REFUTATIONS)
        return at + 1

    def _negation(self, clause: list[str], at: int) -> int:
        """A negator: either it opens a question, confirms, or negates the rest of the clause."""
        if clause[at + 1 : at + 2] == ["only"]:
            return at + 2  # "not only ... but also" adds, it does not negate
        for ahead in range(at + 1, min(len(clause), at + 1 + _NEGATED_CUE_WINDOW)):
            opened = lexicon.phrases_at(clause, ahead, lexicon.OPENED_BY_NEGATION)
            if opened:
                self.found["opened"].append(" ".join(clause[at:ahead]) + " " + opened)
                return ahead + len(opened.split())
            falsity = lexicon.phrases_at(clause, ahead, lexicon.REFUTATIONS)
            if falsity:
                self.found["confirmations"].append(" ".join(clause[at:ahead]) + " " + falsity)
                return ahead + len(falsity.split())
        # "not true", "no evidence", "no plans" are cues in their own right; only a denial
        # ("no plans to") negates what follows, an open question ("no decision on") does not.
        for name, family in (
            ("refutations", lexicon.REFUTATIONS),
            ("refusals", lexicon.REFUSALS),
            ("hedges", lexicon.HEDGES),
        ):
            cue = lexicon.phrases_at(clause, at, family)
            if cue:
                self.found[name].append(cue)
                if name != "hedges":
                    self._negate(cue, clause[at + len(cue.split()) :])
                return at + len(cue.split())
        if self._negate(clause[at], clause[at + 1 :]):
            self.found["negations"].append(" ".join(clause[max(0, at - 1) : at + 2]))
        return at + 1

    def _negate(self, cue: str, scope: list[str]) -> bool:
        """Record the words ``cue`` negates and how far it reaches; False when it has none."""
        stems = content_stems(scope)
        if stems:
            self.negated.update(stems)
            shown = " ".join(scope[:_SCOPE_SHOWN]) + (" ..." if len(scope) > _SCOPE_SHOWN else "")
            self.scopes.append(f"{cue} [{shown}]")
        return bool(stems)


@lru_cache(maxsize=8192)
def read_sentence(sentence: str) -> SentenceReading:
    """Cues and stems of one sentence."""
    collector = _Collector(proper_names(sentence))
    sequence: list[str] = []
    word_count = 0
    for clause in clauses(sentence):
        sequence.extend(content_stems(clause))
        word_count += len(clause)
        collector.scan(clause)
    found = collector.found
    return SentenceReading(
        text=sentence,
        stem_sequence=tuple(sequence),
        stems=frozenset(sequence),
        negated=frozenset(collector.negated),
        negations=tuple(found["negations"]),
        refusals=tuple(found["refusals"]),
        refutations=tuple(found["refutations"]),
        hedges=tuple(found["hedges"]),
        opened=tuple(found["opened"]),
        reporting=tuple(found["reporting"]),
        confirmations=tuple(found["confirmations"]),
        commitments=tuple(found["commitments"]),
        scopes=tuple(collector.scopes),
        question=sentence.rstrip("\"'”’) ").endswith("?"),
        non_answer=collector.non_answer,
        quoted=bool(_QUOTES.search(sentence)),
        word_count=word_count,
    )


# Bounded by count (a text may be long) and emptied after each poll (``watcher.stance.forget``).
@lru_cache(maxsize=256)
def read_text(text: str) -> tuple[SentenceReading, ...]:
    """Readings of every sentence of ``text`` (cached: a body is read once, however many claims)."""
    return tuple(read_sentence(s) for s in split_sentences(text))


def read_claim(claim: str) -> SentenceReading:
    """A claim read as one sentence, whatever its punctuation."""
    return read_sentence(" ".join(split_sentences(claim)) or claim)
