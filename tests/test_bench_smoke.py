"""The benchmark scripts in bench/, run at a tiny size so that they do not rot (not timed tests).

Each runs as ``make bench`` runs it, in its own process, and must finish and write figures that
make sense; how fast they are is for docs/benchmarks.md, not for a test on a shared machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def run_bench(name: str, tmp_path: Path, *options: str) -> tuple[dict[str, Any], str]:
    """Run ``python -m bench.NAME`` with ``options``; its JSON figures and its printout."""
    figures = tmp_path / f"{name}.json"
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", *options, "--json", str(figures)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(figures.read_text()), done.stdout


def test_ingest_runs_every_stage_for_each_topic_count(tmp_path: Path) -> None:
    figures, printed = run_bench("ingest", tmp_path, "--size", "60", "--topics", "3,20")
    runs = {run["topics"]: run for run in figures["runs"]}
    assert set(runs) == {3, 20}
    assert all(run["stories"] == 60 and run["stories_per_s"] > 0 for run in runs.values())
    assert figures["feedparser"]["entries"] == 60 and figures["parse_stories_per_s"] > 0
    assert runs[20]["matches_per_story"] >= runs[3]["matches_per_story"]
    assert runs[20]["db_kb_per_story"] > 0
    assert "stories_per_s" in printed and "x_feedparser" in printed


def test_polling_fetches_two_rounds_with_half_unchanged(tmp_path: Path) -> None:
    figures, printed = run_bench("polling", tmp_path, "--size", "20")
    rounds = {(row["mode"], row["round"]): row for row in figures["rounds"]}
    assert set(rounds) == {(m, r) for m in ("fetch_all", "streaming") for r in (1, 2)}
    for mode in ("fetch_all", "streaming"):
        first, second = rounds[mode, 1], rounds[mode, 2]
        assert (first["new"], first["unchanged"], first["failed"]) == (20, 0, 0)
        assert (second["new"], second["unchanged"], second["failed"]) == (10, 10, 0)
        assert first["requests_per_s"] > 0 and first["peak_rss_mb"] > 0
    assert "requests_per_s" in printed


def test_soak_runs_the_daemon_and_measures_it(tmp_path: Path) -> None:
    figures, printed = run_bench(
        "soak", tmp_path, "--size", "2", "--feeds", "3", "--interval", "0.5"
    )
    assert figures["exit_code"] == 0  # stopped cleanly by SIGTERM
    assert [s["round"] for s in figures["samples"]][-1] >= 2
    assert figures["end_rss_mb"] > 10 and figures["stories"] >= 3 * 20
    assert figures["db_mb_per_1000_stories"] > 0
    assert "per 1,000 stories" in printed


def test_articles_reads_pages_from_the_farm_and_measures_the_share_read(tmp_path: Path) -> None:
    figures, printed = run_bench("articles", tmp_path, "--size", "20", "--topics", "3,20")
    assert figures["extraction"]["pages"] == 20 and figures["extraction"]["pages_per_s"] > 0
    assert figures["extraction"]["text_chars"] > 200  # the article's text, not the page's noise
    reading = figures["reading"]
    assert reading["articles"] == 20 and reading["articles_per_s"] > 0
    assert reading["failed"] < 20 and reading["peak_rss_mb"] > 0
    shares = {row["topics"]: row["read_pct"] for row in figures["relevance"]}
    assert set(shares) == {3, 20} and 0 <= shares[3] <= shares[20] <= 100
    assert "articles_per_s" in printed
