"""Alert stage, pure parts: rendering, HTML sanitising, routing, backoff, quiet hours, config."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from alerting import TOPIC, add_story, day, position, record, shift
from conftest import ROOT

from watcher.alert.channels import ConsoleChannel, JsonlChannel
from watcher.alert.html_render import render_html, sanitise
from watcher.alert.message import Envelope, load_alert
from watcher.alert.render import diff_markup, render_dict, render_envelope_text
from watcher.alert.routing import DEFAULT_RULE, route_shift
from watcher.alert.schedule import backoff_delay, digest_ready, quiet_until
from watcher.config import (
    AlertSettings,
    ConfigError,
    ConsoleChannelSettings,
    JsonlChannelSettings,
    QuietHoursSettings,
    config_from_dict,
    load_config,
)
from watcher.diff import word_diff
from watcher.models import Stance
from watcher.store import Store


def envelope(store: Store, channel: str = "console") -> Envelope:
    alert = load_alert(store, shift(store), {"air": TOPIC})
    return Envelope("k1", channel, (alert,), ("route 'desk' (topics: air)",))


def test_diff_markup_shows_deletions_and_insertions() -> None:
    diff = word_diff("The US has not ruled out air cover.", "The US has refused air cover.")
    assert diff_markup(diff) == "The US has [-not ruled out-] {+refused+} air cover."


def test_text_alert_has_topic_actor_stances_marked_evidence_sources_and_footer(
    store: Store,
) -> None:
    text = render_envelope_text(envelope(store))
    assert text.splitlines()[:2] == [
        "United States now refuses air (was: undecided)",  # the change in words, first
        "watcher: United States shifted on air: observing -> against",
    ]
    assert "Claim: The US will provide air cover" in text
    assert "Before: observing (2025-06-01, Outlet seed)" in text
    assert "After: against (2025-06-11, Outlet s-air-US)" in text
    # each statement quoted as written; the diff, once, shows both
    assert '  "The US has not ruled out air cover."' in text
    assert '  "The US has refused air cover."' in text
    assert text.count("[-not ruled out-] {+refused+}") == 1
    assert "cues: refused" in text
    assert "Sources (1):\n  - Outlet: US refuses air cover (2025-06-11 12:00) [first-hand]" in text
    assert "    https://s-air-US.example/story" in text
    assert text.endswith(
        "Sent by watcher to channel 'console' because of route 'desk' (topics: air). Delivery k1."
    )


def test_json_alert_round_trips(store: Store) -> None:
    alert = load_alert(store, shift(store), {"air": TOPIC})
    data = json.loads(json.dumps(render_dict(alert)))
    assert (data["before"]["stance"], data["after"]["stance"]) == ("observing", "against")
    assert data["after"]["cues"] == ["refused"]
    assert ["replace", "not ruled out", "refused"] in data["diff"]
    assert data["sources"][0]["outlet"] == "Outlet"


def test_channels_write_where_configured(store: Store, tmp_path: Path) -> None:
    message = envelope(store)
    stream = io.StringIO()
    ConsoleChannel(ConsoleChannelSettings(type="console"), stream).send(message)
    assert "observing -> against" in stream.getvalue()
    path = tmp_path / "deep" / "alerts.jsonl"
    channel = JsonlChannel(JsonlChannelSettings(type="jsonl", path=path))
    channel.send(message)
    channel.send(message)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(line["shift_id"], line["delivery"]) for line in lines] == [(1, "k1"), (1, "k1")]


class _Elements(HTMLParser):
    """Collects start tags with their attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.tags


def test_html_marks_both_statements_and_keeps_feed_text_inert(store: Store) -> None:
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    add_story(store, "evil", title=hostile, link="javascript:alert(3)", published=day(11))
    record(store, position(Stance.OBSERVING, "The US has not ruled out air cover.", day(1)))
    refusal = f"The US has refused air cover. {hostile}"
    record(store, position(Stance.AGAINST, refusal, day(11), "evil"))
    alert = load_alert(store, 1, {"air": TOPIC})
    html = render_html(Envelope("k", "email", (alert,), ()))
    tags = elements(html)
    assert not [tag for tag, _ in tags if tag in ("script", "img", "iframe")]
    assert not [attrs for _, attrs in tags if any(name.startswith("on") for name in attrs)]
    assert all(not (attrs.get("href") or "").startswith("javascript") for _, attrs in tags)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, never run
    assert ">not ruled out</del>" in html
    assert ">refused</ins>" in html


def test_sanitise_removes_what_the_template_does_not_use() -> None:
    dirty = '<p onclick="x()" style="position:fixed;color:red">a<script>b</script></p>'
    assert sanitise(dirty) == '<p style="color:red">a</p>'


