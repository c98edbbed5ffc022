"""Polling benchmark: K feeds on loopback, fetched by the real fetch stage, two rounds.

    python -m bench.polling [--size K] [--concurrency N] [--json FILE]

For K = 100, 1,000 ... up to ``--size``, a feed farm (bench.farm, its own process) serves K
synthetic feeds from 50 loopback addresses; ``watcher.fetch.fetch_all`` fetches them all with the
configured ``[fetch]`` limits (default: 8 at once, 2 per host), then again with the validators the
first round returned, when half the feeds answer 304. Each round reports wall time, requests per
second and the client's peak resident memory. Two ways of holding the results are measured:
``fetch_all`` keeps every body until the round ends (as ``watcher poll`` does before it parses),
while the daemon hands each feed to the pipeline as soon as it arrives (``FetchLimits.fetch`` per
feed), so only the bodies in flight are held.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from bench.common import (
    arguments,
    describe_machine,
    machine,
    print_table,
    reset_peak_rss,
    status_mb,
    verdict,
    write_json,
)
from bench.farm import farm_stats, running_farm
from watcher.config import FetchSettings
from watcher.fetch import FetchLimits, fetch_all, make_client
from watcher.models import FeedState, FetchResult

TARGET_SECONDS = 60.0  # for a round of 10,000 feeds
TARGET_MB = 300.0
HOSTS = 50


def next_states(results: Sequence[FetchResult]) -> list[FeedState]:
    """What the store would remember after a round: the validators and the body's hash."""
    return [
        FeedState(r.url, etag=r.etag, last_modified=r.last_modified, body_hash=r.body_hash)
        for r in results
    ]


async def round_streaming(states: list[FeedState], settings: FetchSettings) -> list[FetchResult]:
    """One round as the daemon fetches: each body is let go once it is handed on."""
    limits = FetchLimits(settings)

    async def fetch_one(client: Any, state: FeedState) -> FetchResult:
        result = await limits.fetch(client, state)
        return FetchResult(  # the pipeline would parse the body here; only the outcome stays
            url=result.url,
            final_url=result.final_url,
            status=result.status,
            body=b"" if result.body is not None else None,
            etag=result.etag,
            last_modified=result.last_modified,
            body_hash=result.body_hash,
            error=result.error,
        )

    async with make_client(settings) as client:
        return list(await asyncio.gather(*(fetch_one(client, s) for s in states)))


def measure(
    mode: str, states: list[FeedState], settings: FetchSettings, farm_stats: Any
) -> tuple[dict[str, Any], list[FetchResult]]:
    """Run one round; its figures and its results."""
    gc.collect()
    reset_peak_rss()
    before = status_mb("VmRSS")
    requests_before = farm_stats()["requests"]
    # fetch_all is how ``watcher poll`` fetches: every result, body included, until the end.
    fetch = fetch_all if mode == "fetch_all" else round_streaming
    started = time.perf_counter()
    results = asyncio.run(fetch(states, settings))
    seconds = time.perf_counter() - started
    served = farm_stats()["requests"] - requests_before
    figures = {
        "feeds": len(states),
        "seconds": seconds,
        "requests_per_s": served / seconds,
        "new": sum(1 for r in results if r.body is not None),
        "unchanged": sum(1 for r in results if r.unchanged),
        "failed": sum(1 for r in results if not r.ok),
        "rss_before_mb": before,
        "peak_rss_mb": status_mb("VmHWM"),
    }
    return figures, results


def run_size(feeds: int, settings: FetchSettings) -> list[dict[str, Any]]:
    """Both rounds, both ways of holding results, for ``feeds`` feeds.

    Each way runs in a fresh process: memory a round has freed stays in the process (the
    allocator keeps it), and would hide the next round's own peak.
    """
    rows = []
    spawn = multiprocessing.get_context("spawn")
    with running_farm(feeds, hosts=HOSTS) as farm:
        for mode in ("fetch_all", "streaming"):
            with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as child:
                rows += child.submit(two_rounds, mode, farm.urls, farm.stats_url, settings).result()
    return rows


def two_rounds(
    mode: str, urls: list[str], stats_url: str, settings: FetchSettings
) -> list[dict[str, Any]]:
    """The first round, and the second with the validators the first returned."""
    rows = []
    states = [FeedState(url) for url in urls]
    for number in (1, 2):
        figures, results = measure(mode, states, settings, lambda: farm_stats(stats_url))
        failures = [r.error for r in results if r.error][:3]
        if failures:
            print(f"  {mode} round {number}: failures such as {failures}")
        states = next_states(results)
        del results
        rows.append({"mode": mode, "round": number, **figures})
    return rows


def sizes_up_to(largest: int) -> list[int]:
    """100, 1,000, 10,000 ... up to ``largest`` (and ``largest`` itself)."""
    sizes = [size for size in (100, 1_000, 10_000, 100_000) if size < largest]
    return [*sizes, largest]


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print its figures and return them."""
    parser = arguments(__doc__.splitlines()[0], 10_000, "the largest number of feeds")
    parser.add_argument("--concurrency", type=int, help="[fetch] concurrency (default 8)")
    args = parser.parse_args(argv)
    settings = FetchSettings()
    if args.concurrency:
        settings = settings.model_copy(update={"concurrency": args.concurrency})
    print(
        f"polling: feeds on {HOSTS} loopback hosts, concurrency {settings.concurrency} "
        f"({settings.per_host_concurrency} per host)\n  {describe_machine(machine())}"
    )
    rows = []
    for feeds in sizes_up_to(args.size):
        rows += run_size(feeds, settings)
    print_table("rounds (round 2: half the feeds answer 304)", rows)
    figures = {"machine": machine(), "concurrency": settings.concurrency, "rounds": rows}
    print()
    for row in rows:
        if row["feeds"] >= 10_000 and row["mode"] == "fetch_all":
            seconds, peak = row["seconds"], row["peak_rss_mb"]
            print(
                verdict(
                    seconds < TARGET_SECONDS and (peak or 0) < TARGET_MB,
                    f"round {row['round']} of {row['feeds']:,} feeds: {seconds:.1f} s "
                    f"(target < 60), peak {peak:.0f} MB (target < 300)",
                )
            )
    write_json(args.json, figures)
    return figures


if __name__ == "__main__":
    main()
