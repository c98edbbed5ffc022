"""Train watcher's statement model on Emergent's headlines and print claim-grouped CV figures.

    .venv/bin/pip install -e '.[train]'
    .venv/bin/python training/train_statement.py             # CV figures + writes the model
    .venv/bin/python training/train_statement.py --no-cv     # just rebuild the model (seconds)

The statement model (``watcher/stance/statement.py``) is a multinomial logistic regression over
named cue features, fitted on top of the cue model's reading of each statement (its
log-probabilities are a fixed offset). Every figure is computed by the runtime code
(``StatementModel.read``, ``statement_verdict``, ``watcher.diff.stance_changed``) on models that
never saw the evaluated claims: 5 folds by claim (``watcher.evaluation.claim_folds``).

Shift pairs are built from the same headlines (``statement_shift_pairs``: a ``for`` and an
``against`` headline on one claim are a shift, two of one side are not) and scored with the
fold model that did not see their claim.

With ``--cross-encoder FILE`` (the out-of-fold probabilities that
``training/train_cross_encoder.py --cv`` writes, same folds), it also prints the figures of the
``model`` engine, which averages the cross-encoder's probabilities with this model's, for a few
weights, and stores the best weight (by macro F1) with the model. Settings a run does not measure
(``--no-cv``, or no ``--cross-encoder``) are kept from the file it replaces.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize
from sklearn.feature_extraction import DictVectorizer

from watcher.config import ShiftSettings
from watcher.diff import stance_changed
from watcher.evaluation import (
    ShiftReport,
    Statement,
    accuracy,
    claim_folds,
    class_reports,
    confusion,
    format_classes,
    format_confusion,
    read_emergent,
    shift_report,
    statement_shift_pairs,
)
from watcher.models import Stance, StanceVerdict
from watcher.stance.decide import StanceEngine
from watcher.stance.engines import averaged
from watcher.stance.model import load_model
from watcher.stance.statement import (
    FORMAT,
    LABELS,
    StatementModel,
    StatementReading,
    base_logits,
    claim_denies,
    features,
)
from watcher.stance.verdict import statement_verdict

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "eval" / "emergent" / "emergent-train.csv"
DEFAULT_OUT = ROOT / "watcher" / "stance" / "statement_model.json"
FOLDS = 5
# Inverse regularisation strength (L2 on the coefficients). CV on the headlines is flat from
# 0.3 to 10 (0.740-0.745 accuracy); the strongest keeps what headlines teach a correction to
# the cue model, not a replacement, since the pipeline's statements are not headlines.
C = 0.3
# The default flip threshold is the most precise one finding at least this share of shifts.
MIN_RECALL = 0.3
MODEL_WEIGHTS = (0.0, 0.25, 0.5, 0.6, 0.75, 1.0)

Reader = Callable[[Statement], StatementReading]
# The cue features are read with the term weights and the cue model the runtime uses.
CUES = StanceEngine(load_model())
EXTRACTOR = CUES.extractor


@dataclass(frozen=True)
class Example:
    """One statement as the model trains on it: its features, the cue model's logits and
    whether its claim is itself a denial (the sides swap: ``StatementModel.read``)."""

    values: dict[str, float]
    base: tuple[float, ...]
    denies: bool
    stance: Stance

    def oriented(self) -> tuple[tuple[float, ...], int]:
        """The base logits and the label in "affirms / refutes what it reports" terms."""
        label = LABELS.index(self.stance)
        if self.denies:
            return (self.base[1], self.base[0], self.base[2]), (1, 0, 2)[label]
        return self.base, label


def fit(examples: Sequence[Example]) -> StatementModel:
    """A statement model fitted on top of the cue model's logits (a fixed offset per example):
    multinomial logistic regression, L2, L-BFGS, as the runtime reads it."""
    vectoriser = DictVectorizer()
    matrix = vectoriser.fit_transform([e.values for e in examples]).tocsr()
    oriented = [e.oriented() for e in examples]
    offset = np.array([base for base, _ in oriented])
    target = np.zeros((len(examples), len(LABELS)))
    target[np.arange(len(examples)), [label for _, label in oriented]] = 1.0
    width, classes = matrix.shape[1], len(LABELS)

    def loss(flat: np.ndarray) -> tuple[float, np.ndarray]:
        weights = flat[: width * classes].reshape(width, classes)
        logits = matrix @ weights + flat[width * classes :] + offset
        logits -= logits.max(axis=1, keepdims=True)
        log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        error = np.exp(log_p) - target
        value = -(target * log_p).sum() + (weights**2).sum() / (2 * C)
        gradient = matrix.T @ error + weights / C
        return value, np.concatenate([np.asarray(gradient).ravel(), error.sum(axis=0)])

    solved = minimize(loss, np.zeros(width * classes + classes), jac=True, method="L-BFGS-B")
    weights = solved.x[: width * classes].reshape(width, classes)
    coef = {
        name: tuple(round(float(w), 5) for w in weights[j])
        for j, name in enumerate(vectoriser.feature_names_)
    }
    intercept = tuple(round(float(b), 5) for b in solved.x[width * classes :])
    return StatementModel(coef, intercept, {})


def verdicts(statements: Sequence[Statement], read: Reader) -> list[StanceVerdict]:
    """Each statement's verdict, as the pipeline decides it from the reading."""
    return [
        statement_verdict(EXTRACTOR.analyse(s.claim, s.text, about_claim=True), read(s))
        for s in statements
    ]


