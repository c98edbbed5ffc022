"""One poll pass: fetch -> parse -> dedup -> match -> stance -> diff -> store -> outbox.

The stages are pure functions; this module is the edge where they meet the store. Each story is
recorded whole (story, sources, topics, positions, shifts and their deliveries land together or
not at all), so a crash never leaves a shift without its outbox rows. Stories are committed in
batches, and a feed's validators only after its stories (see ``ingest``).
"""

from __future__ import annotations

import copy
import logging
import random
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import httpx

from watcher.alert.channels import build_channels
from watcher.alert.dispatch import DispatchReport, dispatch_due
from watcher.article import ArticleReader, Relevance, wants_article
from watcher.config import Config, FeedSettings
from watcher.daemon.schedule import Politeness, PollOutcome, after_poll, held_back
from watcher.dedup import another_entry, story_keys
from watcher.fetch import describe_error, fetch_all, make_client, redact_url
from watcher.judge import build_judge
from watcher.match import TopicMatcher
from watcher.models import FetchResult, Position, ShiftDecision, Story
from watcher.parse import parse_feed
from watcher.placement import place_position
from watcher.stance import actor_positions, forget_texts
from watcher.stance.decide import engine as stance_engine
from watcher.store import Store
from watcher.store.stories import KnownStory
from watcher.timeutil import utc_now

log = logging.getLogger(__name__)

_UNDATED = datetime.max.replace(tzinfo=UTC)
# Stories per commit: a commit, and the full-text index's flush, per story cost more than the
# rest of the store's work; a batch holds the write lock for about a tenth of a second.
BATCH = 100
# A recorded position: the position, how it compared with the prior one, and its shift id.
_Recorded = tuple[Position, ShiftDecision, int | None]


@dataclass
class PollReport:
    """Counts from one poll pass, for the CLI and the logs."""

    feeds: int = 0
    unchanged: int = 0
    failed: int = 0
    feed_errors: int = 0
    story_errors: int = 0  # stories (or whole feeds) the store could not record: retried
    new_stories: int = 0
    duplicates: int = 0
    positions: int = 0
    decisions: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # feed URL -> why it was not polled
    shift_ids: list[int] = field(default_factory=list)
    recorded: list[tuple[Position, ShiftDecision]] = field(default_factory=list)

    def summary(self) -> str:
        """One line for humans."""
        decisions = ", ".join(f"{k} {v}" for k, v in sorted(self.decisions.items())) or "none"
        return (
            f"{self.feeds} feeds ({self.unchanged} unchanged, {self.failed} failed, "
            f"{self.feed_errors} malformed); {self.new_stories} new stories, "
            f"{self.duplicates} duplicates; {self.positions} positions ({decisions}); "
            f"{len(self.shift_ids)} shifts"
            + (f"; {self.story_errors} not recorded (retried)" if self.story_errors else "")
        )


