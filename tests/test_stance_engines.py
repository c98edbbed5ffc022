"""Statement engines: chosen by ``[stance] engine`` or ``--engine``, the light one when the
optional model extra is absent (with a message, not a crash), and held to a floor on real
headlines (Emergent) so a regression fails CI."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import require_shared

from watcher.cli import cli
from watcher.config import ConfigError, load_config
from watcher.evaluation import accuracy, class_reports, read_emergent
from watcher.models import Stance
from watcher.stance.decide import StanceEngine
from watcher.stance.engines import load_engine
from watcher.stance.model import load_model

CLAIM = "The US will provide air cover for European forces in Ukraine"
REFUSAL = "The US has refused to provide air cover for European forces in Ukraine."
# Floors on Emergent headlines, a few points under what the shipped engines read there (the
# light engine 0.74 on all of them; the model engine, trained on them, 0.93 in-sample). The
# cross-validated figures are in training/README.md.
FLOORS = {"light": (0.72, 0.70), "model": (0.88, 0.87)}
# The model engine reads a fixed sample (a fifth) to keep the test short.
MODEL_SAMPLE = 5
LABELS = (Stance.FOR, Stance.AGAINST, Stance.OBSERVING)


@pytest.fixture
def without_the_model_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on an install without ``watcher[model]``: onnxruntime cannot be imported."""
    monkeypatch.setitem(sys.modules, "onnxruntime", None)


def write_config(tmp_path: Path, engine: str) -> Path:
    path = tmp_path / "watcher.toml"
    path.write_text(f'[stance]\nengine = "{engine}"\n', encoding="utf-8")
    return path


def test_the_config_names_the_engine_and_rejects_an_unknown_one(tmp_path: Path) -> None:
    assert load_config(write_config(tmp_path, "model")).stance.engine == "model"
    with pytest.raises(ConfigError, match=r"watcher\.toml: stance\.engine"):
        load_config(write_config(tmp_path, "heavy"))


def test_without_the_extra_the_model_engine_falls_back_to_light_and_says_so(
    without_the_model_extra: None,
) -> None:
    stance = StanceEngine(load_model(), "model")
    assert stance.statements.name == "light"
    assert stance.note is not None and "pip install 'watcher[model]'" in stance.note
    assert stance.classify_statement(CLAIM, REFUSAL).stance is Stance.AGAINST


def test_eval_takes_the_engine_from_the_config_and_engine_overrides_it(
    tmp_path: Path, without_the_model_extra: None
) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text(json.dumps({"id": 1, "claim": CLAIM, "text": REFUSAL}) + "\n", encoding="utf-8")
    config = write_config(tmp_path, "model")
    runner = CliRunner()
    result = runner.invoke(cli, ["-c", str(config), "eval", "stance", str(data)])
    assert result.exit_code == 0, result.output
    assert "is not available" in result.stderr and "using 'light'" in result.stderr
    assert json.loads(result.stdout.splitlines()[0]) == {"id": 1, "stance": "against"}
    result = runner.invoke(
        cli, ["-c", str(config), "eval", "stance", str(data), "--engine", "light"]
    )
    assert result.exit_code == 0 and "is not available" not in result.stderr
    assert "(light engine)" in result.stderr


def test_a_pipeline_configured_for_the_model_engine_runs_on_light_without_it(
    tmp_path: Path, without_the_model_extra: None, caplog: pytest.LogCaptureFixture
) -> None:
    from watcher.pipeline import Pipeline
    from watcher.store import Store

    config = load_config(write_config(tmp_path, "model"))
    with caplog.at_level(logging.WARNING):
        pipeline = Pipeline(config, Store(tmp_path / "watcher.db"))
    assert pipeline.stance.statements.name == "light"
    assert any("using 'light'" in r.getMessage() for r in caplog.records)


def test_an_unknown_engine_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown stance engine 'heavy'"):
        load_engine("heavy", lambda _: (0.5, 0.5))


@pytest.mark.parametrize("name", ["light", "model"])
def test_each_engine_reads_real_headlines_above_its_floor(name: str) -> None:
    statements = read_emergent(require_shared("eval", "emergent", "emergent-train.csv"))
    if name == "model":
        pytest.importorskip("onnxruntime", reason="the model engine needs watcher[model]")
        statements = statements[::MODEL_SAMPLE]
    stance = StanceEngine(load_model(), name)
    assert stance.statements.name == name, stance.note
    predicted = [stance.classify_statement(s.claim, s.text).stance for s in statements]
    gold = [s.stance for s in statements]
    macro = sum(r.f1 for r in class_reports(gold, predicted, LABELS)) / len(LABELS)
    accuracy_floor, macro_floor = FLOORS[name]
    assert accuracy(gold, predicted) >= accuracy_floor
    assert macro >= macro_floor


def test_the_model_engine_reads_statements_and_explains_them_in_words() -> None:
    pytest.importorskip("onnxruntime", reason="the model engine needs watcher[model]")
    stance = StanceEngine(load_model(), "model")
    assert stance.statements.name == "model", stance.note
    refusal, other = stance.classify_statements(
        CLAIM, [REFUSAL, "Kyiv welcomed the talks on a European force."]
    )
    assert refusal.stance is Stance.AGAINST
    assert "refused" in refusal.cues
    assert refusal.explanation.startswith("against (")
    assert "refuses, denies or rules out the claim" in refusal.explanation
    assert "polarity" not in refusal.explanation
    # Deterministic: the same statement alone or in a batch (padded to another length) reads
    # the same.
    assert stance.classify_statement(CLAIM, REFUSAL) == refusal
    assert other.stance is not Stance.UNRELATED
    assert stance.shift_min_confidence == pytest.approx(0.66)
