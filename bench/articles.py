"""Article benchmark: reading the pages behind summary-only entries, and what it costs at scale.

    python -m bench.articles [--size ARTICLES] [--topics 10,100,1000] [--json FILE]

Three figures. **Extraction**: trafilatura alone on the synthetic article pages (about 100 KB of
HTML each: navigation, cookie banner, related-stories box, footer, inline scripts and styles
around the article), one thread: the CPU cost per page. **Reading**: a feed farm (bench.farm, its
own process) serves the pages from 50 loopback hosts, and the real ``ArticleReader`` reads
``--size`` of them with the default ``[fetch]`` limits (8 at once, 2 per host) and no host delay,
robots.txt included: articles per second and the reader's peak memory. **Relevance**: the share
of the synthetic summary-only entries whose title or summary names a topic (``[articles]
relevant_only``), for 10, 100 and 1,000 topics: the share of short entries watcher reads by default.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bench.common import (
    arguments,
    describe_machine,
    machine,
    print_table,
    reset_peak_rss,
    status_mb,
    write_json,
)
from bench.farm import POOL, running_farm
from bench.synthetic import article_page, build_topics, items, load_corpus
from watcher.article import ArticleReader, Relevance
from watcher.article.extract import decode_page, extract_article
from watcher.config import ArticleSettings, FetchSettings, TopicSettings
from watcher.fetch import make_client
from watcher.match import TopicMatcher
from watcher.models import Story

HOSTS = 50
EXTRACTED_PAGES = 100


def extraction(pages: list[bytes]) -> dict[str, Any]:
    """trafilatura alone, one page after another on one thread."""
    started = time.perf_counter()
    characters = sum(len(extract_article(decode_page(p, "utf-8"), "http://x/").text) for p in pages)
    seconds = time.perf_counter() - started
    return {
        "pages": len(pages),
        "page_kb": sum(map(len, pages)) / len(pages) / 1000,
        "ms_per_page": seconds / len(pages) * 1000,
        "pages_per_s": len(pages) / seconds,
        "text_chars": characters / len(pages),
    }


async def _read(urls: list[str]) -> list[Story]:
    stories = [
        Story(id=str(n), feed_url="bench", title=f"Story {n}", text="A summary.", link=url)
        for n, url in enumerate(urls)
    ]
    fetch = FetchSettings()
    reader = ArticleReader(ArticleSettings(host_delay=0), fetch)
    async with make_client(fetch) as client:
        return await reader.read_all(client, stories)


def reading(size: int) -> dict[str, Any]:
    """The real reader over ``size`` pages from the farm."""
    with running_farm(feeds=HOSTS, hosts=HOSTS) as farm:
        origins = sorted({url.rsplit("/feeds/", 1)[0] for url in farm.urls})
        urls = [f"{origins[n % len(origins)]}/articles/{n % POOL}.html" for n in range(size)]
        asyncio.run(_read(urls[:HOSTS]))  # the farm builds its pages on first use
        gc.collect()
        reset_peak_rss()
        before = status_mb("VmRSS")
        started = time.perf_counter()
        read = asyncio.run(_read(urls))
        seconds = time.perf_counter() - started
    failures = [s.article_error for s in read if s.article_error]
    return {
        "articles": size,
        "seconds": seconds,
        "articles_per_s": size / seconds,
        "failed": len(failures),
        "rss_before_mb": before,
        "peak_rss_mb": status_mb("VmHWM"),
        "example_failure": failures[0] if failures else "",
    }


def relevance(corpus: Any, entries: int, topic_counts: list[int]) -> list[dict[str, Any]]:
    """The share of summary-only entries ``relevant_only`` reads, for each topic count."""
    stories = [
        Story(id=i.guid, feed_url="bench", title=i.title, text=i.summary, link=i.link)
        for i in items(corpus, entries)
    ]
    rows = []
    for count in topic_counts:
        topics = [TopicSettings(**raw).to_topic() for raw in build_topics(corpus, count)]
        relevant = Relevance(topics, TopicMatcher(topics))
        share = {  # percentages of the entries
            "terms_pct": 100 * sum(map(relevant.matches_terms, stories)) / len(stories),
            "actors_pct": 100 * sum(map(relevant.names_actor, stories)) / len(stories),
            "read_pct": 100 * sum(map(relevant, stories)) / len(stories),
        }
        rows.append({"topics": count, "entries": len(stories), **share})
    return rows


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print its figures and return them."""
    parser = arguments(__doc__.splitlines()[0], 2_000, "articles read from the farm")
    parser.add_argument("--topics", default="10,100,1000", help="topic counts for the share read")
    args = parser.parse_args(argv)
    corpus = load_corpus()
    print(f"articles: {corpus.source}\n  {describe_machine(machine())}")
    sample = items(corpus, min(EXTRACTED_PAGES, args.size), duplicate_share=0.0)
    pages = [article_page(item, sample[:10]) for item in sample]
    extracted = extraction(pages)
    print_table("extraction (trafilatura, one thread)", [extracted])
    read = reading(args.size)
    print_table(f"reading from {HOSTS} loopback hosts (8 at once, 2 per host)", [read])
    shares = relevance(corpus, args.size, [int(n) for n in args.topics.split(",")])
    print_table("share of summary-only entries read with relevant_only", shares)
    figures = {
        "machine": machine(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "extraction": extracted,
        "reading": read,
        "relevance": shares,
    }
    write_json(args.json, figures)
    return figures


if __name__ == "__main__":
    main()