class Pipeline:
    """The stages wired for one config and one store."""

    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store
        self.topics = {topic.id: topic for topic in config.topic_list()}
        self.matcher = TopicMatcher(self.topics.values())
        self.channels = build_channels(config.alerts.channels)
        self.articles = ArticleReader(config.articles, config.fetch)
        self._article_modes = {feed.url: feed.articles for feed in config.feeds}
        self._relevant = Relevance(self.topics.values(), self.matcher)
        self.judge = build_judge(config.stance.judge)
        self.stance = stance_engine(config.stance.engine)
        if self.stance.note:
            log.warning(self.stance.note)

    def on(self, store: Store) -> Pipeline:
        """This pipeline writing through another connection (SQLite's are one per thread)."""
        twin = copy.copy(self)
        twin.store = store
        return twin

    async def poll(
        self,
        feeds: Sequence[FeedSettings] | None = None,
        client: httpx.AsyncClient | None = None,
        force: bool = False,
    ) -> PollReport:
        """Fetch the given feeds (default: every enabled one) and process what is new.

        Feeds and articles are fetched with ``client`` (default: one made for this poll). A
        round outside the daemon keeps to each feed's stored state as the daemon does: a feed
        gone (410), backing off or asked to wait (Retry-After) is skipped unless ``force``, and
        each fetch's outcome sets when the feed may be polled next.
        """
        if client is None:
            async with make_client(self.config.fetch) as own_client:
                return await self.poll(feeds, own_client, force)
        feeds = [f for f in (self.config.feeds if feeds is None else feeds) if f.enabled]
        self.store.feeds.sync(self.config.feeds)
        now = utc_now()
        skipped = (
            {}
            if force
            else {
                f.url: reason
                for f in feeds
                if (reason := held_back(self.store.feeds.get(f.url), now))
            }
        )
        feeds = [f for f in feeds if f.url not in skipped]
        states = [self.store.feeds.state(feed.url) for feed in feeds]
        results = await fetch_all(states, self.config.fetch, client)
        report = await self.ingest_with_articles(results, client)
        report.skipped = skipped
        self._schedule_next({f.url: f for f in feeds}, results)
        # Every feed of the round has been read, so no other report of its shifts is on the way:
        # they need not wait out the settle window (meant for feeds polled one by one).
        with self.store.transaction():
            self.store.deliveries.end_settling(report.shift_ids, utc_now())
        log.info("poll: %s", report.summary())
        return report

    def _schedule_next(
        self, feeds: dict[str, FeedSettings], results: Sequence[FetchResult]
    ) -> None:
        """Record when each fetched feed may be polled next (or that it is gone)."""
        for result in results:
            row = self.store.feeds.get(result.url) or {}
            outcome = PollOutcome.of(
                result, row.get("consecutive_failures", 0), row.get("ttl_minutes")
            )
            rules = Politeness.for_feed(feeds[result.url], self.config.fetch)
            plan = after_poll(utc_now(), outcome, rules, random.random())
            with self.store.transaction():
                if plan.disabled:
                    self.store.feeds.disable(result.url, plan.reason)
                else:
                    self.store.feeds.schedule(result.url, plan.at, plan.reason)

    def ingest(
        self, results: Sequence[FetchResult], stop: threading.Event | None = None
    ) -> PollReport:
        """Record fetch outcomes and process the new stories as the feeds carry them.

        Once ``stop`` is set (the daemon is shutting down) no further batch starts: what is
        committed stays, and the feeds' validators are not stored, so the next poll brings the
        rest (dedup skips what was recorded).
        """
        report = PollReport(feeds=len(results))
        self.record_all(results, *self.read_all(results, report), report, stop)
        return report

    async def ingest_with_articles(
        self, results: Sequence[FetchResult], client: httpx.AsyncClient
    ) -> PollReport:
        """As ``ingest``, reading the article behind each entry that wants it first."""
        report = PollReport(feeds=len(results))
        stories, unfinished = self.read_all(results, report)
        stories = await self.read_articles(client, stories, self.wanted_articles(stories))
        self.record_all(results, stories, unfinished, report)
        return report

    def wanted_articles(self, stories: Sequence[Story]) -> list[int]:
        """Which of ``stories`` (by index) want their article read, per their feeds' mode.

        A story already stored with the same content is not read again: an article is read at
        most once per story revision. Reads the store and matches topics: the daemon calls it
        off the event loop, with the parse.
        """
        return [index for index, story in enumerate(stories) if self._wants_article(story)]

    async def read_articles(
        self, client: httpx.AsyncClient, stories: Sequence[Story], wanted: Sequence[int]
    ) -> list[Story]:
        """``stories`` with the articles of those at the ``wanted`` indices read."""
        read = await self.articles.read_all(client, [stories[index] for index in wanted])
        enriched = list(stories)
        for index, story in zip(wanted, read, strict=True):
            enriched[index] = story
        return enriched

    def _wants_article(self, story: Story) -> bool:
        mode = self._article_modes.get(story.feed_url, "auto")
        if not wants_article(story, mode, self.config.articles, self._relevant):
            return False
        known = self._known(story, story_keys(story))
        return known is None or not known.repeats(story)

    def read_all(
        self, results: Sequence[FetchResult], report: PollReport
    ) -> tuple[list[Story], set[str]]:
        """The stories of every result, and the feeds whose outcome could not be recorded."""
        stories: list[Story] = []
        unfinished: set[str] = set()  # feeds with a story (or an outcome) that failed
        for result in results:
            try:
                stories += self.read(result, report)
            except sqlite3.Error as exc:  # locked past busy_timeout, disk full: retried
                report.story_errors += 1
                unfinished.add(result.url)
                log.error("cannot record the poll of %s: %s", redact_url(result.url), exc)
        return stories, unfinished

    def record_all(
        self,
        results: Sequence[FetchResult],
        stories: list[Story],
        unfinished: set[str],
        report: PollReport,
        stop: threading.Event | None = None,
    ) -> None:
        """Record ``stories`` in batches, then the validators of the feeds that are finished.

        ``stop``: see ``ingest``.
        """
        # Chronological order, so each actor's positions are compared in the order they were said.
        stories.sort(key=lambda s: s.published or _UNDATED)
        for start in range(0, len(stories), BATCH):
            if stop is not None and stop.is_set():
                unfinished |= {story.feed_url for story in stories[start:]}
                break
            unfinished |= self._process_batch(stories[start : start + BATCH], report)
        # A changed feed's validators are stored only once all its stories are: killed before
        # this point, or with a story that failed, the next poll fetches the feed again (dedup
        # skips what was recorded) instead of getting a 304 for stories never recorded.
        for result in results:
            if result.ok and not result.unchanged and result.url not in unfinished:
                try:
                    self.store.feeds.record_fetch(result)
                except sqlite3.Error as exc:  # the old validators stay: fetched again, no loss
                    log.error("cannot record the fetch of %s: %s", redact_url(result.url), exc)
        forget_texts()  # a daemon running for months keeps no story in memory between polls

    def _process_batch(self, batch: Sequence[Story], report: PollReport) -> set[str]:
        """Record a batch of stories in one transaction; story by story if one of them fails.

        Returns the feeds of the stories that failed.

        Not a savepoint per story: the full-text index flushes at every savepoint, which cost
        more than the rest of the store's work. A failure is rare, and redoing its batch one
        transaction per story keeps every other story of it.
        """
        try:
            with self.store.transaction():
                outcomes = [self._record_story(story) for story in batch]
        except Exception:
            log.warning("a story of a batch of %d failed; recording them one by one", len(batch))
            return {s.feed_url for s in batch if not self._process_or_record_error(s, report)}
        for is_new, recorded in outcomes:
            _tally(report, is_new, recorded)
        return set()

    def _process_or_record_error(self, story: Story, report: PollReport) -> bool:
        """Process one story in its own transaction; False (and the error recorded) if it failed."""
        try:
            self.process_story(story, report)
        except Exception as exc:  # its transaction rolled back; the other stories go on
            report.story_errors += 1
            log.exception("story %s from %s failed", story.id, redact_url(story.feed_url))
            try:
                self.store.feeds.record_error(story.feed_url, "process", describe_error(exc))
            except sqlite3.Error as again:  # the store refuses (locked, full): the log has it
                log.error("cannot record that failure: %s", again)
            return False
        return True

    def read(self, result: FetchResult, report: PollReport) -> list[Story]:
        """Parse a fetched body; record the outcome of a fetch that brings nothing to parse."""
        if not result.ok or result.unchanged:
            self.store.feeds.record_fetch(result)
        if not result.ok:
            report.failed += 1
            log.warning("fetch %s failed: %s", redact_url(result.url), result.error)
            return []
        if result.unchanged:
            report.unchanged += 1
            return []
        parsed = parse_feed(result)
        self.store.feeds.record_parse(parsed)
        if parsed.error:
            report.feed_errors += 1
            log.warning("feed %s is malformed: %s", redact_url(result.url), parsed.error)
        if parsed.warning:
            log.warning("feed %s: %s", redact_url(result.url), parsed.warning)
        return list(parsed.stories)

    def process_story(self, story: Story, report: PollReport) -> None:
        """Dedup, analyse and record one story in one transaction; count it once committed."""
        with self.store.transaction():
            is_new, recorded = self._record_story(story)
        _tally(report, is_new, recorded)

    def _record_story(self, story: Story) -> tuple[bool, list[_Recorded] | None]:
        """(is the story new, its recorded positions or None when it was a plain duplicate)."""
        keys = story_keys(story)
        known = self._known(story, keys)
        if known is None:
            self.store.stories.add(story, keys)
            self.store.feeds.count_items(story.feed_url, 1)
        else:
            if self.store.stories.add_source(known.id, story, keys):
                self.store.feeds.count_items(story.feed_url, 1)
            if known.repeats(story):
                return False, None
            # Same entry or link with new content: a revised story, analysed again.
            self.store.stories.revise(known.id, story)
            story = replace(story, id=known.id)
        if story.article_error:
            failure = f"{redact_url(story.link or '')}: {story.article_error}"
            self.store.feeds.count_article(story.feed_url, failure)
        elif story.article:
            self.store.feeds.count_article(story.feed_url, None)
        matches = self.matcher.match(story)
        self.store.stories.record_topics(story.id, matches)
        recorded = [
            self.record_position(position)
            for match in matches
            for position in actor_positions(self.topics[match.topic_id], story, match, self.stance)
        ]
        return known is None, recorded

    def _known(self, story: Story, keys: list[str]) -> KnownStory | None:
        """The stored story ``story`` is (a repeat or a revision of), or None for a new one."""
        known = self.store.stories.find(keys)
        if known is not None and another_entry(
            story, known.key, lambda: self.store.stories.guids_from(known.id, story.feed_url)
        ):
            return None  # e.g. a post of a live blog under the blog's link: a story of its own
        return known

    def record_position(self, position: Position) -> _Recorded:
        """Place a position in the actor's timeline (event time) and store it with its shift."""
        placed = place_position(self.store, self.config, position)
        return position, placed.decision, placed.shift_id

    def dispatch(self) -> DispatchReport:
        """Send the alerts that are due through the configured channels (one outbox pass)."""
        return dispatch_due(
            self.store, self.channels, self.topics, self.config.alerts, judge=self.judge
        )


def _tally(report: PollReport, is_new: bool, recorded: list[_Recorded] | None) -> None:
    """Count one committed story in ``report``."""
    if is_new:
        report.new_stories += 1
    elif recorded is None:
        report.duplicates += 1
    for position, decision, shift_id in recorded or ():
        report.positions += 1
        report.decisions[decision.decision.value] = (
            report.decisions.get(decision.decision.value, 0) + 1
        )
        report.recorded.append((position, decision))
        if shift_id is not None:
            report.shift_ids.append(shift_id)