def shift_curve(
    statements: Sequence[Statement], decided: Sequence[StanceVerdict]
) -> list[tuple[float, ShiftReport]]:
    """Shift-pair figures at each threshold (flips only, as ``watcher eval shifts``)."""
    verdict_of = {s.id: v for s, v in zip(statements, decided, strict=True)}
    pairs = statement_shift_pairs(statements)
    gold = [p.shift for p in pairs]
    curve = []
    for threshold in np.arange(0.0, 0.96, 0.01):
        policy = ShiftSettings(commitment_changes=False, min_confidence=float(threshold))
        predicted = []
        for p in pairs:
            before, after = p.id.split(">")
            predicted.append(stance_changed(verdict_of[before], verdict_of[after], policy)[0])
        curve.append((round(float(threshold), 2), shift_report(gold, predicted)))
    return curve


def chosen_threshold(curve: Sequence[tuple[float, ShiftReport]]) -> tuple[float, ShiftReport]:
    """The default flip threshold: the most precise point that still finds ``MIN_RECALL`` of
    the shifts (alerts are worth their precision; a threshold finding almost none is useless)."""
    reached = [item for item in curve if item[1].recall >= MIN_RECALL] or list(curve)
    return max(reached, key=lambda item: (item[1].precision, -item[0]))


def figures(
    title: str, statements: Sequence[Statement], decided: Sequence[StanceVerdict]
) -> dict[str, Any]:
    """Print and return accuracy, macro F1, per-class figures and the shift-pair points."""
    gold = [s.stance for s in statements]
    predicted = [v.stance for v in decided]
    reports = class_reports(gold, predicted, LABELS)
    macro = sum(r.f1 for r in reports) / len(reports)
    curve = shift_curve(statements, decided)
    threshold, point = chosen_threshold(curve)
    print(f"\n== {title}")
    print(f"accuracy {accuracy(gold, predicted):.3f}  macro F1 {macro:.3f}")
    print(format_classes(reports))
    print(format_confusion(confusion(gold, predicted, LABELS), [s.value for s in LABELS]))
    print(f"shift pairs ({sum(r.true_positive + r.false_negative for _, r in curve[:1])} shifts):")
    print(f"  default threshold {threshold:.2f}: {_point(point)}")
    for recall in (0.1, 0.3, 0.5, 0.7):
        reached = [(t, r) for t, r in curve if r.recall >= recall]
        if reached:
            at, best = max(reached, key=lambda item: item[1].precision)
            print(f"  best at recall >= {recall}: threshold {at:.2f}: {_point(best)}")
        else:
            print(f"  recall >= {recall}: not reached")
    return {"macro_f1": macro, "threshold": threshold}


def _point(report: ShiftReport) -> str:
    return f"precision {report.precision:.3f} recall {report.recall:.3f}"


