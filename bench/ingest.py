"""Ingest benchmark: feed bytes -> parse -> dedup -> match -> stance -> diff -> store.

    python -m bench.ingest [--size STORIES] [--topics 10,100,1000] [--profile T] [--json FILE]

The synthetic feeds (bench.synthetic) go through the real ``Pipeline.ingest`` into a real SQLite
file, once per topic count. Stories per second are compared with feedparser alone parsing the same
bytes in the same run, and the time is split by stage (timed where the pipeline calls each one)
so that the figure says what limits it.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import feedparser

import watcher.pipeline
import watcher.placement.place
from bench.common import arguments, describe_machine, machine, print_table, verdict, write_json
from bench.synthetic import Corpus, Feed, build_feeds, build_topics, load_corpus
from watcher.config import Config, config_from_dict
from watcher.models import FetchResult, Story
from watcher.parse import parse_feed
from watcher.pipeline import Pipeline
from watcher.store import Store

DEFAULT_TOPICS = (10, 100, 1_000)
TARGET_RATE = 1_000.0  # stories/s end to end at 100 topics
TARGET_GROWTH = 2.0  # 1,000 topics no more than this many times slower than 10


def fetched(feed: Feed) -> FetchResult:
    """The fetch stage's result for a synthetic feed, as if just downloaded."""
    return FetchResult(
        url=feed.url,
        final_url=feed.url,
        status=200,
        body=feed.body,
        headers={"content-type": "application/xml; charset=utf-8"},
    )


def time_feedparser(feeds: Sequence[Feed]) -> dict[str, float]:
    """feedparser alone over the feeds' bytes: the reference every rate is compared with."""
    started = time.perf_counter()
    entries = sum(len(feedparser.parse(feed.body).entries) for feed in feeds)
    seconds = time.perf_counter() - started
    megabytes = sum(len(feed.body) for feed in feeds) / 1e6
    return {
        "entries": entries,
        "seconds": seconds,
        "entries_per_s": entries / seconds,
        "mb_per_s": megabytes / seconds,
    }


def time_parse(results: Sequence[FetchResult]) -> tuple[list[Story], float]:
    """watcher's parse stage alone: the stories and the seconds it took."""
    started = time.perf_counter()
    stories = [story for result in results for story in parse_feed(result).stories]
    return stories, time.perf_counter() - started


def ingest_config(topics: list[dict[str, Any]], workdir: Path) -> Config:
    """A config with these topics; alerts are queued to a file channel (nothing is sent)."""
    raw = {
        "topics": topics,
        "alerts": {"channels": [{"type": "jsonl", "path": str(workdir / "alerts.jsonl")}]},
    }
    return config_from_dict(raw, source="bench")


