"""Evaluation: reading labelled data, classification metrics and the official FNC-1 score.

Pure functions over plain lists, shared by ``watcher eval`` and the training script, so the
figures a developer sees while training are computed exactly as the CLI computes them.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from watcher.models import Stance

# FNC-1 labels in watcher's vocabulary.
FNC1_LABELS = {
    "agree": Stance.FOR,
    "disagree": Stance.AGAINST,
    "discuss": Stance.OBSERVING,
    "unrelated": Stance.UNRELATED,
}
STANCE_ORDER = (Stance.FOR, Stance.AGAINST, Stance.OBSERVING, Stance.UNRELATED)
FNC1_STANCES = "competition_test_stances.csv"
FNC1_BODIES = "competition_test_bodies.csv"
EMERGENT_COLUMNS = ("claimId", "claimHeadline", "articleId", "articleHeadline")
EMERGENT_STANCE = "articleHeadlineStance"


class DataError(ValueError):
    """An input file that cannot be evaluated; the message names the file and line."""


@dataclass(frozen=True)
class Pair:
    """One labelled (claim, text) pair of FNC-1."""

    claim: str
    body_id: str
    text: str
    stance: Stance


def read_jsonl(path: Path, required: Sequence[str]) -> Iterator[dict[str, object]]:
    """Records of a JSON-lines file; each must be an object with the ``required`` keys."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{number}: not valid JSON: {exc.msg}") from None
            if not isinstance(record, dict):
                raise DataError(f"{path}:{number}: expected a JSON object")
            missing = [key for key in required if key not in record]
            if missing:
                raise DataError(f"{path}:{number}: missing key(s): {', '.join(missing)}")
            yield record


def parse_stance(value: object, where: str) -> Stance:
    """A gold label as a Stance; FNC-1's own names (agree, discuss...) are accepted too."""
    text = str(value).strip().lower()
    if text in FNC1_LABELS:
        return FNC1_LABELS[text]
    try:
        return Stance(text)
    except ValueError:
        raise DataError(f"{where}: unknown stance label {value!r}") from None


def parse_bool(value: object, where: str) -> bool:
    """A gold shift label: JSON true/false, or the strings "true"/"false"/"1"/"0"."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise DataError(f"{where}: not a boolean label: {value!r}")


def read_fnc1(
    directory: Path, stances: str = FNC1_STANCES, bodies: str = FNC1_BODIES
) -> list[Pair]:
    """The FNC-1 pairs in ``directory`` (stances CSV joined to bodies CSV; by default the
    competition test set's files)."""
    bodies_path, stances_path = directory / bodies, directory / stances
    for path in (bodies_path, stances_path):
        if not path.is_file():
            raise DataError(f"{path}: no such file (expected the FNC-1 CSVs in {directory})")
    with bodies_path.open(encoding="utf-8", newline="") as handle:
        texts = {row["Body ID"]: row["articleBody"] for row in csv.DictReader(handle)}
    pairs = []
    with stances_path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), 2):
            where = f"{stances_path}:{number}"
            if row["Body ID"] not in texts:
                raise DataError(f"{where}: body {row['Body ID']} is not in {bodies_path.name}")
            stance = parse_stance(row["Stance"], where)
            pairs.append(Pair(row["Headline"], row["Body ID"], texts[row["Body ID"]], stance))
    return pairs


def story_sides(pairs: Sequence[Pair], reads_as_denial: Callable[[str], bool]) -> dict[str, bool]:
    """Whether each body of ``pairs`` (agree/disagree only) refutes the story it reports.

    The headlines and bodies of a story form a graph whose edges say "same side" (agree) or
    "opposite sides" (disagree); FNC-1's labels two-colour it without a contradiction. Each
    connected story is oriented so that most of its headlines keep the polarity
    ``reads_as_denial`` gives them: a body "refutes" when it sides with the headlines that deny.
    A body's side is then one fact about the body, whatever headline it is paired with, so a
    misread headline ("... so he won't turn into a werewolf" read as a denial) no longer flips
    the target of every body paired with it.
    """
    edges: dict[str, list[tuple[str, bool]]] = {}
    for p in pairs:
        same = p.stance is Stance.FOR
        edges.setdefault("h:" + p.claim, []).append(("b:" + p.body_id, same))
        edges.setdefault("b:" + p.body_id, []).append(("h:" + p.claim, same))
    affirms: dict[str, bool] = {}  # node -> on the side of the story's affirming headlines
    for start in sorted(edges):
        if start in affirms:
            continue
        affirms[start] = True
        story, queue = [start], [start]
        while queue:
            node = queue.pop()
            for other, same in edges[node]:
                if other not in affirms:
                    affirms[other] = affirms[node] == same
                    story.append(other)
                    queue.append(other)
        kept = [affirms[n] != reads_as_denial(n[2:]) for n in story if n.startswith("h:")]
        if sum(kept) * 2 < len(kept):
            for node in story:
                affirms[node] = not affirms[node]
    return {node[2:]: not side for node, side in affirms.items() if node.startswith("b:")}


