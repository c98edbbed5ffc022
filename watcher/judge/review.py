"""The judge at dispatch time: a candidate shift is put to the model before its alerts go out.

``Judge.screen`` takes the deliveries a dispatcher pass found due and returns those to send.
A shift not judged yet, none of whose deliveries has gone, is judged once: from the cache when
the same model saw the same claim, actor and evidence before, else by one call within the hourly
cap. Then

- confirmed: its deliveries are sent, with the model's answer in the alert;
- disputed: recorded as ``disputed``; its deliveries are set aside as ``withheld`` (or sent with
  the answer, ``on_dispute = "alert"``);
- no answer (timeout, refusal, 429, an answer that does not parse, the cap reached): the failure
  is recorded; ``on_error = "alert"`` sends with a note, ``"hold"`` keeps the deliveries queued
  and asks again later (when the server's Retry-After or the cap allow, with backoff).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from watcher.config import JudgeSettings
from watcher.judge.client import JudgeClient, JudgeError
from watcher.judge.question import Question
from watcher.models import Topic
from watcher.store import Store
from watcher.store.judgements import CachedAnswer
from watcher.timeutil import to_iso

log = logging.getLogger(__name__)

# Waits between tries of a held shift after failures: 1, 2, 4 ... minutes, up to an hour.
RETRY_INITIAL = 60.0
RETRY_MAX = 3600.0


@dataclass
class JudgeReport:
    """What the judge did in one dispatcher pass (counts of shifts, except ``calls``)."""

    calls: int = 0  # requests sent to the model
    cached: int = 0  # answers taken from the cache
    confirmed: int = 0
    disputed: int = 0
    failed: int = 0  # no answer: the call failed, the server asked to wait, or the cap
    capped: int = 0  # of ``failed``: the hourly cap was reached
    withheld: int = 0  # disputed shifts not sent
    held: int = 0  # shifts kept queued for a later try (on_error = "hold")

    @property
    def judged(self) -> int:
        """Shifts the judge ruled on or failed on in the pass."""
        return self.confirmed + self.disputed + self.failed

    def summary(self) -> str:
        """One line for humans."""
        return (
            f"{self.confirmed} confirmed, {self.disputed} disputed ({self.withheld} withheld), "
            f"{self.failed} failed ({self.capped} over the hourly cap, {self.held} held); "
            f"{self.calls} calls, {self.cached} cached"
        )


@dataclass(frozen=True)
class _Ruling:
    """The judge's answer on one shift, or why there is none and when to ask again."""

    answer: CachedAnswer | None = None
    error: str = ""
    retry_at: datetime | None = None
    capped: bool = False


