"""The light statement model: a statement's stance towards a claim, in pure Python.

It starts from the cue model's reading of the statement (``watcher.stance.decide``: three
logistic stages over cue features, trained on FNC-1, which knows refusals, commitments and
advocacy such as "urged X to ...") and adds a multinomial logistic regression over the same named
cue features (negation scope, refusals, falsity words, hedges, reporting, questions, claim
overlap), trained on real news headlines (Emergent) by ``training/train_statement.py``. The
cue model's log-probabilities are a fixed offset: the regression learns only how statements
differ from articles, so what headlines rarely show keeps the weight the cue model gives it.

No feature is a word or keyed to a claim: cross-validated, word features read headlines a
point or two better but misread the product's statements (``training/README.md``).

A claim that is itself a denial ("Airline denies it will ...") is read in its own terms: a
statement that refutes what the claim denies is *for* it. The model works on "affirms / refutes
what it reports", and the two sides are swapped for such a claim.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from watcher.models import Stance
from watcher.stance.features import Analysis

MODEL_PATH = Path(__file__).with_name("statement_model.json")
FORMAT = 1
LABELS = (Stance.FOR, Stance.AGAINST, Stance.OBSERVING)
# The cue features the model reads, as named in ``watcher.stance.features``.
CUE_FEATURES = (
    "refute_rel",
    "refusal_rel",
    "negated_rel",
    "deny_rel",
    "affirm_rel",
    "hedge_rel",
    "opened_rel",
    "report_rel",
    "confirm_rel",
    "commit_rel",
    "question_rel",
    "quote_text",
    "claim_denies",
    "claim_hedged",
    "unasserted_rel",
    "cov_best",
    "bigrams",
)


class StatementModelError(RuntimeError):
    """The statement model file is missing or not in the expected format."""


def features(analysis: Analysis) -> dict[str, float]:
    """The named cue features of one analysed (claim, statement) pair."""
    return {name: analysis.features[name] for name in CUE_FEATURES}


def claim_denies(analysis: Analysis) -> bool:
    """Whether the claim is itself a denial or calls something false ("X denies ...", "... is a
    hoax"), so that the two sides swap. A negation inside the claim's content ("the battery
    doesn't last a day") is what the claim asserts, not a denial."""
    return bool(analysis.claim.refusals or analysis.claim.refutations)


def base_logits(cue_sides: tuple[float, float]) -> tuple[float, ...]:
    """The cue model's P(for), P(against) as log-probabilities of for / against / observing."""
    side_for, side_against = cue_sides
    return tuple(
        math.log(min(max(p, 0.005), 0.995))
        for p in (side_for, side_against, 1.0 - side_for - side_against)
    )


def _swapped(values: tuple[float, ...]) -> tuple[float, ...]:
    """For and against exchanged (observing stays)."""
    return (values[1], values[0], *values[2:])


def _softmax(logits: list[float]) -> list[float]:
    top = max(logits)
    exps = [math.exp(v - top) for v in logits]
    total = sum(exps)
    return [e / total for e in exps]


@dataclass(frozen=True)
class StatementReading:
    """The model's probabilities and each present feature's weight towards each class."""

    probabilities: dict[Stance, float]
    contributions: dict[str, tuple[float, ...]]  # feature -> its term for each of LABELS


@dataclass(frozen=True)
class StatementModel:
    """Coefficients per feature and class, intercepts, and the settings chosen in training."""

    coef: Mapping[str, tuple[float, ...]]
    intercept: tuple[float, ...]
    settings: Mapping[str, float]

    def read(
        self, values: Mapping[str, float], base: tuple[float, ...], denies: bool = False
    ) -> StatementReading:
        """Probabilities of for / against / observing for the features ``values``, starting
        from the cue model's ``base`` logits; ``denies``: the claim is itself a denial."""
        logits = [
            b + i for b, i in zip(_swapped(base) if denies else base, self.intercept, strict=True)
        ]
        contributions = {}
        for name, value in values.items():
            weights = self.coef.get(name)
            if weights is None or not value:
                continue
            terms = tuple(w * value for w in weights)
            contributions[name] = _swapped(terms) if denies else terms
            logits = [total + t for total, t in zip(logits, terms, strict=True)]
        probs = tuple(_softmax(logits))
        return StatementReading(
            dict(zip(LABELS, _swapped(probs) if denies else probs, strict=True)), contributions
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StatementModel:
        """Build the model from the parsed contents of its JSON file."""
        if data.get("format") != FORMAT:
            raise StatementModelError(f"format {data.get('format')!r}, expected {FORMAT}")
        if tuple(data["labels"]) != tuple(s.value for s in LABELS):
            raise StatementModelError(f"labels {data['labels']!r}, expected for/against/observing")
        coef = {name: tuple(float(w) for w in weights) for name, weights in data["coef"].items()}
        return cls(coef, tuple(float(b) for b in data["intercept"]), dict(data["settings"]))


@lru_cache(maxsize=2)
def load_statement_model(path: Path = MODEL_PATH) -> StatementModel:
    """The shipped statement model (read once per process)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return StatementModel.from_json(data)
    except FileNotFoundError:
        raise StatementModelError(
            f"{path}: no statement model; build it with `python training/train_statement.py`"
        ) from None
    except (KeyError, TypeError, ValueError) as exc:
        raise StatementModelError(f"{path}: not a statement model: {exc}") from None