@dataclass(frozen=True)
class Statement:
    """One labelled statement (an Emergent headline) and the claim it takes a stance on."""

    claim_id: str
    claim: str
    id: str
    text: str
    stance: Stance


def read_emergent(path: Path) -> list[Statement]:
    """The labelled headlines of an Emergent CSV (for / against / observing), in file order."""
    if not path.is_file():
        raise DataError(f"{path}: no such file (expected Emergent's CSV)")
    statements = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [
            c for c in (*EMERGENT_COLUMNS, EMERGENT_STANCE) if c not in (reader.fieldnames or ())
        ]
        if missing:
            raise DataError(f"{path}: missing column(s): {', '.join(missing)}")
        for number, row in enumerate(reader, 2):
            stance = parse_stance(row[EMERGENT_STANCE], f"{path}:{number}")
            statements.append(
                Statement(
                    row["claimId"],
                    row["claimHeadline"],
                    row["articleId"],
                    row["articleHeadline"],
                    stance,
                )
            )
    return statements


def claim_folds(statements: Sequence[Statement], folds: int = 5) -> dict[str, int]:
    """Each claim's cross-validation fold, balanced by size and fixed by the data alone.

    Claims go, largest first (ties by id), to the fold holding the fewest statements so far,
    as scikit-learn's GroupKFold does; every script that splits the same file gets the same
    folds, so their out-of-fold predictions can be combined.
    """
    sizes = Counter(s.claim_id for s in statements)
    load = [0] * folds
    fold_of = {}
    for claim_id in sorted(sizes, key=lambda c: (-sizes[c], c)):
        fold = min(range(folds), key=lambda f: (load[f], f))
        fold_of[claim_id] = fold
        load[fold] += sizes[claim_id]
    return fold_of


def statement_shift_pairs(statements: Sequence[Statement]) -> list[ShiftPair]:
    """Every pair of committed statements on one claim: ``for`` with ``against`` is a shift,
    two of one side are not (``observing`` statements make no pair). Ids are "ID1>ID2", the
    earlier statement in file order first."""
    by_claim: dict[str, list[Statement]] = {}
    for s in statements:
        if s.stance in (Stance.FOR, Stance.AGAINST):
            by_claim.setdefault(s.claim_id, []).append(s)
    return [
        ShiftPair(f"{a.id}>{b.id}", a.claim, a.text, b.text, a.stance is not b.stance)
        for group in by_claim.values()
        for a, b in combinations(group, 2)
    ]


@dataclass(frozen=True)
class ShiftPair:
    """One labelled shift pair: two texts on one claim, and whether the stance flipped."""

    id: str
    claim: str
    before: str
    after: str
    shift: bool


def read_shifts(path: Path) -> list[ShiftPair]:
    """The labelled pairs of a shift-pairs file: {"id", "claim", "before", "after", "shift"}."""
    return [
        ShiftPair(
            str(r["id"]),
            str(r["claim"]),
            str(r["before"]),
            str(r["after"]),
            parse_bool(r["shift"], f"{path}: id {r['id']}"),
        )
        for r in read_jsonl(path, ("id", "claim", "before", "after", "shift"))
    ]


@dataclass(frozen=True)
class ClassReport:
    """Precision, recall and F1 of one class."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def f1_score(precision: float, recall: float) -> float:
    """Harmonic mean of precision and recall (0 when both are 0)."""
    return _ratio(2 * precision * recall, precision + recall)


def confusion(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]
) -> list[list[int]]:
    """Confusion matrix: rows are gold labels, columns predictions, in ``labels`` order."""
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, predicted, strict=True):
        matrix[index[g]][index[p]] += 1
    return matrix


def class_reports(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]
) -> list[ClassReport]:
    """Per-class precision, recall and F1."""
    matrix = confusion(gold, predicted, labels)
    reports = []
    for i, label in enumerate(labels):
        true_positive = matrix[i][i]
        predicted_count = sum(row[i] for row in matrix)
        support = sum(matrix[i])
        precision = _ratio(true_positive, predicted_count)
        recall = _ratio(true_positive, support)
        reports.append(ClassReport(label, precision, recall, f1_score(precision, recall), support))
    return reports


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Share of predictions equal to the gold label."""
    return _ratio(sum(g == p for g, p in zip(gold, predicted, strict=True)), len(gold))