class Judge:
    """A language model that confirms or disputes candidate shifts."""

    def __init__(self, settings: JudgeSettings, client: JudgeClient | None = None) -> None:
        self.settings = settings
        self.client = client or JudgeClient(settings)

    def screen(
        self,
        store: Store,
        due: Sequence[dict[str, Any]],
        topics: dict[str, Topic],
        clock: Callable[[], datetime],
        report: JudgeReport,
    ) -> list[dict[str, Any]]:
        """Judge the shifts of the ``due`` deliveries not judged yet; return the rows to send.

        ``clock`` is read for each shift: with a slow model, a pass takes a while.
        """
        kept_back: set[int] = set()
        for shift_id in store.judgements.unjudged(sorted({row["shift_id"] for row in due})):
            if not self._judge_shift(store, shift_id, topics, clock(), report):
                kept_back.add(shift_id)
        return [row for row in due if row["shift_id"] not in kept_back]

    def _judge_shift(
        self,
        store: Store,
        shift_id: int,
        topics: dict[str, Topic],
        now: datetime,
        report: JudgeReport,
    ) -> bool:
        """Judge one shift and record the ruling; False when its deliveries must not go now."""
        question = shift_question(store, shift_id, topics)
        ruling = (
            self._ask(store, shift_id, question, now, report)
            if question
            else _Ruling(error="its topic is no longer configured")
        )
        # The ruling and what it does to the deliveries land together: a crash in between must
        # not leave a disputed shift with deliveries still due.
        with store.transaction():
            if ruling.answer is not None:
                return self._answered(store, shift_id, ruling.answer, now, report)
            return self._unanswered(store, shift_id, ruling, now, report)

    def _answered(
        self, store: Store, shift_id: int, answer: CachedAnswer, now: datetime, report: JudgeReport
    ) -> bool:
        outcome = "confirmed" if answer.shifted else "disputed"
        store.judgements.rule(shift_id, outcome, answer, "", now)
        log.info("judge %s shift %s: %s", outcome, shift_id, answer.reason)
        if answer.shifted:
            report.confirmed += 1
            return True
        report.disputed += 1
        if self.settings.on_dispute == "alert":
            return True
        store.deliveries.withhold(shift_id, f"withheld: the judge disputes it: {answer.reason}")
        report.withheld += 1
        return False

    def _unanswered(
        self, store: Store, shift_id: int, ruling: _Ruling, now: datetime, report: JudgeReport
    ) -> bool:
        report.failed += 1
        report.capped += ruling.capped
        failures = store.judgements.failed(shift_id, ruling.error)
        if self.settings.on_error == "alert":
            store.judgements.rule(shift_id, "failed", None, ruling.error, now)
            log.warning("judge failed on shift %s, alerting without it: %s", shift_id, ruling.error)
            return True
        # Ask again after a backoff, never before the server or the cap allows it; the cap's own
        # time is exact, there is no point in waiting longer.
        backoff = now + timedelta(seconds=min(RETRY_MAX, RETRY_INITIAL * 2 ** (failures - 1)))
        if ruling.capped and ruling.retry_at:
            until = ruling.retry_at
        else:
            until = max(backoff, ruling.retry_at or backoff)
        store.deliveries.hold(shift_id, until, f"held for the judge: {ruling.error}")
        report.held += 1
        log.warning(
            "judge failed on shift %s, held until %s: %s", shift_id, to_iso(until), ruling.error
        )
        return False

    def _ask(
        self, store: Store, shift_id: int, question: Question, now: datetime, report: JudgeReport
    ) -> _Ruling:
        """The cached answer, or one call to the model if the server and the cap allow it."""
        records = store.judgements
        key = question.key(self.client.model)
        cached = records.cached(key)
        if cached is not None:
            report.cached += 1
            return _Ruling(answer=cached)
        blocked = records.blocked_until(now)
        if blocked is not None:
            return _Ruling(
                error=f"the server asked to wait until {to_iso(blocked)}", retry_at=blocked
            )
        frees = records.cap_frees_at(now, self.settings.max_calls_per_hour)
        if frees is not None:
            cap = self.settings.max_calls_per_hour
            error = f"hourly cap reached (max_calls_per_hour = {cap})"
            return _Ruling(error=error, retry_at=frees, capped=True)
        report.calls += 1
        started = time.monotonic()
        try:
            answer = self.client.ask(question)
        except JudgeError as exc:
            retry_at = now + timedelta(seconds=exc.retry_after) if exc.retry_after else None
            records.log_call(
                shift_id, self.client.model, now, time.monotonic() - started, str(exc), retry_at
            )
            return _Ruling(error=str(exc), retry_at=retry_at)
        records.log_call(shift_id, self.client.model, now, time.monotonic() - started)
        stored = CachedAnswer(
            self.client.model, answer.before, answer.after, answer.shifted, answer.reason
        )
        records.remember(key, stored, now)
        return _Ruling(answer=stored)

    def close(self) -> None:
        """Close the model's connection pool."""
        self.client.close()


def shift_question(store: Store, shift_id: int, topics: dict[str, Topic]) -> Question | None:
    """The question for a stored shift: its claim, actor and evidence; None without its topic."""
    row = store.positions.shift(shift_id)
    topic = topics.get(row["topic_id"])
    if topic is None:
        return None
    actor = next((a for a in topic.actors if a.id == row["actor_id"]), None)
    name = actor.name if actor else row["actor_id"]
    before = store.positions.get(row["before_position_id"]) if row["before_position_id"] else None
    after = store.positions.get(row["after_position_id"])
    return Question(
        claim=topic.claim,
        actor=name if name == row["actor_id"] else f"{name} ({row['actor_id']})",
        before=before.verdict.evidence if before else (),
        after=after.verdict.evidence,
    )


def build_judge(settings: JudgeSettings | None) -> Judge | None:
    """The configured judge, or None when ``[stance.judge]`` is not set."""
    return Judge(settings) if settings is not None else None
