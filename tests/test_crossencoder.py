"""The cross-encoder stance engine: the shipped int8 ONNX model, its checksum guard, determinism."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from watcher.models import Stance
from watcher.stance.crossencoder import DEFAULT_DIRECTORY, CrossEncoder, ModelUnavailable

CLAIM = "Apple will release a smartwatch in September"
# Clear headlines of each kind (written for this test, not taken from the training data).
CLEAR = [
    ((CLAIM, "Apple denies reports that it will release a smartwatch in September"), "against"),
    ((CLAIM, "Apple spokesperson says smartwatch rumours are false"), "against"),
    ((CLAIM, "Apple confirms it will release its smartwatch in September"), "for"),
    ((CLAIM, "Apple unveils its first smartwatch, on sale in September"), "for"),
    ((CLAIM, "Apple reportedly plans to release a smartwatch in September"), "observing"),
    ((CLAIM, "Apple may release a smartwatch in September, sources claim"), "observing"),
]


def test_import_needs_no_runtime_packages():
    """Importing the module works without onnxruntime / tokenizers (they are imported on load)."""
    code = (
        "import sys\n"
        "for name in ('onnxruntime', 'tokenizers', 'numpy'):\n"
        "    sys.modules[name] = None  # importing it now raises ImportError\n"
        "from watcher.stance.crossencoder import CrossEncoder, ModelUnavailable\n"
        "try:\n"
        "    CrossEncoder.load()\n"
        "except ModelUnavailable as error:\n"
        "    assert \"pip install 'watcher[model]'\" in str(error), error\n"
        "    print('unavailable')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "unavailable"


def test_missing_model_file_is_unavailable(tmp_path):
    pytest.importorskip("onnxruntime", reason="the cross-encoder needs onnxruntime")
    pytest.importorskip("tokenizers", reason="the cross-encoder needs tokenizers")
    with pytest.raises(ModelUnavailable, match=r"model\.onnx"):
        CrossEncoder.load(tmp_path)


@pytest.fixture(scope="module")
def encoder() -> CrossEncoder:
    pytest.importorskip("onnxruntime", reason="the cross-encoder needs onnxruntime")
    pytest.importorskip("tokenizers", reason="the cross-encoder needs tokenizers")
    pytest.importorskip("numpy", reason="the cross-encoder needs numpy")
    return CrossEncoder.load()


def test_shipped_model_loads(encoder):
    assert encoder.labels == (Stance.FOR, Stance.AGAINST, Stance.OBSERVING)
    assert encoder.manifest["base_model"]["license"] == "Apache-2.0"
    assert (DEFAULT_DIRECTORY / "model.onnx").stat().st_size < 30_000_000


@pytest.mark.parametrize(("pair", "expected"), CLEAR, ids=[e for _, e in CLEAR])
def test_clear_statements(encoder, pair, expected):
    [probs] = encoder.probabilities([pair])
    assert max(probs, key=probs.__getitem__) is Stance(expected), probs
    assert sum(probs.values()) == pytest.approx(1.0, abs=1e-5)


def test_deterministic_across_calls_and_batch_sizes(encoder):
    pairs = [pair for pair, _ in CLEAR] * 3
    first = encoder.probabilities(pairs, batch_size=32)
    assert encoder.probabilities(pairs, batch_size=32) == first  # bit for bit, call after call
    one_by_one = encoder.probabilities(pairs, batch_size=1)
    assert encoder.probabilities(pairs, batch_size=1) == one_by_one
    assert one_by_one[: len(CLEAR)] == one_by_one[len(CLEAR) : 2 * len(CLEAR)]  # alone = alone
    # The int8 model quantizes activations per batch, so batch companions move a pair's
    # probabilities a little; a clear decision does not move.
    for a, b in zip(first, one_by_one, strict=True):
        assert all(abs(a[s] - b[s]) < 0.1 for s in a), (a, b)
        top, second = sorted(b.values(), reverse=True)[:2]
        if top - second > 0.2:
            assert max(a, key=a.__getitem__) is max(b, key=b.__getitem__)
    assert encoder.probabilities([]) == []


def test_tampered_model_is_refused(tmp_path, encoder):
    copy = tmp_path / "model"
    shutil.copytree(DEFAULT_DIRECTORY, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    assert CrossEncoder.load(copy).probabilities([CLEAR[0][0]])  # the intact copy loads
    path = copy / "model.onnx"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit in the weights
    path.write_bytes(bytes(data))
    with pytest.raises(ModelUnavailable, match="sha256"):
        CrossEncoder.load(copy)


def test_missing_tokenizer_is_unavailable(tmp_path, encoder):
    copy = tmp_path / "model"
    shutil.copytree(DEFAULT_DIRECTORY, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    Path(copy / "tokenizer.json").unlink()
    with pytest.raises(ModelUnavailable, match=r"tokenizer\.json"):
        CrossEncoder.load(copy)


def test_speed_benchmark_runs(tmp_path, encoder):
    """bench/crossencoder.py at a tiny size (its figures are for training/README.md, not a test)."""
    figures = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.crossencoder", "--size", "8", "--json", str(figures)],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rates = json.loads(figures.read_text())["rates"]
    assert [r["batch size"] for r in rates] == [32, 1]
    assert all(r["statements"] == 8 and r["statements/s"] > 0 for r in rates)