def fnc1_score(gold: Sequence[Stance], predicted: Sequence[Stance]) -> float:
    """The official FNC-1 weighted score as a share of the best possible (0..1).

    +0.25 for getting related/unrelated right; +0.75 more for the exact stance of a related pair.
    """
    score = best = 0.0
    for g, p in zip(gold, predicted, strict=True):
        g_related, p_related = g is not Stance.UNRELATED, p is not Stance.UNRELATED
        best += 1.0 if g_related else 0.25
        if g_related == p_related:
            score += 0.25
            if g_related and g == p:
                score += 0.75
    return _ratio(score, best)


@dataclass(frozen=True)
class ShiftReport:
    """Shift detection figures; false alarms are measured on the same-stance pairs."""

    precision: float
    recall: float
    f1: float
    false_alarm_rate: float
    true_positive: int
    false_positive: int
    false_negative: int
    true_negative: int


def shift_report(gold: Sequence[bool], predicted: Sequence[bool]) -> ShiftReport:
    """Precision, recall, F1 and false-alarm rate of predicted shifts."""
    counts = Counter(zip(gold, predicted, strict=True))
    tp, fp = counts[(True, True)], counts[(False, True)]
    fn, tn = counts[(True, False)], counts[(False, False)]
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return ShiftReport(
        precision, recall, f1_score(precision, recall), _ratio(fp, fp + tn), tp, fp, fn, tn
    )


def format_confusion(matrix: list[list[int]], labels: Sequence[str]) -> str:
    """A confusion matrix as aligned text, gold labels down, predictions across."""
    width = max(9, *(len(label) for label in labels), *(len(str(n)) for r in matrix for n in r))
    lines = ["gold \\ pred".ljust(width + 2) + "".join(label.rjust(width + 1) for label in labels)]
    for label, row in zip(labels, matrix, strict=True):
        lines.append(label.ljust(width + 2) + "".join(str(n).rjust(width + 1) for n in row))
    return "\n".join(lines)


def format_classes(reports: Iterable[ClassReport]) -> str:
    """Per-class precision/recall/F1 as aligned text."""
    lines = [f"{'class':<11}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}"]
    for r in reports:
        lines.append(
            f"{r.label:<11}{r.precision:>10.3f}{r.recall:>8.3f}{r.f1:>8.3f}{r.support:>9d}"
        )
    return "\n".join(lines)


def stance_summary(gold: Sequence[Stance], predicted: Sequence[Stance]) -> str:
    """Accuracy, per-class precision/recall/F1 and the confusion matrix, as text.

    Only the stances that occur (in the gold labels or the predictions) count: statements are
    never ``unrelated``, and a class nobody used would pull the macro F1 down for nothing.
    """
    used = {*gold, *predicted}
    labels = [s.value for s in STANCE_ORDER if s in used]
    g, p = [s.value for s in gold], [s.value for s in predicted]
    reports = class_reports(g, p, labels)
    macro = sum(r.f1 for r in reports) / len(reports)
    return "\n".join(
        [
            f"pairs: {len(g)}  accuracy: {accuracy(g, p):.4f}  macro F1: {macro:.4f}",
            format_classes(reports),
            format_confusion(confusion(g, p, labels), labels),
        ]
    )


def fnc1_summary(gold: Sequence[Stance], predicted: Sequence[Stance]) -> str:
    """The FNC-1 weighted score followed by the stance summary, as text."""
    return f"FNC-1 weighted score: {fnc1_score(gold, predicted):.4f}\n" + stance_summary(
        gold, predicted
    )


def shift_summary(report: ShiftReport, heading: str) -> str:
    """Shift figures as text, after ``heading`` (e.g. "min_confidence 0.500")."""
    return (
        f"{heading}: precision {report.precision:.4f}  recall "
        f"{report.recall:.4f}  F1 {report.f1:.4f}  false-alarm rate (same-stance pairs) "
        f"{report.false_alarm_rate:.4f}\n"
        f"tp {report.true_positive}  fp {report.false_positive}  fn {report.false_negative}  "
        f"tn {report.true_negative}"
    )
