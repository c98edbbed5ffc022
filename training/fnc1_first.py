"""FNC-1 pairs for one epoch before the Emergent headlines (measured in CV, not shipped).

``train_cross_encoder.py --cv --fnc1-first`` trains each fold's cross-encoder for one epoch on
these pairs, then as usual on the fold's headlines. FNC-1 was built from Emergent, so each fold
drops every FNC-1 headline close to one of its held-out claims or headlines, with every pair of
a body related to such a headline: the fold's claims stay unseen.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from watcher.evaluation import Pair, Statement, read_fnc1
from watcher.models import Stance

FNC1_TRAIN = Path(__file__).resolve().parents[2] / "shared" / "eval" / "fnc1-train"
# All of the rare `disagree`, a sample of the others: about 4,000 pairs, one epoch ~4 min.
PER_STANCE = {Stance.FOR: 1500, Stance.AGAINST: 690, Stance.OBSERVING: 1800}
LEAD_WORDS = 60  # a body's lead stands in for a statement; the tokenizer cuts at 96 tokens
NEAR = 80  # rapidfuzz token-set ratio at which an FNC-1 headline is the held-out story's


def related_pairs(directory: Path = FNC1_TRAIN) -> list[Pair]:
    """FNC-1's train pairs whose body takes a side or discusses (``unrelated`` left out)."""
    pairs = read_fnc1(directory, stances="train_stances.csv", bodies="train_bodies.csv")
    return [p for p in pairs if p.stance in PER_STANCE]


def first_epoch_rows(
    pairs: Sequence[Pair], held_out: Sequence[Statement], seed: int
) -> list[Statement]:
    """A per-stance sample of ``pairs`` far from ``held_out``, as (headline, body lead) rows."""
    headlines = sorted({p.claim for p in pairs})
    held = sorted({s.claim for s in held_out} | {s.text for s in held_out})
    scores = process.cdist(headlines, held, scorer=fuzz.token_set_ratio, workers=2)
    near = {h for h, row in zip(headlines, scores, strict=True) if row.max() >= NEAR}
    near_bodies = {p.body_id for p in pairs if p.claim in near}
    kept = [p for p in pairs if p.claim not in near and p.body_id not in near_bodies]
    rng = np.random.default_rng(seed)
    chosen: list[Pair] = []
    for stance, count in PER_STANCE.items():
        group = [p for p in kept if p.stance is stance]
        chosen += [group[i] for i in sorted(rng.permutation(len(group))[:count])]
    print(f"  FNC-1: {len(near)} headlines near the held-out ones dropped; {len(chosen)} pairs")
    return [
        Statement(f"fnc1:{p.claim}", p.claim, f"fnc1-{n}", lead(p.text), p.stance)
        for n, p in enumerate(chosen)
    ]


def lead(body: str) -> str:
    """The first ``LEAD_WORDS`` words of an article body."""
    return " ".join(re.sub(r"\s+", " ", body).strip().split(" ")[:LEAD_WORDS])
