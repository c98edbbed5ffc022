"""The Apprise channel (optional extra) against a local HTTP endpoint, through Apprise's generic
``json://`` service, which posts the notification as JSON like many webhook services do."""

from __future__ import annotations

import json

import pytest
from alerting import TOPIC, shift
from feedserver import FeedServer

from watcher.alert.apprise_channel import AppriseChannel
from watcher.alert.base import PermanentFailure
from watcher.alert.dispatch import dispatch_due
from watcher.alert.sample import sample_envelope
from watcher.config import AlertSettings, AppriseChannelSettings
from watcher.store import Store


def apprise_settings(**options: object) -> AppriseChannelSettings:
    return AppriseChannelSettings.model_validate({"type": "apprise", **options})


def test_an_alert_reaches_an_apprise_url_taken_from_the_environment(store: Store) -> None:
    with FeedServer() as server:
        server.set("/notify", body=b"{}", headers={"Content-Type": "application/json"})
        url = f"json://127.0.0.1:{server.port}/notify"
        settings = AlertSettings(channels=[apprise_settings(urls_env="T_APPRISE_URLS")])
        shift(store, settings=settings)
        channel = AppriseChannel(settings.channels[0], {"T_APPRISE_URLS": url})
        assert dispatch_due(store, {"apprise": channel}, {"air": TOPIC}, settings).sent == 1
        [request] = server.requests_to("/notify")
    body = json.loads(request.body)
    assert body["title"] == "watcher: United States shifted on air: observing -> against"
    assert '"The US has refused air cover."' in body["message"]
    assert "Sources (1):" in body["message"]


def test_apprise_failures_are_reported_without_the_url(store: Store) -> None:
    with FeedServer() as server:
        server.set("/notify", status=500)
        secret = f"json://127.0.0.1:{server.port}/notify?token=SECRET"
        channel = AppriseChannel(apprise_settings(urls=[secret]))
        with pytest.raises(ConnectionError) as caught:
            channel.send(sample_envelope("apprise"))
    assert "Apprise could not notify" in str(caught.value)
    assert "SECRET" not in str(caught.value)
    with pytest.raises(PermanentFailure, match="URL #1 is not valid"):
        AppriseChannel(apprise_settings(urls=["nosuchservice://x"])).send(sample_envelope("a"))
