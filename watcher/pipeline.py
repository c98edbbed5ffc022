"""One poll pass: fetch -> parse -> dedup -> match -> stance -> diff -> store -> outbox.

The stages are pure functions; this module is the edge where they meet the store. Each story is
recorded whole (story, sources, topics, positions, shifts and their deliveries land together or
not at all), so a crash never leaves a shift without its outbox rows. Stories are committed in
batches, and a feed's validators only after its stories (see ``ingest``).
"""

from __future__ import annotations

import logging
import random
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from watcher.alert.channels import build_channels
from watcher.alert.dispatch import DispatchReport, dispatch_due
from watcher.config import Config, FeedSettings
from watcher.daemon.schedule import Politeness, PollOutcome, after_poll, held_back
from watcher.dedup import another_entry, story_keys
from watcher.fetch import describe_error, fetch_all, redact_url
from watcher.judge import build_judge
from watcher.match import TopicMatcher
from watcher.models import FetchResult, Position, ShiftDecision, Story
from watcher.parse import parse_feed
from watcher.placement import place_position
from watcher.stance import actor_positions, forget_texts
from watcher.store import Store
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
        self.judge = build_judge(config.stance.judge)

    async def poll(
        self, feeds: Sequence[FeedSettings] | None = None, force: bool = False
    ) -> PollReport:
        """Fetch the given feeds (default: every enabled one) and process what is new.

        A round outside the daemon keeps to each feed's stored state as the daemon does: a
        feed gone (410), backing off or asked to wait (Retry-After) is skipped unless
        ``force``, and each fetch's outcome sets when the feed may be polled next.
        """
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
        results = await fetch_all(states, self.config.fetch)
        report = self.ingest(results)
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

    def ingest(self, results: Sequence[FetchResult]) -> PollReport:
        """Record fetch outcomes and process the new stories (the daemon fetches on its own)."""
        report = PollReport(feeds=len(results))
        stories: list[Story] = []
        unfinished: set[str] = set()  # feeds with a story (or an outcome) that failed
        for result in results:
            try:
                stories += self.read(result, report)
            except sqlite3.Error as exc:  # locked past busy_timeout, disk full: retried
                report.story_errors += 1
                unfinished.add(result.url)
                log.error("cannot record the poll of %s: %s", redact_url(result.url), exc)
        # Chronological order, so each actor's positions are compared in the order they were said.
        stories.sort(key=lambda s: s.published or _UNDATED)
        for start in range(0, len(stories), BATCH):
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
        return report

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
        return list(parsed.stories)

    def process_story(self, story: Story, report: PollReport) -> None:
        """Dedup, analyse and record one story in one transaction; count it once committed."""
        with self.store.transaction():
            is_new, recorded = self._record_story(story)
        _tally(report, is_new, recorded)

    def _record_story(self, story: Story) -> tuple[bool, list[_Recorded] | None]:
        """(is the story new, its recorded positions or None when it was a plain duplicate)."""
        keys = story_keys(story)
        known = self.store.stories.find(keys)
        if known is not None and another_entry(
            story, known.key, lambda: self.store.stories.guids_from(known.id, story.feed_url)
        ):
            known = None  # e.g. a post of a live blog under the blog's link: a story of its own
        if known is None:
            self.store.stories.add(story, keys)
            self.store.feeds.count_items(story.feed_url, 1)
        else:
            story_id, content_hash, _ = known
            if self.store.stories.add_source(story_id, story, keys):
                self.store.feeds.count_items(story.feed_url, 1)
            if content_hash == story.content_hash:
                return False, None
            # Same entry or link with new content: a revised story, analysed again.
            self.store.stories.revise(story_id, story)
            story = replace(story, id=story_id)
        matches = self.matcher.match(story)
        self.store.stories.record_topics(story.id, matches)
        recorded = [
            self.record_position(position)
            for match in matches
            for position in actor_positions(self.topics[match.topic_id], story, match)
        ]
        return known is None, recorded

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
