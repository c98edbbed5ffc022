"""No secret leaves watcher: not on screen, not in the database, not in alerts or the Atom feed.

A webhook that echoes its secret path in an error, a feed URL with a password and a token, and
an error body of 100 KB go through the real channel, store and commands.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from alerting import AFTER, BEFORE, TOPIC, add_story, day, position, record
from click.testing import CliRunner
from feedserver import FeedServer

from watcher.alert.dispatch import dispatch_due
from watcher.alert.render import render_envelope_text
from watcher.alert.slack import SlackChannel
from watcher.cli import cli
from watcher.config import AlertSettings, FeedSettings, config_from_dict
from watcher.history.atom import shift_feed
from watcher.models import FetchResult, Stance
from watcher.redact import Redactor, error_text, identifying_parts, redact, redact_url
from watcher.store import Store

SECRET = "SECRETsecret0123456789ab"
HOOK_PATH = f"/services/T000/B000/{SECRET}"
FEED = "https://alice:pa55word@feeds.example/private.xml?token=tok-9f8e7d6c5b4a"
LEAKS = (SECRET, "pa55word", "tok-9f8e7d6c5b4a", "alice:")


def assert_clean(text: str) -> None:
    for leak in LEAKS:
        assert leak not in text, f"{leak!r} leaked in:\n{text}"


def write_config(tmp_path: Path, hook_env: str = "WATCHER_TEST_HOOK") -> Path:
    path = tmp_path / "watcher.toml"
    path.write_text(
        f'[watcher]\ndatabase = "{tmp_path / "watcher.db"}"\n'
        f'[[feeds]]\nurl = "{FEED}"\n'
        f'[alerts]\n[[alerts.channels]]\ntype = "slack"\nwebhook_url_env = "{hook_env}"\n',
        encoding="utf-8",
    )
    return path


def queue_a_shift(store: Store, settings: AlertSettings | None = None) -> int:
    """A shift reported by FEED, which has no name: its URL stands for the outlet."""
    add_story(store, "s1", feed=FEED, outlet="", published=day(11))
    record(store, position(Stance.OBSERVING, BEFORE, day(1)), settings)
    after = position(Stance.AGAINST, AFTER, day(11), "s1", cues=("refused",))
    _, shift_id = record(store, after, settings)
    assert shift_id is not None
    return shift_id


def run(*args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result.output


@pytest.fixture(autouse=True)
def fresh_redactor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test registers its own secrets, as a new process would."""
    monkeypatch.setattr("watcher.redact.REDACTOR", Redactor())
    monkeypatch.setattr("watcher.logs.REDACTOR", Redactor())


def test_a_webhook_echoing_its_secret_path_leaks_it_nowhere(
    tmp_path: Path, server: FeedServer
) -> None:
    server.set(HOOK_PATH, f"invalid_token {HOOK_PATH}", status=403)
    hook = server.url(HOOK_PATH)
    config_path = write_config(tmp_path)
    env = {"WATCHER_TEST_HOOK": hook}
    config = config_from_dict(
        {"alerts": {"channels": [{"type": "slack", "webhook_url_env": "WATCHER_TEST_HOOK"}]}},
        "test",
    )
    with Store(tmp_path / "watcher.db") as store:
        queue_a_shift(store, config.alerts)
        channel = SlackChannel(config.alerts.channels[0], env)
        report = dispatch_due(store, {"slack": channel}, {"air": TOPIC}, config.alerts)
        assert report.dead == 1  # 403: permanent
        stored = json.dumps(store.deliveries.all()) + json.dumps(store.deliveries.attempts(1))
    assert "invalid_token" in stored and "Slack answered 403" in stored
    assert_clean(stored)

    args = ["-c", str(config_path)]
    for command in (["alerts", "list"], ["alerts", "list", "--json"], ["alerts", "show", "1"]):
        output = run(*args, *command, env=env)
        assert "invalid_token" in output
        assert_clean(output)
    for command in (["status"], ["status", "--json"]):
        output = run(*args, *command, env=env)
        assert "feeds.example/private.xml" in output
        assert_clean(output)


def test_status_without_a_config_still_masks_what_the_database_holds(tmp_path: Path) -> None:
    """Rows written before a secret was known (or by an older watcher) are masked on output."""
    database = tmp_path / "watcher.db"
    with Store(database) as store:
        store.feeds.sync([FeedSettings(url=FEED)])
    with sqlite3.connect(database) as db:  # as an older version would have stored it
        db.execute(
            "UPDATE feeds SET last_error = ?, consecutive_failures = 1",
            [f"ConnectError: {FEED} answered 403 for {HOOK_PATH}"],
        )
    for command in (["status"], ["status", "--json"]):
        output = run("--db", str(database), *command)
        assert "ConnectError" in output
        assert_clean(output)


def test_feed_urls_in_alerts_and_the_atom_feed_carry_no_credentials(store: Store) -> None:
    shift_id = queue_a_shift(store)
    alerts: list[str] = []

    class Keep:
        name, max_batch = "keep", 1

        def send(self, envelope) -> None:
            alerts.append(render_envelope_text(envelope))

    settings = AlertSettings.model_validate({"channels": [{"type": "console", "name": "keep"}]})
    store.deliveries.enqueue(shift_id, {"keep": "test"})
    dispatch_due(store, {"keep": Keep()}, {"air": TOPIC}, settings)
    atom = shift_feed(store, topics={"air": TOPIC}).decode()
    assert alerts and "feeds.example/private.xml" in alerts[0]
    assert "feeds.example/private.xml" in atom
    assert_clean(alerts[0] + atom)


def test_error_text_from_the_far_end_is_one_short_line(store: Store) -> None:
    url = "https://feeds.example/a.xml"
    store.feeds.sync([FeedSettings(url=url)])
    huge = "<html>\n" + "x" * 100_000 + f"\n{HOOK_PATH}</html>"
    store.feeds.record_fetch(FetchResult(url=url, final_url=url, status=500, error=huge))
    [error] = store.feeds.errors(url)
    assert len(error["message"]) <= 300 and "\n" not in error["message"]
    assert store.feeds.get(url)["last_error"] == error["message"]


def test_redact_masks_credentials_it_was_never_told_about() -> None:
    text = (
        "GET https://bob:hunter22@h.example/x?page=2&api_key=K3Y-value&sig=abc "
        f"answered 403 {HOOK_PATH} for xoxb-1234-5678-abcdefgh"
    )
    masked = redact(text)
    for leak in ("hunter22", "bob:", "K3Y-value", "sig=abc", SECRET, "xoxb-1234"):
        assert leak not in masked
    assert "page=2" in masked and "https://***@h.example/x" in masked


def test_a_secret_urls_identifying_parts_are_masked_alone() -> None:
    hook = "https://chat.example/hooks/Zq8secretTokenValue123?auth=0123456789abcdef"
    parts = identifying_parts(hook)
    assert {hook, "/hooks/Zq8secretTokenValue123", "Zq8secretTokenValue123"} <= parts
    assert "0123456789abcdef" in parts
    assert "hooks" not in parts  # too common to be a secret on its own
    redactor = Redactor()
    redactor.protect(parts)
    assert "Zq8secret" not in redactor("404 no such hook: Zq8secretTokenValue123")


def test_error_text_truncates_and_redact_url_drops_query_and_userinfo() -> None:
    assert len(error_text("word " * 1_000)) == 300
    assert error_text("a\n  b\tc") == "a b c"
    assert redact_url(FEED) == "https://feeds.example/private.xml"
