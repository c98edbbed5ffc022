"""``watcher eval``: output format, figures on stderr, input errors, and the metrics behind it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from watcher.cli.eval import eval_group
from watcher.evaluation import class_reports, fnc1_score, shift_report
from watcher.models import Stance

CLAIM = "The US will provide air cover for European forces deployed in Ukraine"
REFUSAL = "The US has refused to provide air cover for European forces deployed in Ukraine."
PLEDGE = "The US pledged to provide air cover for European forces deployed in Ukraine."
OFF_TOPIC = "The city council approved a new budget for libraries. Opening hours will grow."
HEDGE = "The US is reportedly considering air cover for European forces deployed in Ukraine."


def _jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _run(*args: str) -> tuple[int, list[dict[str, object]], str]:
    result = CliRunner().invoke(eval_group, list(args))
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, lines, result.stderr


def test_stance_prints_one_line_per_input_and_ignores_labels(tmp_path: Path) -> None:
    data = _jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": "a", "claim": CLAIM, "text": REFUSAL, "label": "for", "extra": 1},
            {"id": "b", "claim": CLAIM, "text": HEDGE},
        ],
    )
    code, lines, stderr = _run("stance", str(data))
    assert code == 0
    assert [line["id"] for line in lines] == ["a", "b"]
    assert set(lines[0]) == {"id", "stance"}
    assert lines[0]["stance"] == "against"  # the label key is not read without --labels
    assert lines[1]["stance"] == "observing"
    assert "accuracy" not in stderr
    assert "(light engine)" in stderr


def test_stance_with_labels_reports_figures(tmp_path: Path) -> None:
    data = _jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": 1, "claim": CLAIM, "text": REFUSAL, "gold": "disagree"},
            {"id": 2, "claim": CLAIM, "text": PLEDGE, "gold": "for"},
            {"id": 3, "claim": CLAIM, "text": HEDGE, "gold": "discuss"},
        ],
    )
    code, _, stderr = _run("stance", str(data), "--labels", "gold")
    assert code == 0
    assert "accuracy: 1.0000  macro F1: 1.0000" in stderr  # no unused "unrelated" class
    assert "gold \\ pred" in stderr and "precision" in stderr


def test_stance_rejects_missing_keys_and_bad_labels(tmp_path: Path) -> None:
    missing = _jsonl(tmp_path / "missing.jsonl", [{"id": 1, "claim": CLAIM}])
    code, _, stderr = _run("stance", str(missing))
    assert code != 0 and "missing key(s): text" in stderr
    bad = _jsonl(tmp_path / "bad.jsonl", [{"id": 1, "claim": CLAIM, "text": "x", "y": "maybe"}])
    code, _, stderr = _run("stance", str(bad), "--labels", "y")
    assert code != 0 and "unknown stance label 'maybe'" in stderr


def test_shifts_flags_flips_and_not_paraphrases(tmp_path: Path) -> None:
    data = _jsonl(
        tmp_path / "pairs.jsonl",
        [
            {"id": "flip", "claim": CLAIM, "before": PLEDGE, "after": REFUSAL, "shift": True},
            {
                "id": "same",
                "claim": CLAIM,
                "before": REFUSAL,
                "after": "Washington declined to provide air cover to European forces in Ukraine.",
                "shift": False,
            },
        ],
    )
    code, lines, stderr = _run("shifts", str(data), "--labels", "shift", "--min-confidence", "0")
    assert code == 0
    by_id = {line["id"]: line for line in lines}
    assert by_id["flip"] == {"id": "flip", "shift": True, "before": "for", "after": "against"}
    assert by_id["same"]["shift"] is False
    assert "precision 1.0000" in stderr and "recall 1.0000" in stderr


def test_fnc1_scores_a_directory(tmp_path: Path) -> None:
    with (tmp_path / "competition_test_bodies.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows([["Body ID", "articleBody"], ["1", REFUSAL], ["2", OFF_TOPIC]])
    with (tmp_path / "competition_test_stances.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows(
            [["Headline", "Body ID", "Stance"], [CLAIM, "1", "disagree"], [CLAIM, "2", "unrelated"]]
        )
    result = CliRunner().invoke(eval_group, ["fnc1", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "FNC-1 weighted score: 1.0000" in result.stdout


def test_fnc1_names_the_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(eval_group, ["fnc1", str(tmp_path)])
    assert result.exit_code != 0
    assert "competition_test_bodies.csv: no such file" in result.stderr


def test_fnc1_score_weights() -> None:
    gold = [Stance.FOR, Stance.AGAINST, Stance.UNRELATED, Stance.UNRELATED]
    # related right but wrong stance: 0.25; exact: 1.0; unrelated right: 0.25; wrong: 0
    predicted = [Stance.OBSERVING, Stance.AGAINST, Stance.UNRELATED, Stance.FOR]
    assert fnc1_score(gold, predicted) == pytest.approx((0.25 + 1.0 + 0.25) / 2.5)


def test_class_reports_and_shift_report() -> None:
    reports = class_reports(["a", "a", "b"], ["a", "b", "b"], ["a", "b"])
    assert [(r.precision, r.recall) for r in reports] == [(1.0, 0.5), (0.5, 1.0)]
    report = shift_report([True, True, False, False], [True, False, True, False])
    assert (report.precision, report.recall, report.false_alarm_rate) == (0.5, 0.5, 0.5)
