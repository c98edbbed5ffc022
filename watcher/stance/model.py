"""The trained stance model: three logistic stages read from ``model.json``, in pure Python.

Stages, in order (a cascade):

1. ``related``   - is the text about the claim at all?
2. ``committed`` - does it take a side, or only report and hedge?
3. ``refutes``   - if it takes a side, does it deny or refute what it reports? This stage never
   sees the claim's own polarity: "against" is "refutes" for a claim that affirms something and
   "does not refute" for a claim that is itself a denial ("X denies Y").

Each stage gives a probability and each feature's contribution to its log-odds, which the
explanation uses. A stage's log-odds can be moved to another prior (the base rate its training
data had is stored with it). ``training/train_stance.py`` writes the file; nothing here needs
scikit-learn.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from watcher.stance.similarity import TermWeights

MODEL_PATH = Path(__file__).with_name("model.json")
FORMAT = 2
STAGES = ("related", "committed", "refutes")


class ModelError(RuntimeError):
    """The model file is missing or not in the expected format."""


def _sigmoid(logit: float) -> float:
    if logit >= 0:
        return 1.0 / (1.0 + math.exp(-logit))
    exp = math.exp(logit)
    return exp / (1.0 + exp)


def _log_odds(probability: float) -> float:
    return math.log(probability / (1.0 - probability))


@dataclass(frozen=True)
class Logistic:
    """Logistic regression on scaled features; the intercept is that of an all-zero input.

    ``base_rate`` is the share of positives in the data it was trained on.
    """

    features: tuple[str, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    base_rate: float

    def _terms(self, values: Mapping[str, float]) -> list[float]:
        return [
            c * values[name] / s
            for name, s, c in zip(self.features, self.scale, self.coef, strict=True)
        ]

    def logit(self, values: Mapping[str, float]) -> float:
        """Log-odds of the positive class."""
        return self.intercept + sum(self._terms(values))

    def contributions(self, values: Mapping[str, float]) -> dict[str, float]:
        """Each feature's term (its coefficient times its scaled value): zero when absent."""
        return dict(zip(self.features, self._terms(values), strict=True))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Logistic:
        """Read the stage from its JSON form."""
        return cls(
            tuple(data["features"]),
            tuple(data["scale"]),
            tuple(data["coef"]),
            float(data["intercept"]),
            float(data["base_rate"]),
        )


@dataclass(frozen=True)
class StageResult:
    """A stage's probability and the features that moved it most."""

    probability: float
    contributions: dict[str, float]


@dataclass(frozen=True)
class StanceModel:
    """The term weights and the three stages, plus the settings chosen in training."""

    weights: TermWeights
    stages: dict[str, Logistic]
    settings: dict[str, float]

    def run(
        self, stage: str, values: Mapping[str, float], prior: float | None = None
    ) -> StageResult:
        """Probability of ``stage``'s positive class, with contributions.

        ``prior`` replaces the base rate the stage was trained on: its log-odds move by the
        difference of the two priors' log-odds (the standard correction for a changed prior).
        """
        model = self.stages[stage]
        shift = _log_odds(prior) - _log_odds(model.base_rate) if prior is not None else 0.0
        return StageResult(_sigmoid(model.logit(values) + shift), model.contributions(values))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StanceModel:
        """Build the model from the parsed contents of ``model.json``."""
        if data.get("format") != FORMAT:
            raise ModelError(f"model format {data.get('format')!r}, expected {FORMAT}")
        stages: dict[str, Logistic] = {}
        for name in STAGES:
            stages[name] = Logistic.from_json(data["stages"][name])
        terms = data["term_weights"]
        weights = TermWeights(dict(terms["document_frequency"]), int(terms["documents"]))
        return cls(weights, stages, dict(data.get("settings", {})))


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> StanceModel:
    """The shipped model (read once per process)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(
            f"{path}: no stance model; build it with `python training/train_stance.py`"
        ) from None
    except (KeyError, ValueError) as exc:
        raise ModelError(f"{path}: not a stance model: {exc}") from None
    try:
        return StanceModel.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{path}: not a stance model: {exc}") from None
