"""Cross-encoder benchmark: statements per second of the shipped int8 ONNX stance model.

    python -m bench.crossencoder [--size STATEMENTS] [--json FILE]

Scores ``--size`` real Emergent headlines against their claims (../shared/eval; synthetic
"claim / statement" pairs of the same length when that folder is absent), with the runtime's
own ``CrossEncoder`` (two onnxruntime threads): batched, 32 pairs a call, then one pair a call,
as the daemon does for a single new statement. Not part of ``make bench``: it needs the
``model`` extra. The load average in the header says how busy the machine was.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.common import arguments, describe_machine, machine, print_table, write_json

EMERGENT = Path(__file__).resolve().parent.parent.parent / "shared/eval/emergent/emergent-train.csv"


def pairs(size: int) -> list[tuple[str, str]]:
    """``size`` (claim, statement) pairs: Emergent's headlines, or synthetic ones without it."""
    if EMERGENT.is_file():
        from watcher.evaluation import read_emergent

        rows = read_emergent(EMERGENT)
        return [(r.claim, r.text) for r in (rows * (size // len(rows) + 1))[:size]]
    claim = "The minister will resign before the end of the month, officials said"
    return [
        (claim, f"Minister {i} denies reports that she will resign this month") for i in range(size)
    ]


def main() -> None:
    """Measure and print both rates."""
    from watcher.stance.crossencoder import CrossEncoder

    args = arguments(__doc__.splitlines()[0], 512, "statements to score").parse_args()
    info = machine()
    encoder = CrossEncoder.load()
    work = pairs(args.size)
    encoder.probabilities(work[:32])  # warm-up: the session's first run allocates
    rows = []
    for batch_size in (32, 1):
        started = time.perf_counter()
        encoder.probabilities(work, batch_size=batch_size)
        seconds = time.perf_counter() - started
        rows.append(
            {
                "batch size": batch_size,
                "statements": len(work),
                "seconds": seconds,
                "statements/s": len(work) / seconds,
                "ms/statement": 1000 * seconds / len(work),
            }
        )
    print(describe_machine(info))
    print_table("int8 cross-encoder (watcher/stance/crossencoder/model.onnx)", rows)
    write_json(args.json, {"machine": info, "rates": rows})


if __name__ == "__main__":
    main()
