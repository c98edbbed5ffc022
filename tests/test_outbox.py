"""The outbox and its dispatcher: retries, dead letters, claims, digests, quiet hours, routing,
corroboration and the migration of an existing database. Channels here are in-memory recorders;
the real channels meet real servers in test_email.py, test_slack.py and test_delivery_crash.py."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alerting import AFTER, TOPIC, Recorder, add_story, day, position, record, shift
from sqlite_utils import Database

from watcher.alert.base import PermanentFailure, RetryLater
from watcher.alert.channels import build_channels
from watcher.alert.dispatch import dispatch_due, worker_alive, worker_id
from watcher.alert.message import load_alert
from watcher.config import AlertSettings, ConsoleChannelSettings, FeedSettings
from watcher.models import Stance, Story
from watcher.store import Store
from watcher.store.migrations import MIGRATIONS, migrate
from watcher.timeutil import to_iso

TOPICS = {"air": TOPIC}
T0 = datetime(2030, 1, 1, 12, tzinfo=UTC)  # after every queued row's created_at


def settings(*channels: dict, **options: object) -> AlertSettings:
    return AlertSettings.model_validate(
        {"channels": list(channels) or [{"type": "console", "name": "rec"}], "settle": 0, **options}
    )


def fail(exc: Exception):
    def raiser(envelope: object) -> None:
        raise exc

    return raiser


def test_a_failure_is_retried_with_backoff_then_sent_and_every_attempt_is_recorded(
    store: Store,
) -> None:
    config = settings(retry_initial=60, retry_jitter=0)
    shift(store, settings=config)
    channel = Recorder(fail=fail(ConnectionError("server down")))
    report = dispatch_due(store, {"rec": channel}, TOPICS, config, now=T0)
    assert (report.sent, report.failed) == (0, 1)
    [row] = store.deliveries.pending()
    assert row["next_attempt_at"] == to_iso(T0 + timedelta(seconds=60))
    assert row["last_error"] == "ConnectionError: server down"
    # not due yet: nothing happens
    assert dispatch_due(store, {"rec": channel}, TOPICS, config, now=T0).failed == 0
    report = dispatch_due(store, {"rec": channel}, TOPICS, config, now=T0 + timedelta(seconds=60))
    assert report.failed == 1
    assert store.deliveries.pending()[0]["next_attempt_at"] == to_iso(T0 + timedelta(seconds=180))
    channel.fail = None
    report = dispatch_due(store, {"rec": channel}, TOPICS, config, now=T0 + timedelta(hours=1))
    assert (report.sent, report.messages) == (1, 1)
    assert len(channel.sent) == 1
    [row] = store.deliveries.all()
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 3, None)
    attempts = store.deliveries.attempts(row["id"])
    assert [(a["attempt"], a["outcome"]) for a in attempts] == [
        (1, "failed"),
        (2, "failed"),
        (3, "sent"),
    ]
    assert attempts[0]["error"] == "ConnectionError: server down"
    assert attempts[0]["worker"] == worker_id()


def test_after_max_attempts_a_delivery_is_dead_and_shown_not_dropped(store: Store) -> None:
    config = settings(max_attempts=2, retry_initial=1, retry_jitter=0)
    shift(store, settings=config)
    channel = Recorder(fail=fail(TimeoutError("slow")))
    dispatch_due(store, {"rec": channel}, TOPICS, config, now=T0)
    report = dispatch_due(store, {"rec": channel}, TOPICS, config, now=T0 + timedelta(hours=1))
    assert (report.failed, report.dead) == (0, 1)
    assert store.deliveries.counts() == {
        "pending": 0,
        "sent": 0,
        "dead": 1,
        "cancelled": 0,
        "withheld": 0,
    }
    [row] = store.deliveries.listing("dead")
    assert row["dead_at"] == to_iso(T0 + timedelta(hours=1))
    assert [a["outcome"] for a in store.deliveries.attempts(row["id"])] == ["failed", "dead"]
    # a dead delivery is not retried by itself; `alerts retry` requeues it
    assert dispatch_due(store, {"rec": channel}, TOPICS, config, now=T0 + timedelta(days=9)) == (
        type(report)()
    )
    assert store.deliveries.requeue([row["id"]]) == 1
    channel.fail = None
    assert dispatch_due(store, {"rec": channel}, TOPICS, config).sent == 1


def test_permanent_failure_is_dead_at_once_and_retry_after_is_honoured(store: Store) -> None:
    config = settings(
        {"type": "console", "name": "a"}, {"type": "console", "name": "b"}, retry_jitter=0
    )
    shift(store, settings=config)
    channels = {
        "a": Recorder("a", fail=fail(PermanentFailure("webhook revoked"))),
        "b": Recorder("b", fail=fail(RetryLater("slow down", 900))),
    }
    report = dispatch_due(store, channels, TOPICS, config, now=T0)
    assert (report.dead, report.failed) == (1, 1)
    rows = {r["channel"]: r for r in store.deliveries.all()}
    assert (rows["a"]["status"], rows["a"]["last_error"]) == (
        "dead",
        "PermanentFailure: webhook revoked",
    )
    assert rows["b"]["next_attempt_at"] == to_iso(T0 + timedelta(seconds=900))


def test_one_failing_channel_does_not_stop_the_others(store: Store) -> None:
    config = settings({"type": "console", "name": "rec"}, {"type": "console", "name": "broken"})
    shift(store, settings=config)
    store.deliveries.enqueue(1, {"removed-from-config": "old rule"})
    good = Recorder()
    channels = {"rec": good, "broken": Recorder("broken", fail=fail(OSError("disk full")))}
    report = dispatch_due(store, channels, TOPICS, config, now=T0)
    assert (report.sent, report.failed) == (1, 2)
    assert {d["channel"]: d["last_error"] for d in store.deliveries.pending()} == {
        "broken": "OSError: disk full",
        "removed-from-config": "LookupError: channel 'removed-from-config' is not configured",
    }
    assert len(good.sent) == 1


def test_a_claim_is_exclusive_and_a_dead_dispatchers_claim_is_released(store: Store) -> None:
    config = settings()
    shift(store, settings=config)
    [row] = store.deliveries.due(T0)
    # a dispatcher in a process that no longer exists (this host, a pid that just exited)
    script = "import os; print(os.getpid())"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    gone = run.stdout.strip()
    host, pid, _ = worker_id().split(":")
    ghost = f"{host}:{gone}:0000"
    assert not worker_alive(ghost)
    assert not worker_alive(f"{host}:{pid}:0000")  # this pid, but an earlier process
    assert worker_alive(worker_id()) and worker_alive("elsewhere:1:0000")
    claim = store.deliveries.claim([row["id"]], ghost, T0, T0 + timedelta(minutes=5))
    assert claim is not None
    assert store.deliveries.claim([row["id"]], "other:2", T0, T0 + timedelta(minutes=5)) is None
    channel = Recorder()
    report = dispatch_due(store, {"rec": channel}, TOPICS, config, now=T0)
    assert (report.released, report.sent) == (1, 1)
    attempts = store.deliveries.attempts(row["id"])
    assert [(a["worker"], a["outcome"]) for a in attempts] == [
        (ghost, "interrupted"),
        (worker_id(), "sent"),
    ]
    assert store.deliveries.get(row["id"])["attempts"] == 2
    # the same delivery key both times: an email resent after a crash has the same Message-ID
    assert channel.sent[0].key == row["key"]


def test_a_live_remote_dispatchers_claim_waits_for_its_lease(store: Store) -> None:
    config = settings(lease=60)
    shift(store, settings=config)
    [row] = store.deliveries.due(T0)
    store.deliveries.claim([row["id"]], "other-host:1", T0, T0 + timedelta(seconds=60))
    channel = Recorder()
    assert dispatch_due(store, {"rec": channel}, TOPICS, config, now=T0).released == 0
    assert channel.sent == []
    later = T0 + timedelta(seconds=61)
    assert dispatch_due(store, {"rec": channel}, TOPICS, config, now=later).sent == 1
    assert [a["outcome"] for a in store.deliveries.attempts(row["id"])] == ["interrupted", "sent"]


def test_two_stores_dispatching_at_once_send_each_delivery_once(tmp_path: Path) -> None:
    config = settings()
    with Store(tmp_path / "w.db") as first, Store(tmp_path / "w.db") as second:
        for actor in ("US", "UK", "FR", "DE"):
            shift(first, actor=actor, settings=config)
        channel = Recorder()
        interleaved: list[bool] = []

        def interleave(envelope: object) -> None:
            # while the first store sends its first message, the second runs a whole pass
            if not interleaved:
                interleaved.append(True)
                assert dispatch_due(second, {"rec": channel}, TOPICS, config, now=T0).sent == 3

        channel.fail = interleave
        dispatch_due(first, {"rec": channel}, TOPICS, config, now=T0)
    keys = [e.key for e in channel.sent]
    assert len(keys) == len(set(keys)) == 4


def test_digest_collects_then_sends_one_message_and_a_retry_resends_the_same_batch(
    store: Store,
) -> None:
    config = settings({"type": "console", "name": "rec", "digest": "10m"}, retry_jitter=0)
    created = datetime.now(UTC).replace(microsecond=0)
    for actor in ("US", "UK"):
        shift(store, actor=actor, settings=config)
    channel = Recorder(fail=fail(ConnectionError("down")))
    report = dispatch_due(store, {"rec": channel}, TOPICS, config, now=created)
    assert (report.held, report.failed) == (2, 0)
    ready = created + timedelta(minutes=11)
    report = dispatch_due(store, {"rec": channel}, TOPICS, config, now=ready)
    assert report.failed == 2
    batch = {row["batch"] for row in store.deliveries.all()}
    assert len(batch) == 1 and None not in batch
    shift(store, actor="FR", settings=config)  # queued while the digest waits for its retry
    channel.fail = None
    report = dispatch_due(store, {"rec": channel}, TOPICS, config, now=ready + timedelta(hours=1))
    assert (report.sent, report.messages) == (3, 2)
    first, second = channel.sent
    assert first.key == batch.pop() and first.is_digest
    assert sorted(a.actor_id for a in first.alerts) == ["UK", "US"]
    assert [a.actor_id for a in second.alerts] == ["FR"]
    assert first.subject == "2 stance shifts (UK, United States)"


def test_digest_splits_what_does_not_fit_one_message(store: Store) -> None:
    config = settings({"type": "console", "name": "rec", "digest": 1})
    for actor in ("A", "B", "C", "D", "E"):
        shift(store, actor=actor, settings=config)
    channel = Recorder(max_batch=2)
    report = dispatch_due(store, {"rec": channel}, TOPICS, config, now=T0)
    assert [len(e.alerts) for e in channel.sent] == [2, 2, 1]
    assert (report.sent, report.messages) == (5, 3)


def test_quiet_hours_hold_alerts_until_they_end(store: Store) -> None:
    quiet = {"start": "22:00", "end": "07:00", "timezone": "UTC"}
    config = settings({"type": "console", "name": "rec", "quiet_hours": quiet})
    shift(store, settings=config)
    channel = Recorder()
    night = datetime(2030, 1, 1, 23, tzinfo=UTC)
    assert dispatch_due(store, {"rec": channel}, TOPICS, config, now=night).held == 1
    morning = datetime(2030, 1, 2, 7, tzinfo=UTC)
    assert dispatch_due(store, {"rec": channel}, TOPICS, config, now=morning).sent == 1


def test_routes_decide_which_channels_get_a_shift_and_the_footer_names_the_rule(
    store: Store,
) -> None:
    config = settings(
        {"type": "console", "name": "all"},
        {"type": "console", "name": "sure"},
        routes=[
            {"channels": ["all"]},
            {"name": "confident", "channels": ["sure"], "min_confidence": 0.95},
        ],
    )
    shift(store, settings=config)  # the new position's confidence is 0.9
    assert [(d["channel"], d["rule"]) for d in store.deliveries.all()] == [
        ("all", "route 'routes[0]' (topics: every topic)")
    ]
    channel = Recorder("all")
    dispatch_due(store, {"all": channel}, TOPICS, config, now=T0)
    assert channel.sent[0].rules == ("route 'routes[0]' (topics: every topic)",)


def test_one_story_carried_by_ten_feeds_is_one_alert_listing_ten_sources(store: Store) -> None:
    config = settings()
    shift_id = shift(store, settings=config, story_id="wire")
    for n in range(1, 10):  # the same wire story seen in nine more feeds (dedup: one story)
        feed = f"https://outlet{n}.example/rss"
        store.feeds.sync([FeedSettings(url=feed, name=f"Outlet {n}")])
        entry = Story(f"e{n}", feed, "US refuses air cover", AFTER, f"https://outlet{n}.example/x")
        assert store.stories.add_source("wire", entry, [])
    channel = Recorder()
    assert dispatch_due(store, {"rec": channel}, TOPICS, config, now=T0).messages == 1
    [envelope] = channel.sent
    [alert] = envelope.alerts
    assert alert.shift_id == shift_id
    assert [s.outlet for s in alert.sources] == ["Outlet", *(f"Outlet {n}" for n in range(1, 10))]


def test_later_outlets_corroborate_the_shift_instead_of_alerting_again(store: Store) -> None:
    config = settings()
    shift_id = shift(store, settings=config)
    add_story(store, "second", feed="https://b.example/rss", outlet="B", published=day(11, 18))
    reworded = "Washington will not give air cover, officials said."
    _, again = record(store, position(Stance.AGAINST, reworded, day(11, 18), "second"), config)
    assert again is None
    alert = load_alert(store, shift_id, TOPICS)
    assert [(s.outlet, s.corroborating) for s in alert.sources] == [("Outlet", False), ("B", True)]
    channel = Recorder()
    dispatch_due(store, {"rec": channel}, TOPICS, config, now=T0)
    assert len(channel.sent[0].alerts[0].sources) == 2
    # after the alert went out: the record gains the source, no new delivery is queued
    add_story(store, "third", feed="https://c.example/rss", outlet="C", published=day(12))
    record(store, position(Stance.AGAINST, AFTER, day(12), "third"), config)
    assert len(load_alert(store, shift_id, TOPICS).sources) == 3
    assert len(store.deliveries.all()) == 1
    assert dispatch_due(store, {"rec": channel}, TOPICS, config, now=T0).sent == 0


def test_corroboration_needs_the_same_stance_and_the_window(store: Store) -> None:
    config = settings(corroboration_window="1d")
    shift_id = shift(store, settings=config)
    add_story(store, "late", published=day(20))
    record(store, position(Stance.AGAINST, AFTER, day(20), "late"), config)  # 9 days later
    add_story(store, "open", published=day(11, 20))
    record(store, position(Stance.OBSERVING, "Still weighing air cover.", day(11, 20), "open"))
    assert len(load_alert(store, shift_id, TOPICS).sources) == 1


def test_migration_2_upgrades_a_version_1_outbox(tmp_path: Path) -> None:
    db = Database(tmp_path / "v1.db")
    migrate(db, MIGRATIONS[:1])  # a database as version 1 left it, with a queued delivery
    db.execute(
        "INSERT INTO positions (id, topic_id, actor_id, stance, confidence, evidence, cues, "
        "explanation, decision, decision_reason, recorded_at) "
        "VALUES (1, 'air', 'US', 'against', 0.9, '[\"x\"]', '[]', '', 'shift', 'r', 't')"
    )
    db.execute(
        "INSERT INTO shifts (id, topic_id, actor_id, after_position_id, after_stance, reason, "
        "similarity, diff, detected_at) VALUES (1, 'air', 'US', 1, 'against', 'r', 0, '[]', "
        "'2030-01-01T00:00:00+00:00')"
    )
    db.execute(
        "INSERT INTO deliveries (shift_id, channel, created_at) "
        "VALUES (1, 'rec', '2030-01-01T00:00:00+00:00')"
    )
    db.conn.commit()
    db.close()
    with Store(tmp_path / "v1.db") as store:
        [row] = store.deliveries.all()
        assert len(row["key"]) == 32 and row["next_attempt_at"] == row["created_at"]
        assert dispatch_due(store, {"rec": Recorder()}, TOPICS, settings(), now=T0).sent == 1


def test_console_default_channel_still_prints(store: Store, capsys: pytest.CaptureFixture) -> None:
    config = AlertSettings(channels=[ConsoleChannelSettings(type="console")], settle=0)
    shift(store, settings=config)
    dispatch_due(store, build_channels(config.channels), TOPICS, config)
    assert "United States shifted on air: observing -> against" in capsys.readouterr().out


def test_a_pass_says_when_the_next_waiting_delivery_is_due(store: Store) -> None:
    config = settings({"type": "console", "name": "rec", "digest": "10m"}, {"type": "console"})
    created = datetime.now(UTC).replace(microsecond=0)
    shift_id = shift(store, settings=settings({"type": "console", "name": "rec"}))
    with store.transaction():  # as the daemon queues a shift: its settle window runs
        store.deliveries.enqueue(
            shift_id, {"console": "r"}, created, due=created + timedelta(minutes=2)
        )
    channels = {"rec": Recorder(), "console": Recorder("console")}
    report = dispatch_due(store, channels, TOPICS, config, now=created)
    assert report.held == 1  # the digest collects
    assert report.wake_at == created + timedelta(minutes=2)  # the settle window ends first
    report = dispatch_due(store, channels, TOPICS, config, now=created + timedelta(minutes=2))
    assert len(channels["console"].sent) == 1
    assert created + timedelta(minutes=9) < report.wake_at <= created + timedelta(minutes=10)