class StageClock:
    """Times the pipeline's stages inside one real run, by wrapping the functions it calls.

    Parse, match, stance and diff are timed where ``watcher.pipeline`` calls them; the rest of the
    run (dedup keys, SQLite, the outbox) is the store's share.
    """

    STAGES = ("parse", "match", "stance", "diff")

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(self.STAGES, 0.0)

    def timed(self, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function``, adding the time of each call to ``stage``."""

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - started

        return wrapper

    @contextmanager
    def watching(self, pipeline: Pipeline) -> Iterator[None]:
        """Time ``pipeline``'s stages during the ``with`` block."""
        stages = (
            ("parse", watcher.pipeline, "parse_feed"),
            ("stance", watcher.pipeline, "actor_positions"),
            ("diff", watcher.placement.place, "decide_shift"),
        )
        originals = [(module, name, getattr(module, name)) for _, module, name in stages]
        matcher_match = pipeline.matcher.match
        try:
            for (stage, module, name), (_, _, function) in zip(stages, originals, strict=True):
                setattr(module, name, self.timed(stage, function))
            pipeline.matcher.match = self.timed("match", matcher_match)  # type: ignore[method-assign]
            yield
        finally:
            for module, name, function in originals:
                setattr(module, name, function)
            del pipeline.matcher.match


def run_topics(
    corpus: Corpus,
    count: int,
    results: Sequence[FetchResult],
    workdir: Path,
    profile: bool = False,
    synchronous: str | None = None,
) -> dict[str, Any]:
    """Ingest every feed with ``count`` topics into a new database; time it and its stages.

    ``synchronous`` overrides the store's SQLite synchronous mode (an experiment, not a setting).
    """
    config = ingest_config(build_topics(corpus, count), workdir)
    path = workdir / f"ingest-{count}.db"
    clock = StageClock()
    with Store(path) as store:
        if synchronous:
            store.db.execute(f"PRAGMA synchronous = {synchronous}")
        pipeline = Pipeline(config, store)
        profiler = cProfile.Profile() if profile else None
        with clock.watching(pipeline):
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            report = pipeline.ingest(results)
            if profiler:
                profiler.disable()
            seconds = time.perf_counter() - started
        matches = store.db.execute("SELECT COUNT(*) FROM story_topics").fetchone()[0]
    if profiler:
        print(f"\nprofile of the ingest with {count} topics (top 25 by own time):")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(25)
    entries = report.new_stories + report.duplicates
    per_story = 1000 / entries
    stages = {f"{stage}_ms": spent * per_story for stage, spent in clock.seconds.items()}
    store_ms = seconds * per_story - sum(stages.values())
    return {
        "topics": count,
        "stories": entries,
        "seconds": seconds,
        "stories_per_s": entries / seconds,
        "matches_per_story": matches / report.new_stories,
        "positions": report.positions,
        "shifts": len(report.shift_ids),
        **stages,
        "store_ms": store_ms,
        "db_kb_per_story": path.stat().st_size / 1024 / report.new_stories,
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print its figures and return them."""
    parser = arguments(__doc__.splitlines()[0], 3_000, "stories to ingest")
    parser.add_argument(
        "--topics",
        default=",".join(map(str, DEFAULT_TOPICS)),
        help="comma-separated topic counts (default 10,100,1000)",
    )
    parser.add_argument("--profile", type=int, metavar="T", help="cProfile the run with T topics")
    parser.add_argument(
        "--synchronous",
        choices=("normal", "full"),
        help="override the store's SQLite synchronous mode, to measure what it costs",
    )
    args = parser.parse_args(argv)
    topic_counts = [int(x) for x in args.topics.split(",")]

    corpus = load_corpus()
    feeds = build_feeds(corpus, args.size)
    results = [fetched(feed) for feed in feeds]
    megabytes = sum(len(feed.body) for feed in feeds) / 1e6
    print(f"ingest: {args.size:,} stories in {len(feeds)} feeds ({megabytes:.1f} MB) from")
    print(f"  {corpus.source}; {describe_machine(machine())}")
    if args.synchronous:
        print(f"  experiment: SQLite synchronous = {args.synchronous.upper()}")

    reference = time_feedparser(feeds)
    stories, parse_seconds = time_parse(results)
    print(
        f"feedparser alone: {reference['entries_per_s']:,.0f} entries/s "
        f"({reference['mb_per_s']:.1f} MB/s); watcher's parse stage: "
        f"{len(stories) / parse_seconds:,.0f} stories/s "
        f"({reference['seconds'] / parse_seconds:.2f}x feedparser)"
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="watcher-bench-") as workdir:
        for count in topic_counts:
            row = run_topics(
                corpus,
                count,
                results,
                Path(workdir),
                profile=count == args.profile,
                synchronous=args.synchronous,
            )
            row["x_feedparser"] = row["stories_per_s"] / reference["entries_per_s"]
            rows.append(row)
    print_table(
        "end to end, with the ms per story each stage took in the same run "
        "(x_feedparser: stories/s over feedparser's entries/s)",
        rows,
    )
    figures = {
        "machine": machine(),
        "corpus": corpus.source,
        "feeds": len(feeds),
        "megabytes": megabytes,
        "synchronous": args.synchronous,
        "feedparser": reference,
        "parse_stories_per_s": len(stories) / parse_seconds,
        "runs": rows,
    }
    _print_targets(rows)
    write_json(args.json, figures)
    return figures


def _print_targets(rows: list[dict[str, Any]]) -> None:
    by_count = {row["topics"]: row for row in rows}
    print()
    if 100 in by_count:
        rate = by_count[100]["stories_per_s"]
        print(verdict(rate >= TARGET_RATE, f"{rate:,.0f} stories/s with 100 topics (target 1,000)"))
    if 10 in by_count and 1_000 in by_count:
        growth = by_count[1_000]["seconds"] / by_count[10]["seconds"]
        matching = by_count[1_000]["match_ms"] / by_count[10]["match_ms"]
        print(
            verdict(
                growth <= TARGET_GROWTH,
                f"1,000 topics take {growth:.2f}x the time of 10 end to end (target <= 2x); "
                f"matching alone {matching:.2f}x",
            )
        )


if __name__ == "__main__":
    main()
