"""Logging: readable or JSON lines, and never a secret, whatever the message carries."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from watcher import logs, redact
from watcher.cli import cli
from watcher.config import config_from_dict

SECRET_PASSWORD = "pa55-w0rd-for-smtp"
SECRET_HOOK = "https://hooks.slack.example/services/T000/B000/XXXXsecretXXXX"


@pytest.fixture
def emit() -> Iterator[tuple[logging.Logger, dict[str, io.StringIO]]]:
    """A logger writing through both formatters into strings."""
    logger = logging.getLogger("watcher.test_logs")
    outputs = {"human": io.StringIO(), "json": io.StringIO()}
    handlers = []
    for name, stream in outputs.items():
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logs.make_formatter(name))
        logger.addHandler(handler)
        handlers.append(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, outputs
    for handler in handlers:
        logger.removeHandler(handler)
    logger.propagate = True


def config_with_secrets() -> dict:
    return {
        "alerts": {
            "channels": [
                {
                    "type": "email",
                    "host": "127.0.0.1",
                    "sender": "w@example.org",
                    "to": ["desk@example.org"],
                    "username_env": "TEST_SMTP_USER",
                    "password_env": "TEST_SMTP_PASSWORD",
                },
                {"type": "slack", "webhook_url_env": "TEST_SLACK_HOOK"},
                {"type": "slack", "name": "inline", "webhook_url": SECRET_HOOK + "2"},
            ]
        }
    }


def test_secrets_in_finds_what_the_config_points_at() -> None:
    config = config_from_dict(config_with_secrets(), "test.toml")
    environ = {
        "TEST_SMTP_USER": "watcher",
        "TEST_SMTP_PASSWORD": SECRET_PASSWORD,
        "TEST_SLACK_HOOK": SECRET_HOOK,
        "UNRELATED": "not-a-secret",
    }
    path = "/services/T000/B000/XXXXsecretXXXX"  # an error page may echo it without the host
    assert redact.secrets_in(config, environ) == {
        "watcher",
        SECRET_PASSWORD,
        SECRET_HOOK,
        SECRET_HOOK + "2",
        path,
        path + "2",
    }


def test_a_variable_with_several_urls_protects_each() -> None:
    raw = {"alerts": {"channels": [{"type": "slack", "webhook_url_env": "HOOKS"}]}}
    config = config_from_dict(raw, "test.toml")
    found = redact.secrets_in(config, {"HOOKS": "https://a.example/t1  https://b.example/t2"})
    assert {"https://a.example/t1", "https://b.example/t2"} <= found


def test_protected_secrets_never_reach_either_format(emit, monkeypatch) -> None:
    logger, outputs = emit
    monkeypatch.setenv("TEST_SMTP_USER", "watcher-user")
    monkeypatch.setenv("TEST_SMTP_PASSWORD", SECRET_PASSWORD)
    monkeypatch.setenv("TEST_SLACK_HOOK", SECRET_HOOK)
    redact.protect(config_from_dict(config_with_secrets(), "test.toml"))

    logger.warning("login as %s with %s failed", "watcher-user", SECRET_PASSWORD)
    logger.info("posting", extra={"target": SECRET_HOOK, "attempt": 2})
    try:
        raise ConnectionError(f"cannot reach {SECRET_HOOK}")
    except ConnectionError:
        logger.exception("delivery failed")

    for text in (stream.getvalue() for stream in outputs.values()):
        assert SECRET_PASSWORD not in text and "XXXXsecretXXXX" not in text
        assert "watcher-user" not in text
        assert text.count(redact.MASK) >= 3  # the human format leaves extras out
    records = [json.loads(line) for line in outputs["json"].getvalue().splitlines()]
    assert records[0]["message"] == f"login as {redact.MASK} with {redact.MASK} failed"
    assert records[1]["target"] == redact.MASK and records[1]["attempt"] == 2
    assert "ConnectionError" in records[2]["exception"]


def test_credentials_in_urls_are_masked(emit) -> None:
    logger, outputs = emit
    logger.error("fetch https://alice:s3cr3t@feeds.example/rss failed")
    for text in (stream.getvalue() for stream in outputs.values()):
        assert "s3cr3t" not in text and "alice" not in text
        assert "https://***@feeds.example/rss" in text


def test_json_lines_carry_time_level_logger_and_extras(emit) -> None:
    logger, outputs = emit
    logger.info("polled %s", "feed", extra={"feed": "https://a.example/rss", "new_stories": 3})
    (record,) = [json.loads(line) for line in outputs["json"].getvalue().splitlines()]
    assert record["level"] == "INFO" and record["logger"] == "watcher.test_logs"
    assert record["message"] == "polled feed"
    assert (record["feed"], record["new_stories"]) == ("https://a.example/rss", 3)
    assert record["time"].endswith("+00:00")
    human = outputs["human"].getvalue()
    assert " INFO watcher.test_logs: polled feed" in human and "{" not in human


def test_a_redactor_never_forgets_a_secret() -> None:
    redactor = redact.Redactor()
    redactor.protect(["first-secret"])
    redactor.protect(["second-secret", ""])
    assert redactor("first-secret and second-secret") == "*** and ***"


def test_an_unknown_log_format_is_a_usage_error(monkeypatch) -> None:
    monkeypatch.setenv("WATCHER_LOG_FORMAT", "xml")
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 2
    assert "WATCHER_LOG_FORMAT" in result.output and "xml" in result.output
