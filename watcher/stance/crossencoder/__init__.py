"""The optional cross-encoder stance engine: a fine-tuned MiniLM read on onnxruntime.

``CrossEncoder.load()`` opens the int8 ONNX model shipped next to this file (``model.onnx``,
``tokenizer.json`` and the ``model.json`` manifest, built by ``training/train_cross_encoder.py``);
``probabilities(pairs)`` gives P(for / against / observing) for each (claim, statement) pair.

It needs ``onnxruntime``, ``tokenizers`` and ``numpy`` (``pip install 'watcher[model]'``), never
torch. Importing this module works without them: they are imported on ``load()``, which raises
``ModelUnavailable`` when they or the model files are missing. The model's sha256 is checked
against the manifest on every load, so a damaged or swapped file is refused rather than read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watcher.models import Stance

if TYPE_CHECKING:  # only for type checkers: the runtime imports stay lazy
    import numpy as np

DEFAULT_DIRECTORY = Path(__file__).parent
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
MANIFEST_FILE = "model.json"
INSTALL_HINT = "install the optional model engine with: pip install 'watcher[model]'"
# Two threads: the daemon's other work keeps running; one session with a fixed thread count
# keeps the floating-point reduction order, hence the probabilities, the same on every call.
THREADS = 2


class ModelUnavailable(RuntimeError):
    """The cross-encoder cannot run: a package or a model file is missing, or a file is altered."""


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_tokenizer(path: Path, max_length: int) -> Any:
    """The pair tokenizer of ``tokenizer.json``: ``[CLS] claim [SEP] statement [SEP]``.

    Truncation (longest first, to ``max_length``) and padding (to the longest pair of a batch)
    are set here, not taken from the file, so training and run time encode alike.
    """
    try:
        from tokenizers import Tokenizer
    except ImportError as error:
        raise ModelUnavailable(
            f"the 'tokenizers' package is not installed; {INSTALL_HINT}"
        ) from error
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(max_length=max_length, strategy="longest_first")
    pad_id = tokenizer.token_to_id("[PAD]")
    tokenizer.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token="[PAD]")
    return tokenizer


def encode_pairs(tokenizer: Any, pairs: Sequence[tuple[str, str]]) -> dict[str, np.ndarray]:
    """input_ids / attention_mask / token_type_ids (int64, batch x longest) of claim-text pairs."""
    import numpy as np

    encodings = tokenizer.encode_batch([(claim, text) for claim, text in pairs])
    return {
        "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
    }


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by each row's maximum so large logits cannot overflow."""
    import numpy as np

    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class CrossEncoder:
    """A loaded cross-encoder: one onnxruntime session and its tokenizer."""

    session: Any
    tokenizer: Any
    labels: tuple[Stance, ...]
    max_length: int
    manifest: dict[str, Any]

    @classmethod
    def load(cls, directory: Path | str = DEFAULT_DIRECTORY) -> CrossEncoder:
        """Open the model in ``directory`` after checking its sha256 against the manifest.

        Raises ``ModelUnavailable`` (with an install hint) when onnxruntime, tokenizers or numpy
        cannot be imported, when a model file is missing, or when ``model.onnx`` is not the file
        the manifest names.
        """
        directory = Path(directory)
        try:
            import numpy  # noqa: F401  (checked here so a missing numpy gets the same hint)
            import onnxruntime
        except ImportError as error:
            raise ModelUnavailable(
                f"the cross-encoder needs onnxruntime, tokenizers and numpy ({error}); "
                f"{INSTALL_HINT}"
            ) from error
        missing = [
            name
            for name in (MODEL_FILE, TOKENIZER_FILE, MANIFEST_FILE)
            if not (directory / name).is_file()
        ]
        if missing:
            raise ModelUnavailable(
                f"{directory}: cross-encoder file(s) missing: {', '.join(missing)}; "
                f"reinstall watcher ({INSTALL_HINT}) or rebuild it with "
                "training/train_cross_encoder.py"
            )
        manifest = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
        expected = manifest.get("model_sha256")
        actual = file_sha256(directory / MODEL_FILE)
        if actual != expected:
            raise ModelUnavailable(
                f"{directory / MODEL_FILE}: sha256 {actual} differs from the manifest's "
                f"{expected}; the model file is damaged or was replaced, refusing to load it"
            )
        labels = tuple(Stance(label) for label in manifest["labels"])
        max_length = int(manifest["max_length"])
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = THREADS
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        session = onnxruntime.InferenceSession(
            str(directory / MODEL_FILE), options, providers=["CPUExecutionProvider"]
        )
        tokenizer = load_tokenizer(directory / TOKENIZER_FILE, max_length)
        return cls(session, tokenizer, labels, max_length, manifest)

    def logits(self, pairs: Sequence[tuple[str, str]], batch_size: int = 32) -> np.ndarray:
        """The model's raw scores (pairs x labels), in input order.

        Pairs run in batches of ``batch_size`` after sorting by token length, so a batch holds
        pairs of about one length: little padding, less work. The int8 model quantizes its
        activations per batch, so a pair's scores move slightly (in the last digits, rarely
        more) with its batch companions; the same pairs and batch size give the same scores,
        bit for bit, and ``batch_size=1`` gives each pair's scores on its own.
        """
        import numpy as np

        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        out = np.zeros((len(pairs), len(self.labels)), dtype=np.float32)
        if not pairs:
            return out
        # One tokenizer call, padded to the longest pair; padding is on the right, so each
        # batch is cut back to its own longest pair exactly.
        encoded = encode_pairs(self.tokenizer, pairs)
        lengths = encoded["attention_mask"].sum(axis=1)
        order = np.argsort(lengths, kind="stable")
        for start in range(0, len(pairs), batch_size):
            index = order[start : start + batch_size]
            width = int(lengths[index].max())
            inputs = {name: array[index, :width] for name, array in encoded.items()}
            out[index] = self.session.run(["logits"], inputs)[0]
        return out

    def probabilities(
        self, pairs: Sequence[tuple[str, str]], batch_size: int = 32
    ) -> list[dict[Stance, float]]:
        """P(stance) of each (claim, statement) pair, in input order; each dict sums to 1."""
        probs = softmax(self.logits(pairs, batch_size))
        return [
            {label: float(p) for label, p in zip(self.labels, row, strict=True)} for row in probs
        ]


__all__ = ["DEFAULT_DIRECTORY", "CrossEncoder", "ModelUnavailable", "encode_pairs"]