def cross_validate(
    statements: Sequence[Statement], examples: Sequence[Example]
) -> list[StatementReading]:
    """Out-of-fold readings of the light model (claims never seen by the model that reads them)."""
    fold_of = claim_folds(statements, FOLDS)
    readings: list[StatementReading | None] = [None] * len(statements)
    for fold in range(FOLDS):
        model = fit(
            [e for s, e in zip(statements, examples, strict=True) if fold_of[s.claim_id] != fold]
        )
        for i, s in enumerate(statements):
            if fold_of[s.claim_id] == fold:
                e = examples[i]
                readings[i] = model.read(e.values, e.base, e.denies)
    return [r for r in readings if r is not None]


def read_cross_encoder(path: Path, statements: Sequence[Statement]) -> list[dict[Stance, float]]:
    """The cross-encoder's out-of-fold probabilities, in the order of ``statements``."""
    found: dict[str, dict[Stance, float]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        found[str(record["id"])] = {label: float(record[label.value]) for label in LABELS}
    missing = [s.id for s in statements if s.id not in found]
    if missing:
        raise SystemExit(
            f"{path}: no probabilities for {len(missing)} statements (e.g. {missing[0]})"
        )
    return [found[s.id] for s in statements]


def main(argv: Sequence[str] | None = None) -> int:
    """Cross-validate (unless --no-cv), then fit on everything and write the model."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--no-cv", action="store_true", help="skip cross-validation")
    parser.add_argument("--cross-encoder", type=Path, help="out-of-fold probabilities (JSON lines)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    statements = read_emergent(args.data)
    examples = []
    for s in statements:
        analysis = EXTRACTOR.analyse(s.claim, s.text, about_claim=True)
        base = base_logits(CUES.cue_sides(analysis))
        examples.append(Example(features(analysis), base, claim_denies(analysis), s.stance))
    print(f"{len(statements)} statements on {len({s.claim_id for s in statements})} claims")
    settings: dict[str, float] = {}
    if not args.no_cv:
        light = cross_validate(statements, examples)
        by_index = dict(zip((s.id for s in statements), light, strict=True))
        result = figures(
            "light engine, 5-fold CV by claim",
            statements,
            verdicts(statements, lambda s: by_index[s.id]),
        )
        settings["shift_min_confidence"] = result["threshold"]
        cue_alone = {
            s.id: StatementReading(dict(zip(LABELS, map(math.exp, e.base), strict=True)), {})
            for s, e in zip(statements, examples, strict=True)
        }
        figures(
            "the cue model alone (the statement decision before this model; not trained on these)",
            statements,
            verdicts(statements, lambda s: cue_alone[s.id]),
        )
        if args.cross_encoder:
            strong = read_cross_encoder(args.cross_encoder, statements)
            best = (-1.0, 1.0, 0.5)
            for weight in MODEL_WEIGHTS:
                mix = {
                    s.id: averaged(r, p, weight)
                    for s, r, p in zip(statements, light, strong, strict=True)
                }
                out = figures(
                    f"model engine (cross-encoder weight {weight}), 5-fold CV by claim",
                    statements,
                    verdicts(statements, lambda s, mix=mix: mix[s.id]),
                )
                best = max(best, (out["macro_f1"], weight, out["threshold"]))
            settings["model_weight"], settings["model_shift_min_confidence"] = best[1], best[2]
            print(f"\nmodel engine: cross-encoder weight {best[1]} (best macro F1 {best[0]:.3f})")
    model = fit(examples)
    previous = _previous_settings(args.out)
    data = {
        "format": FORMAT,
        "labels": [label.value for label in LABELS],
        "trained_on": "Emergent headlines (shared/eval/emergent/emergent-train.csv)",
        "settings": {**previous, **settings},
        "intercept": list(model.intercept),
        "coef": dict(sorted(model.coef.items())),
    }
    args.out.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
    size = args.out.stat().st_size
    print(
        f"\nwrote {args.out} ({len(model.coef)} features, {size / 1024:.0f} KiB) "
        f"in {time.perf_counter() - started:.0f}s"
    )
    return 0


def _previous_settings(path: Path) -> dict[str, float]:
    """Settings of the model file being replaced (kept when this run did not measure them)."""
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")).get("settings", {}))
    except (OSError, ValueError):
        return {"shift_min_confidence": 0.5}


if __name__ == "__main__":
    sys.exit(main())
