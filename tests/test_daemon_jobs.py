"""The daemon's jobs in-process, for the paths a subprocess cannot easily reach."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.events import (
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from feedserver import FeedServer
from rss import Item, rss

from watcher.config import config_from_dict
from watcher.daemon.scheduler import Daemon, feed_job_id
from watcher.store import Store

FIRST = Item("a1", "Story", "Text.", "Wed, 11 Jun 2025 18:20:00 GMT")
FEED = rss("Wire", [FIRST])
UPDATED = rss("Wire", [Item("a2", "Later", "More.", "Wed, 11 Jun 2025 19:20:00 GMT"), FIRST])


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as feed_server:
        feed_server.set("/feed.xml", FEED, etag='"v1"')
        yield feed_server


def make_daemon(tmp_path: Path, store: Store, url: str) -> Daemon:
    raw = {
        "fetch": {"default_interval": 600, "jitter": 0, "timeout": 5},
        "daemon": {"misfire_grace": 1},
        "feeds": [{"url": url}],
    }
    return Daemon(tmp_path / "watcher.toml", config_from_dict(raw, "test"), store, rand=lambda: 0.5)


def run(daemon: Daemon, body) -> None:
    """Start the daemon's jobs, run ``body``, stop it cleanly (no signal involved)."""

    async def main() -> None:
        daemon._start()
        try:
            await body()
        finally:
            await daemon._shutdown()

    asyncio.run(main())


def test_a_poll_that_fails_inside_keeps_its_feed_scheduled_and_loses_nothing(
    tmp_path: Path, store: Store, server: FeedServer
) -> None:
    url = server.url("/feed.xml")
    daemon = make_daemon(tmp_path, store, url)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in a stage")

    async def body() -> None:
        await daemon._poll_job(url)  # a normal poll first: validators stored
        assert store.feeds.state(url).etag == '"v1"'
        server.set("/feed.xml", UPDATED, etag='"v2"')
        daemon.pipeline.record_all = broken
        before = datetime.now(UTC)
        await daemon._poll_job(url)
        job = daemon.scheduler.get_job(feed_job_id(url))
        assert job.next_run_time is not None  # not left paused
        assert before + timedelta(seconds=599) <= job.next_run_time
        assert job.next_run_time <= datetime.now(UTC) + timedelta(seconds=601)
        assert store.feeds.get(url)["next_poll_reason"] == "retry after an internal error"
        assert store.feeds.state(url).etag == '"v1"'  # the failed read is not taken as read
        del daemon.pipeline.record_all  # fixed: the retry records the new story
        await daemon._poll_job(url)

    run(daemon, body)
    assert store.stories.count() == 2
    assert store.feeds.state(url).etag == '"v2"'


def test_a_missed_poll_moves_within_one_interval(
    tmp_path: Path, store: Store, server: FeedServer
) -> None:
    url = server.url("/feed.xml")
    daemon = make_daemon(tmp_path, store, url)

    async def body() -> None:
        late = datetime.now(UTC) - timedelta(minutes=30)
        daemon._on_missed(JobExecutionEvent(EVENT_JOB_MISSED, feed_job_id(url), "default", late))
        job = daemon.scheduler.get_job(feed_job_id(url))
        wait = (job.next_run_time - datetime.now(UTC)).total_seconds()
        assert 290 <= wait <= 300  # rand 0.5 of a 600 s interval

    run(daemon, body)
    assert store.feeds.get(url)["next_poll_reason"] == "late (sleep or stall): spread out"


def test_a_run_skipped_while_the_last_one_wound_up_is_not_lost(
    tmp_path: Path, store: Store, server: FeedServer
) -> None:
    """If the loop stalls right at the end of a poll, the scheduler may find the next run due
    before it counted the last one finished, and skip it: the daemon re-plans it."""
    url = server.url("/feed.xml")
    daemon = make_daemon(tmp_path, store, url)
    job_id = feed_job_id(url)

    async def body() -> None:
        now = datetime.now(UTC)
        daemon._on_skipped(JobSubmissionEvent(EVENT_JOB_MAX_INSTANCES, job_id, "default", [now]))
        soon = daemon.scheduler.get_job(job_id).next_run_time
        assert 0.5 <= (soon - now).total_seconds() <= 1.5  # just late: again in a second
        long_ago = [now - timedelta(minutes=30)]
        daemon._on_skipped(JobSubmissionEvent(EVENT_JOB_MAX_INSTANCES, job_id, "default", long_ago))
        spread = daemon.scheduler.get_job(job_id).next_run_time
        assert 290 <= (spread - now).total_seconds() <= 301  # very late: spread like a misfire

    run(daemon, body)
