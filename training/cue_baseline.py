"""The ten-word baseline for shift pairs: a flip when exactly one of the two texts has a denial cue.

    .venv/bin/python training/cue_baseline.py [../shared/eval/shift-pairs-dev.jsonl]

Issue 3 puts "a ten-word list of denial cues" at precision about 0.6 and recall about 0.55 on the
shared shift pairs without naming the words. This script fixes one such list, so the engine's
figures (training/README.md) can be compared with a baseline anyone can rerun. Nothing is
trained. Three lists were written down before measuring; this one scored best (precision 0.69 at
recall 0.54; the others 0.60 at 0.35 with bare "not", "no", "never", and 0.68 at 0.51 with
"satire", "prank", "debunked"), so it flatters the baseline a little.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from watcher.evaluation import read_shifts, shift_report

DEFAULT_PAIRS = Path(__file__).resolve().parents[2] / "shared" / "eval" / "shift-pairs-dev.jsonl"
DENIAL_CUES = (
    "fake",
    "hoax",
    "false",
    "not true",
    "denied",
    "denies",
    "debunk",
    "untrue",
    "rumor",
    "no evidence",
)
_CUE = re.compile(r"\b(" + "|".join(re.escape(cue) for cue in DENIAL_CUES) + r")\b", re.IGNORECASE)


def denies(text: str) -> bool:
    """Whether ``text`` contains any of the denial cues (whole words, any case)."""
    return _CUE.search(text) is not None


def main(argv: list[str]) -> int:
    """Print the baseline's precision, recall and false-alarm rate on a shift-pairs file."""
    path = Path(argv[0]) if argv else DEFAULT_PAIRS
    pairs = read_shifts(path)
    predicted = [denies(p.before) != denies(p.after) for p in pairs]
    r = shift_report([p.shift for p in pairs], predicted)
    print(
        f"{len(pairs)} pairs, cues {', '.join(DENIAL_CUES)}\n"
        f"precision {r.precision:.3f} recall {r.recall:.3f} F1 {r.f1:.3f} "
        f"false alarms {r.false_alarm_rate:.3f} (tp {r.true_positive} fp {r.false_positive})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
