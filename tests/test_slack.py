"""The Slack channel against a local HTTP endpoint standing in for the incoming webhook; the
Block Kit payload checked with slack_sdk's own block models (which enforce Slack's limits)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta

import pytest
from alerting import TOPIC, shift
from feedserver import FeedServer, Route
from slack_sdk.models.blocks import Block

from watcher.alert.base import PermanentFailure, RetryLater
from watcher.alert.dispatch import dispatch_due, worker_id
from watcher.alert.message import Envelope, load_alert
from watcher.alert.sample import sample_envelope
from watcher.alert.slack import MAX_ALERTS, MAX_BLOCKS, SlackChannel, slack_payload
from watcher.config import AlertSettings, SlackChannelSettings
from watcher.store import Store
from watcher.timeutil import utc_now

TOPICS = {"air": TOPIC}
OK = Route(body=b"ok", headers={"Content-Type": "text/plain"})


def slack_settings(url: str, **options: object) -> SlackChannelSettings:
    return SlackChannelSettings.model_validate(
        {"type": "slack", "webhook_url": url, "timeout": 5, **options}
    )


def assert_valid_block_kit(payload: dict) -> None:
    """The payload parses into slack_sdk block models, each within Slack's limits."""
    assert isinstance(payload["text"], str) and payload["text"]
    blocks = Block.parse_all(payload["blocks"])
    assert len(blocks) == len(payload["blocks"]) <= MAX_BLOCKS
    for block in blocks:
        assert block is not None
        block.validate_json()  # raises SlackObjectFormationError past a limit


def test_500_twice_then_200_is_one_accepted_message_with_every_attempt_recorded(
    store: Store, server: FeedServer
) -> None:
    server.script("/hook", Route(status=500, body=b"oops"), Route(status=500), OK)
    settings = AlertSettings(
        channels=[slack_settings(server.url("/hook"))], retry_initial=10, retry_jitter=0
    )
    shift(store, settings=settings)
    channels = {"slack": SlackChannel(settings.channels[0])}
    now = utc_now()
    for step in range(3):
        dispatch_due(store, channels, {"air": TOPIC}, settings, now=now + timedelta(hours=step))
    posts = server.requests_to("/hook")
    assert len(posts) == 3  # two refused, one accepted
    assert posts[-1].method == "POST" and posts[-1].headers["content-type"] == "application/json"
    accepted = json.loads(posts[-1].body)
    assert_valid_block_kit(accepted)
    assert accepted["blocks"][0]["text"]["text"] == "United States: observing → against"
    assert "~not ruled out~" in json.dumps(accepted) and "*refused*" in json.dumps(accepted)
    [row] = store.deliveries.all()
    assert (row["status"], row["attempts"]) == ("sent", 3)
    attempts = store.deliveries.attempts(row["id"])
    assert [(a["outcome"], a["error"]) for a in attempts] == [
        ("failed", "ConnectionError: Slack answered 500: oops"),
        ("failed", "ConnectionError: Slack answered 500:"),
        ("sent", None),
    ]
    # nothing more is sent later
    dispatch_due(store, channels, {"air": TOPIC}, settings, now=now + timedelta(days=1))
    assert len(server.requests_to("/hook")) == 3


def test_429_waits_as_told_and_404_is_permanent(server: FeedServer) -> None:
    server.set("/busy", status=429, headers={"Retry-After": "120"})
    server.set("/gone", status=404, body=b"no_service")
    with pytest.raises(RetryLater) as busy:
        SlackChannel(slack_settings(server.url("/busy"))).send(sample_envelope("slack"))
    assert busy.value.seconds == 120
    with pytest.raises(PermanentFailure, match="Slack answered 404: no_service"):
        SlackChannel(slack_settings(server.url("/gone"))).send(sample_envelope("slack"))


def test_the_webhook_url_from_the_environment_never_shows_in_errors(server: FeedServer) -> None:
    secret = server.url("/services/T000/B000/SECRETTOKEN").replace("127.0.0.1", "localhost")
    server.set("/services/T000/B000/SECRETTOKEN", status=500, body=secret.encode())
    settings = slack_settings(None, webhook_url_env="T_SLACK_HOOK")
    channel = SlackChannel(settings, {"T_SLACK_HOOK": secret})
    with pytest.raises(ConnectionError) as caught:
        channel.send(sample_envelope("slack"))
    assert "SECRETTOKEN" not in str(caught.value) and "***" in str(caught.value)
    unreachable = SlackChannel(settings, {"T_SLACK_HOOK": "http://127.0.0.1:9/services/SECRET"})
    with pytest.raises(ConnectionError) as caught:
        unreachable.send(sample_envelope("slack"))
    assert "SECRET" not in str(caught.value)
    with pytest.raises(LookupError, match="T_SLACK_HOOK is not set"):
        SlackChannel(settings, {}).send(sample_envelope("slack"))


def test_a_full_digest_with_long_texts_stays_within_slack_limits(store: Store) -> None:
    long_name = "Very Long Actor Name " * 10
    alerts = [
        replace(
            load_alert(store, shift(store, actor=f"A{i}"), {"air": TOPIC}), actor_name=long_name
        )
        for i in range(MAX_ALERTS)
    ]
    alerts[0] = replace(alerts[0], claim="x" * 5000, sources=alerts[0].sources * 200)
    payload = slack_payload(Envelope("k", "slack", tuple(alerts), ("route 'r'",)))
    assert_valid_block_kit(payload)
    assert "… and" in json.dumps(
        payload, ensure_ascii=False
    )  # the sources list says what it left out
    with pytest.raises(ValueError, match="do not fit"):
        slack_payload(Envelope("k", "slack", (*alerts, alerts[0]), ()))


def gone_worker() -> str:
    """The claim tag of a dispatcher on this host whose process has exited (a SIGKILL)."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    host = worker_id().split(":")[0]
    return f"{host}:{done.stdout.strip()}:0000"


def test_a_send_interrupted_by_a_kill_is_resent_marked_as_a_possible_repeat(
    store: Store, server: FeedServer
) -> None:
    server.set("/hook", **{"body": b"ok", "headers": {"Content-Type": "text/plain"}})
    settings = AlertSettings(channels=[slack_settings(server.url("/hook"))], retry_jitter=0)
    channels = {"slack": SlackChannel(settings.channels[0])}
    interrupted, clean = shift(store, settings=settings), shift(store, "UK", settings=settings)
    now = utc_now() + timedelta(hours=1)
    [row] = [r for r in store.deliveries.due(now) if r["shift_id"] == interrupted]
    # A dispatcher claimed it (its attempt recorded before the send), then was killed mid-send.
    assert store.deliveries.claim([row["id"]], gone_worker(), now, now + timedelta(minutes=5))
    report = dispatch_due(store, channels, TOPICS, settings, now=now)
    assert (report.released, report.sent) == (1, 2)
    payloads = [json.loads(post.body) for post in server.requests_to("/hook")]
    marked = [p for p in payloads if "Possible repeat" in json.dumps(p)]
    assert len(payloads) == 2 and len(marked) == 1
    [payload] = marked
    assert_valid_block_kit(payload)
    assert payload["text"].startswith("watcher (possible repeat): United States")
    assert payload["blocks"][0]["text"]["text"].startswith("*Possible repeat:*")
    assert payload["blocks"][1]["text"]["text"] == "United States: observing → against"
    assert [a["outcome"] for a in store.deliveries.attempts(row["id"])] == ["interrupted", "sent"]
    # the other shift's first and only send carries no marker
    [other] = [p for p in payloads if p is not payload]
    assert "possible repeat" not in json.dumps(other).lower() and clean != interrupted