def test_routes_pick_channels_by_topic_and_confidence() -> None:
    settings = AlertSettings(
        channels=[
            ConsoleChannelSettings(type="console"),
            JsonlChannelSettings(type="jsonl"),
        ],
        routes=[
            {"name": "sure", "topics": ["air"], "min_confidence": 0.8, "channels": ["jsonl"]},
            {"channels": ["console", "jsonl"], "topics": ["air", "ground"]},
        ],
    )
    assert route_shift(settings, "air", 0.9) == {
        "jsonl": "route 'sure' (topics: air; confidence >= 0.80)",
        "console": "route 'routes[1]' (topics: air, ground)",
    }
    assert route_shift(settings, "air", 0.5) == {
        "console": "route 'routes[1]' (topics: air, ground)",
        "jsonl": "route 'routes[1]' (topics: air, ground)",
    }
    assert route_shift(settings, "sea", 0.99) == {}
    assert route_shift(AlertSettings(), "sea", 0.1) == {"console": DEFAULT_RULE}


def test_backoff_doubles_up_to_the_cap_and_jitter_only_shortens() -> None:
    delays = [backoff_delay(n, 30, 600, 0.2, lambda: 0.0) for n in range(1, 7)]
    assert delays == [30, 60, 120, 240, 480, 600]
    assert backoff_delay(2, 30, 600, 0.2, lambda: 1.0) == pytest.approx(48)


def test_quiet_hours_across_midnight_in_a_time_zone() -> None:
    quiet = QuietHoursSettings(start=time(22), end=time(7), timezone="Europe/Paris")
    # 21:30 UTC in June is 23:30 in Paris: quiet until 07:00 Paris = 05:00 UTC next day
    assert quiet_until(datetime(2025, 6, 11, 21, 30, tzinfo=UTC), quiet) == datetime(
        2025, 6, 12, 5, 0, tzinfo=UTC
    )
    assert quiet_until(datetime(2025, 6, 12, 3, 0, tzinfo=UTC), quiet) == datetime(
        2025, 6, 12, 5, 0, tzinfo=UTC
    )
    assert quiet_until(datetime(2025, 6, 12, 5, 0, tzinfo=UTC), quiet) is None
    assert quiet_until(datetime(2025, 6, 11, 12, 0, tzinfo=UTC), quiet) is None
    daytime = QuietHoursSettings(start=time(12), end=time(14))
    assert quiet_until(datetime(2025, 6, 11, 13, 0, tzinfo=UTC), daytime) == datetime(
        2025, 6, 11, 14, 0, tzinfo=UTC
    )


def test_digest_waits_for_its_window() -> None:
    assert not digest_ready(day(1, 12), 600, datetime(2025, 6, 1, 12, 9, tzinfo=UTC))
    assert digest_ready(day(1, 12), 600, datetime(2025, 6, 1, 12, 10, tzinfo=UTC))


@pytest.mark.parametrize(
    ("alerts", "message"),
    [
        ({"routes": [{"channels": ["nope"]}]}, "alerts: routes[0].channels: no channel named nope"),
        (
            {"routes": [{"channels": ["console"], "topics": ["nope"]}]},
            "alerts.routes[0].topics: no topic named nope",
        ),
        (
            {"channels": [{"type": "slack", "webhook_url": "https://h.example/x"}], "lease": 10},
            "lease (10s) must be longer than the slowest channel timeout (15s)",
        ),
        (
            {"channels": [{"type": "slack"}]},
            "alerts.channels[0]: set exactly one of webhook_url and webhook_url_env",
        ),
        (
            {"channels": [{"type": "email", "host": "h", "sender": "a@b.example", "to": []}]},
            "alerts.channels[0].to: List should have at least 1 item",
        ),
        (
            {"channels": [{"type": "console", "quiet_hours": {"start": "22:00", "end": "7"}}]},
            "alerts.channels[0].quiet_hours.end",
        ),
        (
            {"channels": [{"type": "console", "digest": "soon"}]},
            "alerts.channels[0].digest: 'soon' is not a duration",
        ),
        ({"retry_initial": 0}, "alerts.retry_initial: Input should be greater than 0"),
    ],
)
def test_alert_config_errors_name_the_key(alerts: dict, message: str) -> None:
    raw = {
        "alerts": alerts,
        "topics": [
            {"id": "air", "claim": TOPIC.claim, "terms": ["air cover"], "actors": [{"id": "US"}]}
        ],
    }
    with pytest.raises(ConfigError) as caught:
        config_from_dict(raw, source="w.toml")
    assert message in str(caught.value)


def test_example_config_alerts_section_is_valid() -> None:
    alerts = load_config(ROOT / "config" / "watcher.example.toml").alerts
    assert {c.type for c in alerts.channels} >= {"console", "jsonl", "email", "slack"}
    assert alerts.routes
