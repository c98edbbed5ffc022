"""Soak benchmark: the daemon polling a local feed farm for a fixed number of rounds.

    python -m bench.soak [--size ROUNDS] [--feeds K] [--interval SECONDS] [--json FILE]

``watcher run`` runs as a subprocess, as in production, with 100 synthetic topics and K feeds of
a feed farm (bench.farm, rolling mode: every poll of a feed brings five new stories). The
benchmark follows the farm's request count; each time every feed has been polled once more, it
reads the daemon's resident memory from /proc. After the last round it stops the daemon with
SIGTERM and reads the database: stories stored and bytes per 1,000 stories.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import (
    arguments,
    describe_machine,
    machine,
    print_table,
    status_mb,
    verdict,
    write_json,
)
from bench.farm import RunningFarm, running_farm
from bench.synthetic import build_topics, load_corpus

TOPICS = 100
NOISE_MB = 5.0  # RSS moves this much between samples for reasons that are not growth
NOISE_SHARE = 0.05


def write_config(path: Path, urls: list[str], interval: float, workdir: Path) -> None:
    """A watcher.toml with the farm's feeds and synthetic topics (JSON strings are TOML's)."""
    lines = [
        "[fetch]",
        f'default_interval = "{interval:g}s"',
        "jitter = 0.0",
        "[daemon]",
        'dispatch_interval = "5s"',
        "[[alerts.channels]]",
        'type = "jsonl"',
        f"path = {json.dumps(str(workdir / 'alerts.jsonl'))}",
    ]
    for url in urls:
        lines += ["[[feeds]]", f"url = {json.dumps(url)}"]
    for topic in build_topics(load_corpus(), TOPICS):
        lines += [
            "[[topics]]",
            f"id = {json.dumps(topic['id'])}",
            f"claim = {json.dumps(topic['claim'])}",
            f"terms = {json.dumps(topic['terms'])}",
        ]
        for actor in topic["actors"]:
            lines += [
                "  [[topics.actors]]",
                f"  id = {json.dumps(actor['id'])}",
                f"  name = {json.dumps(actor['name'])}",
                f"  aliases = {json.dumps(actor['aliases'])}",
            ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def database_figures(path: Path) -> dict[str, Any]:
    """Stories stored and the database's size on disk (with its WAL, if one is left)."""
    size = sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            stories = db.execute("SELECT COUNT(*) FROM stories").fetchone()[0]
            positions = db.execute("SELECT COUNT(*) FROM positions").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet: the daemon is still starting
        stories = positions = 0
    return {"stories": stories, "positions": positions, "db_mb": size / 1e6}


def follow(
    daemon: subprocess.Popen[bytes],
    farm: RunningFarm,
    rounds: int,
    database: Path,
    deadline: float,
) -> list[dict[str, Any]]:
    """Sample the daemon's memory after each round until ``rounds`` rounds are done."""
    feeds = len(farm.urls)
    samples = []
    done = 0
    while done < rounds:
        if daemon.poll() is not None:
            raise RuntimeError(f"the daemon exited early with code {daemon.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {done} of {rounds} rounds before the deadline")
        requests = farm.stats()["requests"]
        if requests >= feeds * (done + 1):
            done = requests // feeds
            stories = database_figures(database)["stories"]
            samples.append({"round": done, "stories": stories, "rss_mb": _rss(daemon)})
        time.sleep(0.2)
    return samples


def _rss(process: subprocess.Popen[bytes]) -> float | None:
    return status_mb("VmRSS", process.pid)


def soak(rounds: int, feeds: int, interval: float, workdir: Path) -> dict[str, Any]:
    """Run the daemon for ``rounds`` rounds; its memory over time and the database's size."""
    config, database, log = workdir / "watcher.toml", workdir / "watcher.db", workdir / "run.log"
    with running_farm(feeds, hosts=min(feeds, 10), mode="rolling") as farm:
        write_config(config, farm.urls, interval, workdir)
        command = [sys.executable, "-m", "watcher", "-c", str(config), "--db", str(database)]
        with log.open("wb") as stderr:
            daemon = subprocess.Popen([*command, "run"], stderr=stderr, stdout=subprocess.DEVNULL)
            started = time.monotonic()
            try:
                deadline = started + rounds * interval * 4 + 60
                samples = follow(daemon, farm, rounds, database, deadline)
                seconds = time.monotonic() - started
            except RuntimeError as exc:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{exc}; the daemon's log ends:\n{tail}") from None
            finally:
                daemon.send_signal(signal.SIGTERM)
                exit_code = daemon.wait(timeout=60)
    return {
        "rounds": rounds,
        "feeds": feeds,
        "interval_s": interval,
        "seconds": seconds,
        "exit_code": exit_code,
        "samples": samples,
        **database_figures(database),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print its figures and return them."""
    parser = arguments(__doc__.splitlines()[0], 80, "rounds (every feed polled once a round)")
    parser.add_argument("--feeds", type=int, default=50, help="feeds polled (default 50)")
    parser.add_argument("--interval", type=float, default=1.5, help="seconds between polls")
    args = parser.parse_args(argv)
    print(
        f"soak: `watcher run` with {args.feeds} feeds every {args.interval:g} s and {TOPICS} "
        f"topics, {args.size} rounds\n  {describe_machine(machine())}"
    )
    with tempfile.TemporaryDirectory(prefix="watcher-soak-") as workdir:
        figures = soak(args.size, args.feeds, args.interval, Path(workdir))
    samples = figures["samples"]
    shown = samples if len(samples) <= 12 else samples[:: max(1, len(samples) // 10)] + samples[-1:]
    print_table("the daemon's resident memory after each round", shown)
    # Growth over the second half: the first holds start-up and the stance engine's bounded
    # caches filling (they are full after some 10,000 stories).
    first, warm, end = samples[0], samples[len(samples) // 2], samples[-1]
    growth = (end["rss_mb"] or 0) - (warm["rss_mb"] or 0)
    per_thousand = figures["db_mb"] / max(1, figures["stories"]) * 1000
    figures |= {"warm_rss_mb": warm["rss_mb"], "end_rss_mb": end["rss_mb"], "growth_mb": growth}
    figures["db_mb_per_1000_stories"] = per_thousand
    print(
        f"\n{figures['stories']:,} stories and {figures['positions']:,} positions stored in "
        f"{figures['seconds']:.0f} s; database {figures['db_mb']:.1f} MB = "
        f"{per_thousand:.2f} MB per 1,000 stories; daemon exit code {figures['exit_code']}"
    )
    limit = max(NOISE_MB, NOISE_SHARE * (warm["rss_mb"] or 0))
    print(
        verdict(
            growth <= limit,
            f"RSS {first['rss_mb']:.0f} MB after round {first['round']}, {warm['rss_mb']:.0f} MB "
            f"after round {warm['round']}, {end['rss_mb']:.0f} MB after round {end['round']}: "
            f"{growth:+.1f} MB over the second half (noise: {limit:.0f} MB)",
        )
    )
    write_json(args.json, {"machine": machine(), **figures})
    return figures


if __name__ == "__main__":
    main()
