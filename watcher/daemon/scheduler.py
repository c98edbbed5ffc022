"""The daemon: one apscheduler job per feed, the alert dispatcher and the heartbeat, on one loop.

Every job is a coroutine on one asyncio event loop (``AsyncIOScheduler``); the loop's SQLite
connection is only used from the loop's thread. Work that takes long runs elsewhere, each with a
connection of its own: the dispatcher, whose sends block, in a worker thread, and parsing and
recording, which can take seconds for a large feed, in the ingest threads
(:mod:`watcher.daemon.ingest`), so fetches, heartbeats and signals keep their timing. Each feed
job fetches its feed (within the shared overall and per-host limits), hands the result to an
ingest thread (stories committed in batches), then decides its own next run with
:mod:`watcher.daemon.schedule` and records it. The process keeps no per-story
state: every poll reads what it needs from the store, so memory does not grow with the stories
it has seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import sqlite3
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from apscheduler.events import (
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.interval import IntervalTrigger

from watcher import preflight, redact
from watcher.alert.dispatch import DispatchReport, dispatch_due
from watcher.config import Config, ConfigError, FeedSettings, load_config
from watcher.daemon import heartbeat, signals
from watcher.daemon.heartbeat import Heartbeat
from watcher.daemon.ingest import IngestWorkers
from watcher.daemon.lock import single_instance
from watcher.daemon.schedule import (
    NextPoll,
    Politeness,
    PollOutcome,
    after_poll,
    catch_up,
    first_poll,
    format_duration,
)
from watcher.fetch import FetchLimits, describe_error, make_client, redact_url
from watcher.metrics import Metrics, start_metrics
from watcher.models import FetchResult, Story
from watcher.pipeline import Pipeline, PollReport
from watcher.store import Store
from watcher.timeutil import from_iso, to_iso

log = logging.getLogger(__name__)

FEED_JOB = "feed:"
DISPATCH_JOB = "dispatch"
HEARTBEAT_JOB = "heartbeat"
# Seconds shutdown waits for the ingest threads to finish their batch (one takes about 0.1 s).
INGEST_STOP_WAIT = 1.0


def feed_job_id(url: str) -> str:
    """The scheduler job id of a feed."""
    return FEED_JOB + url


def _now() -> datetime:
    return datetime.now(UTC)  # full precision: intervals in tests are a second or two


class Daemon:
    """``watcher run``: polls every feed on its own schedule until told to stop."""

    def __init__(
        self,
        config_path: Path,
        config: Config,
        store: Store,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.config_path = config_path
        self.config = config
        self.store = store
        self.rand = rand
        self.pipeline = Pipeline(config, store)
        self.feeds: dict[str, FeedSettings] = {}  # the feeds scheduled, by URL
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.limits = FetchLimits(config.fetch)
        self.client: httpx.AsyncClient = make_client(config.fetch)
        self.metrics: Metrics = start_metrics(config.daemon)
        # As many as fetches may be in flight, so a huge feed holds one and the rest go on.
        self.ingester = IngestWorkers(store.path, config.fetch.concurrency)
        self._beat: Heartbeat | None = None
        self._inflight: set[asyncio.Task[object]] = set()
        self._stopping = asyncio.Event()
        self._abandon = asyncio.Event()
        self._dispatching = False
        self._dispatch_requested = False

    # --- lifecycle ------------------------------------------------------------------------------

    async def run(self) -> None:
        """Start the jobs, serve signals, and shut down cleanly after SIGTERM or SIGINT."""
        loop = asyncio.get_running_loop()
        signals.install(loop, self.request_stop, self.reload)
        try:
            self._start()
            await self._stopping.wait()
        finally:
            try:
                await self._shutdown()
            finally:
                signals.uninstall(loop)  # only now: a second signal must reach _shutdown

    def request_stop(self, reason: str = "stop requested") -> None:
        """Stop taking new work; a second request abandons in-flight work at once."""
        if self._stopping.is_set():
            log.warning("%s again: abandoning in-flight work now", reason)
            self._abandon.set()
            return
        log.info("%s: stopping", reason)
        self._stopping.set()

    def _start(self) -> None:
        self.ingester.start()
        now = _now()
        self.store.feeds.sync(self.config.feeds)
        self.scheduler.add_listener(self._on_missed, EVENT_JOB_MISSED)
        self.scheduler.add_listener(self._on_skipped, EVENT_JOB_MAX_INSTANCES)
        self.scheduler.start()
        self._schedule_feeds(now)
        self._schedule_service_jobs(now, previous=None)
        self._beat = heartbeat.starting(now, self.config.daemon.stale_after, len(self.feeds))
        self._write_beat()
        log.info(
            "watcher daemon started: %d feeds scheduled, %d topics, database %s",
            len(self.feeds),
            len(self.pipeline.topics),
            self.store.path,
        )
        if not self.feeds:
            log.warning("no feeds to poll: add [[feeds]] to %s and send SIGHUP", self.config_path)

    async def _shutdown(self) -> None:
        """Finish or abandon in-flight work, then record the stop. The store stays consistent:
        every write is a transaction, and an abandoned poll wrote nothing yet."""
        if self.scheduler.running:
            self.scheduler.pause()  # no new job runs from here on
        busy = {task for task in self._inflight if not task.done()}
        if busy:
            grace = self.config.daemon.shutdown_grace
            log.info("waiting up to %s for %d jobs in flight", format_duration(grace), len(busy))
            everything = asyncio.gather(*busy, return_exceptions=True)
            abandon = asyncio.create_task(self._abandon.wait())
            await asyncio.wait(
                {everything, abandon}, timeout=grace, return_when=asyncio.FIRST_COMPLETED
            )
            abandon.cancel()
            for task in busy:
                task.cancel()  # a no-op for those already done
            await everything
        if not self.ingester.stop(INGEST_STOP_WAIT):
            log.info("ingest left unfinished; the rest of its feed is fetched again at the start")
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn
        if self._beat is not None:
            self._beat = self._beat.beat(_now(), state=heartbeat.STOPPED)
            self._write_beat()
        await self.client.aclose()
        self.metrics.close()
        log.info("watcher daemon stopped")

    # --- configuration ----------------------------------------------------------------------------

    def reload(self) -> None:
        """Re-read the config file: add, change and remove feeds and topics without a restart.

        A config that does not validate, fails ``watcher check``'s other checks or cannot be
        wired is rejected with a message, and the running one stays.
        """
        try:
            config = load_config(self.config_path)
            found = preflight.problems(config, str(self.config_path), self.store.path)
            if found:  # e.g. a new channel whose secret is not in the daemon's environment
                raise ConfigError("\n".join(found))
            pipeline = Pipeline(config, self.store)
        except ConfigError as exc:
            self._reject_reload(str(exc))
            return
        except Exception as exc:  # e.g. a channel that cannot be built: keep the old config
            self._reject_reload(describe_error(exc))
            return
        redact.protect(config)
        old = self.config
        if config.watcher.database != old.watcher.database:
            log.warning(
                "[watcher] database changed: the daemon uses %s until restarted", self.store.path
            )
        if (config.daemon.metrics_port, config.daemon.metrics_address) != (
            old.daemon.metrics_port,
            old.daemon.metrics_address,
        ):
            log.warning("[daemon] metrics settings changed: they take effect after a restart")
        self.config, self.pipeline = config, pipeline
        if config.fetch != old.fetch:
            self._replace_client()
        now = _now()
        before = set(self.feeds)
        self.store.feeds.sync(config.feeds)
        self._schedule_feeds(now)
        self._schedule_service_jobs(now, previous=old)
        added, removed = set(self.feeds) - before, before - set(self.feeds)
        log.info(
            "config reloaded: %d feeds scheduled (%d added, %d removed), %d topics",
            len(self.feeds),
            len(added),
            len(removed),
            len(pipeline.topics),
        )
        self._note_reload(None)

    def _reject_reload(self, problem: str) -> None:
        log.error("config reload rejected, the running config stays:\n%s", problem)
        self._note_reload(problem)

    def _note_reload(self, error: str | None) -> None:
        if self._beat is None:
            return
        changes: dict[str, object] = {"reload_error": error}
        if error is None:
            changes |= {
                "config_loaded_at": _now(),
                "stale_after": self.config.daemon.stale_after,
                "feeds": len(self.feeds),
            }
        self._beat = self._beat.beat(_now(), **changes)
        self._write_beat()

    def _replace_client(self) -> None:
        """New fetch settings: new client and limits; the old client closes once idle."""
        old_client, in_flight = self.client, {t for t in self._inflight if not t.done()}
        self.client = make_client(self.config.fetch)
        self.limits = FetchLimits(self.config.fetch)

        async def close_when_idle() -> None:
            await asyncio.gather(*in_flight, return_exceptions=True)
            await old_client.aclose()

        task = asyncio.get_running_loop().create_task(close_when_idle())
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    # --- scheduling -----------------------------------------------------------------------------

    def _active_feeds(self) -> dict[str, FeedSettings]:
        """Configured, enabled feeds that the server has not removed (410)."""
        gone = {row["url"] for row in self.store.feeds.all() if row["disabled_reason"]}
        return {f.url: f for f in self.config.feeds if f.enabled and f.url not in gone}

    def _schedule_feeds(self, now: datetime) -> None:
        """Give every active feed a job (continuing its stored schedule); drop the others' jobs."""
        active = self._active_feeds()
        for url in set(self.feeds) - set(active):
            self._remove_feed_job(url)
            self.store.feeds.schedule(url, None, None)
        for url, feed in active.items():
            if url in self.feeds:
                continue  # a changed interval applies from the feed's next poll on
            rules = Politeness.for_feed(feed, self.config.fetch)
            row = self.store.feeds.get(url)
            due = from_iso(row["next_poll_at"]) if row else None
            plan = first_poll(now, due, self.config.daemon.misfire_grace, rules, self.rand())
            self.store.feeds.schedule(url, plan.at, plan.reason)
            self.scheduler.add_job(
                self._poll_job,
                IntervalTrigger(seconds=rules.interval, timezone=UTC),
                args=[url],
                id=feed_job_id(url),
                name=f"poll {redact_url(url)}",
                next_run_time=plan.at,
                coalesce=True,  # missed runs collapse into one ...
                max_instances=1,
                misfire_grace_time=max(1, round(self.config.daemon.misfire_grace)),  # ... or move
                replace_existing=True,
            )
        self.feeds = active

    def _remove_feed_job(self, url: str) -> None:
        with contextlib.suppress(JobLookupError):  # already gone
            self.scheduler.remove_job(feed_job_id(url))

    def _schedule_service_jobs(self, now: datetime, previous: Config | None) -> None:
        """The dispatcher (first run at once: alerts queued while down) and the heartbeat."""
        settings, before = self.config.daemon, previous.daemon if previous else None
        if before is None or before.dispatch_interval != settings.dispatch_interval:
            self._add_service_job(DISPATCH_JOB, self._dispatch_job, settings.dispatch_interval, now)
        if before is None or before.heartbeat_interval != settings.heartbeat_interval:
            seconds = settings.heartbeat_interval
            first = now + timedelta(seconds=seconds)
            self._add_service_job(HEARTBEAT_JOB, self._heartbeat_job, seconds, first)

    def _add_service_job(
        self, job_id: str, func: Callable[[], Awaitable[None]], seconds: float, first: datetime
    ) -> None:
        self.scheduler.add_job(
            func,
            IntervalTrigger(seconds=seconds, timezone=UTC),
            id=job_id,
            name=job_id,
            next_run_time=first,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,  # late is fine: run once, now
            replace_existing=True,
        )

    def _apply(self, url: str, plan: NextPoll) -> None:
        """Record a feed's next poll and move its job there (or disable it for good)."""
        if url not in self.feeds:
            return  # removed by a reload meanwhile
        if plan.disabled:
            self.store.feeds.disable(url, plan.reason)
            del self.feeds[url]
            self._remove_feed_job(url)
            log.warning(
                "feed %s disabled: %s. It will not be polled again; remove it from the config",
                redact_url(url),
                plan.reason,
            )
            return
        assert plan.at is not None
        # The job first: whatever happens to the database write, the feed stays scheduled.
        if self.scheduler.state == STATE_RUNNING:  # not paused for shutdown
            with contextlib.suppress(JobLookupError):  # removed meanwhile
                self.scheduler.modify_job(feed_job_id(url), next_run_time=plan.at)
        try:
            self.store.feeds.schedule(url, plan.at, plan.reason)
        except sqlite3.Error as exc:  # status shows a stale time; the schedule itself holds
            log.error("cannot record the next poll of %s: %s", redact_url(url), exc)

    def _on_missed(self, event: JobExecutionEvent) -> None:
        """A poll ran later than the grace period (sleep, stall): spread it, do not burst."""
        self._late(event.job_id, event.scheduled_run_time)

    def _on_skipped(self, event: JobSubmissionEvent) -> None:
        """A poll came due while its last run was still winding up (the loop stalled right at its
        end): the scheduler skipped it; it is late, not lost."""
        self._late(event.job_id, event.scheduled_run_times[-1])

    def _late(self, job_id: str, scheduled: datetime) -> None:
        url = job_id.removeprefix(FEED_JOB)
        feed = self.feeds.get(url) if job_id.startswith(FEED_JOB) else None
        if feed is None:
            return
        now = _now()
        late = (now - scheduled).total_seconds()
        if late <= self.config.daemon.misfire_grace:
            self._apply(url, NextPoll(now + timedelta(seconds=1), "due"))
            return
        plan = catch_up(now, Politeness.for_feed(feed, self.config.fetch), self.rand())
        log.info(
            "poll of %s was %s late (the machine slept or the process stalled); moved to %s",
            redact_url(url),
            format_duration(late),
            to_iso(plan.at),
        )
        self._apply(url, plan)

    # --- jobs -----------------------------------------------------------------------------------

    async def _poll_job(self, url: str) -> None:
        """One poll of one feed, then its next run."""
        try:
            self.scheduler.pause_job(feed_job_id(url))  # no second run while this one is in flight
        except JobLookupError:
            return  # removed by a reload after it was due
        task = asyncio.current_task()
        assert task is not None
        self._inflight.add(task)
        try:
            plan = await self._poll(url)
        except asyncio.CancelledError:
            # Abandoned at shutdown before its validators were stored: it stays due for the
            # restart, which fetches it again (dedup skips the stories already recorded).
            log.info("poll of %s abandoned at shutdown", redact_url(url))
            return
        except Exception:  # a bug or a database problem must not end the feed's schedule
            log.exception("poll of %s failed unexpectedly", redact_url(url))
            plan = self._after_internal_error(url)
        finally:
            self._inflight.discard(task)
        self._apply(url, plan)

    def _after_internal_error(self, url: str) -> NextPoll:
        """Retry after the interval.

        Nothing needs resetting: the pipeline stores a feed's validators only once all its
        stories are stored, so an error before that leaves the old ones, and the retry gets the
        new content again.
        """
        feed = self.feeds.get(url)
        interval = (feed.interval if feed else None) or self.config.fetch.default_interval
        return NextPoll(_now() + timedelta(seconds=interval), "retry after an internal error")

    async def _ingest(self, result: FetchResult) -> PollReport:
        """Parse and record a fetched feed in the ingest threads, reading its articles between.

        Parsing, matching and the store run off the event loop; the article requests run on it
        with the feeds' client (their extraction goes to a thread of its own).
        """
        pipeline, report = self.pipeline, PollReport(feeds=1)

        def parse(store: Store) -> tuple[list[Story], set[str], list[int]]:
            twin = pipeline.on(store)
            stories, unfinished = twin.read_all([result], report)
            return stories, unfinished, twin.wanted_articles(stories)

        stories, unfinished, wanted = await self.ingester.run(parse)
        if wanted:
            stories = await pipeline.read_articles(self.client, stories, wanted)
        stopping = self.ingester.stopping
        await self.ingester.run(
            lambda store: pipeline.on(store).record_all(
                [result], stories, unfinished, report, stopping
            )
        )
        return report

    async def _poll(self, url: str) -> NextPoll:
        feed = self.feeds[url]
        state = self.store.feeds.state(url)
        started = time.monotonic()
        result = await self.limits.fetch(self.client, state)
        report = await self._ingest(result)
        row = self.store.feeds.get(url) or {}
        outcome = PollOutcome.of(result, row.get("consecutive_failures", 0), row.get("ttl_minutes"))
        plan = after_poll(
            _now(), outcome, Politeness.for_feed(feed, self.config.fetch), self.rand()
        )
        if row.get("location") and row["location"] != state.location:
            log.warning(
                "feed %s moved permanently to %s: polled there from now on; update the config",
                redact_url(url),
                redact_url(row["location"]),
            )
        self.metrics.poll(result, report, time.monotonic() - started, gone=plan.disabled)
        self._log_poll(url, result, report, plan)
        if report.shift_ids:
            self._dispatch_soon()
        return plan

    def _log_poll(self, url: str, result: FetchResult, report: PollReport, plan: NextPoll) -> None:
        if not result.ok:
            outcome = f"failed ({result.error})"
        elif result.unchanged:
            outcome = "unchanged"
        else:
            outcome = f"{report.new_stories} new stories, {len(report.shift_ids)} shifts"
        when = f"next poll at {to_iso(plan.at)} ({plan.reason})" if plan.at else plan.reason
        log.info(
            "polled %s: %s; %s",
            redact_url(url),
            outcome,
            when,
            extra={
                "feed": redact_url(url),
                "status": result.status,
                "ok": result.ok,
                "new_stories": report.new_stories,
                "shifts": len(report.shift_ids),
                "next_poll": to_iso(plan.at),
            },
        )

    def _dispatch_soon(self) -> None:
        """Send new alerts now rather than at the dispatcher's next turn."""
        if self._dispatching:
            self._dispatch_requested = True
        elif self.scheduler.state == STATE_RUNNING:
            self.scheduler.modify_job(DISPATCH_JOB, next_run_time=_now())

    def _dispatch_by(self, moment: datetime | None) -> None:
        """Make the dispatcher's next turn no later than ``moment`` (a settle window, digest or
        quiet hours ending before the next regular turn)."""
        job = self.scheduler.get_job(DISPATCH_JOB)
        if moment is None or job is None or job.next_run_time is None:
            return
        if moment < job.next_run_time:
            # not at once: this turn must have finished, or the next one would be skipped
            soonest = _now() + timedelta(milliseconds=100)
            self.scheduler.modify_job(DISPATCH_JOB, next_run_time=max(moment, soonest))

    async def _dispatch_job(self) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._inflight.add(task)
        self._dispatching = True
        try:
            while True:
                self._dispatch_requested = False
                started = time.monotonic()
                report = await asyncio.to_thread(self._dispatch, self.config, self.pipeline)
                self.metrics.dispatch(report, time.monotonic() - started)
                if report.sent or report.failed or report.dead:
                    log.info("alerts: %s", report.summary())
                self._dispatch_by(report.wake_at)
                if not self._dispatch_requested or self._stopping.is_set():
                    break
        except asyncio.CancelledError:
            log.info("dispatcher left to finish its send in the background at shutdown")
        except Exception:  # the next turn tries again; the outbox keeps every delivery
            log.exception("alert dispatch failed")
        finally:
            self._dispatching = False
            self._inflight.discard(task)

    def _dispatch(self, config: Config, pipeline: Pipeline) -> DispatchReport:
        """One outbox pass, in a worker thread with its own connection (sends block)."""
        with Store(self.store.path) as store:
            return dispatch_due(
                store, pipeline.channels, pipeline.topics, config.alerts, judge=pipeline.judge
            )

    async def _heartbeat_job(self) -> None:
        if self._beat is not None:
            self._beat = self._beat.beat(_now(), feeds=len(self.feeds))
            self._write_beat()
        self.metrics.beat(len(self.feeds))

    def _write_beat(self) -> None:
        assert self._beat is not None
        heartbeat.write(self.store.db, self._beat)


def run_daemon(config_path: Path, config: Config, database: Path) -> None:
    """Run the daemon on ``database`` until SIGTERM or SIGINT.

    Raises AlreadyRunning when another daemon uses the database.
    """

    async def main() -> None:
        with Store(database) as store:
            await Daemon(config_path, config, store).run()

    with single_instance(database):
        asyncio.run(main())
