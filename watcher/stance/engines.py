"""Statement engines: what reads a statement's stance, chosen by ``[stance] engine``.

- ``light`` (default): the statement model of ``watcher.stance.statement``, pure Python, a few
  thousand statements a second, no dependency beyond watcher's own.
- ``model``: a MiniLM cross-encoder fine-tuned on the same headlines, run on onnxruntime
  (``pip install 'watcher[model]'``; the weights ship in the package). Its probabilities are
  averaged with the light model's, which cross-validation found better than either alone
  (``training/README.md``): better on headlines, weaker on the commitments, refusals and
  appeals of political statements. Without the extra, ``load_engine`` falls back to ``light``
  and says why.

Both give, for each statement, the probabilities of for / against / observing and the light
model's per-feature contributions, from which the explanation names what decided it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from watcher.models import Stance
from watcher.stance.features import Analysis
from watcher.stance.statement import (
    LABELS,
    StatementModel,
    StatementReading,
    base_logits,
    claim_denies,
    features,
    load_statement_model,
)

if TYPE_CHECKING:  # the module imports onnxruntime only when the model engine is loaded
    from watcher.stance.crossencoder import CrossEncoder

ENGINES = ("light", "model")


class StatementEngine(Protocol):
    """Reads the stance of statements towards one claim."""

    name: str

    def read(
        self, claim: str, statements: Sequence[str], analyses: Sequence[Analysis]
    ) -> list[StatementReading]:
        """One reading per statement (``analyses``: each one's analysis), in order."""
        ...


# The cue model's P(for) and P(against) of an analysed statement (``StanceEngine.cue_sides``).
CueSides = Callable[[Analysis], tuple[float, float]]


@dataclass
class LightEngine:
    """The pure-Python statement model over cue features, on top of the cue model's reading."""

    model: StatementModel
    cue_sides: CueSides
    name: str = "light"

    def read(
        self, claim: str, statements: Sequence[str], analyses: Sequence[Analysis]
    ) -> list[StatementReading]:
        """One reading per statement (``analyses``: each one's analysis), in order."""
        return [
            self.model.read(features(a), base_logits(self.cue_sides(a)), claim_denies(a))
            for a in analyses
        ]


@dataclass
class ModelEngine:
    """The cross-encoder's probabilities, averaged with the light model's.

    ``weight`` is the cross-encoder's share of the average (chosen in training). The light
    model's contributions are kept for the explanation.
    """

    cross_encoder: CrossEncoder
    light: LightEngine
    weight: float
    name: str = "model"

    def read(
        self, claim: str, statements: Sequence[str], analyses: Sequence[Analysis]
    ) -> list[StatementReading]:
        """One reading per statement (``analyses``: each one's analysis), in order."""
        light = self.light.read(claim, statements, analyses)
        # One statement at a time: the int8 model quantizes activations per batch, so batch
        # companions would move a statement's reading; a position must not depend on them.
        pairs = [(claim, s) for s in statements]
        strong = self.cross_encoder.probabilities(pairs, batch_size=1)
        return [averaged(r, p, self.weight) for r, p in zip(light, strong, strict=True)]


def averaged(
    light: StatementReading, strong: dict[Stance, float], weight: float
) -> StatementReading:
    """The light reading averaged with the cross-encoder's probabilities (``weight`` theirs);
    the light model's contributions are kept for the explanation."""
    return StatementReading(
        {
            label: weight * strong[label] + (1 - weight) * light.probabilities[label]
            for label in LABELS
        },
        light.contributions,
    )


def load_engine(name: str, cue_sides: CueSides) -> tuple[StatementEngine, str | None]:
    """The engine called ``name`` and, when it had to fall back to ``light``, why."""
    if name not in ENGINES:
        raise ValueError(f"unknown stance engine {name!r} (expected one of: {', '.join(ENGINES)})")
    light = LightEngine(load_statement_model(), cue_sides)
    if name == "light":
        return light, None
    from watcher.stance.crossencoder import CrossEncoder, ModelUnavailable

    try:
        cross_encoder = CrossEncoder.load()
    except ModelUnavailable as exc:
        return light, f"stance engine 'model' is not available ({exc}); using 'light'"
    weight = float(light.model.settings.get("model_weight", 1.0))
    return ModelEngine(cross_encoder, light, weight), None
