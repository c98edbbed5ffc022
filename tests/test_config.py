"""Config loading: valid files load; every problem names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from watcher.config import ConfigError, load_config, parse_duration

VALID = """
[fetch]
default_interval = "30m"
timeout = 15

[[feeds]]
url = "https://news.example/rss.xml"
interval = "2h"

[[feeds]]
url = "file:///var/feeds/local.xml"

[[topics]]
id = "coalition-air-cover"
claim = "The US will provide air cover for European forces in Ukraine"
terms = ["air cover", "backstop"]
  [[topics.actors]]
  id = "US"
  aliases = ["Washington"]

[[alerts.channels]]
type = "jsonl"
path = "out/alerts.jsonl"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "watcher.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problem(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    return str(caught.value)


def test_valid_config_loads_with_durations_and_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID))
    assert config.fetch.default_interval == 1800
    assert config.feeds[0].interval == 7200
    assert config.feeds[1].interval is None
    topic = config.topic_list()[0]
    assert topic.actors[0].name == "US"  # name defaults to the id
    assert "Washington" in topic.actors[0].names
    assert config.alerts.channels[0].path == Path("out/alerts.jsonl")
    assert config.watcher.database == Path("data/watcher.db")


def test_unknown_key_names_file_and_key(tmp_path: Path) -> None:
    message = problem(tmp_path, VALID.replace('interval = "2h"', 'intervall = "2h"'))
    assert message == f"{tmp_path / 'watcher.toml'}: feeds[0].intervall: " + (
        "unknown key (check the spelling; see config/watcher.example.toml)"
    )


def test_missing_claim_names_the_topic_key(tmp_path: Path) -> None:
    text = VALID.replace(
        'claim = "The US will provide air cover for European forces in Ukraine"\n', ""
    )
    message = problem(tmp_path, text)
    assert message.endswith("topics[0].claim: required key is missing")
    assert message.count("\n") == 0  # one clear message, not a pydantic dump


def test_bad_url_is_rejected(tmp_path: Path) -> None:
    message = problem(tmp_path, VALID.replace("https://news.example/rss.xml", "ftp://x/y"))
    assert "feeds[0].url" in message
    assert "'ftp://x/y' is not an http(s) URL" in message


def test_bad_channel_key_path_skips_the_type_tag(tmp_path: Path) -> None:
    message = problem(tmp_path, VALID.replace('path = "out/alerts.jsonl"', "colour = 1"))
    assert ": alerts.channels[0].colour: unknown key" in message


def test_unknown_channel_type_is_named(tmp_path: Path) -> None:
    message = problem(tmp_path, VALID.replace('type = "jsonl"', 'type = "pigeon"'))
    assert "alerts.channels[0]" in message
    assert "pigeon" in message


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    assert "not valid TOML" in problem(tmp_path, "[feeds\n")
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "absent.toml")


def test_repeated_topic_ids_are_rejected(tmp_path: Path) -> None:
    topic = VALID[VALID.index("[[topics]]") : VALID.index("[[alerts.channels]]")]
    assert "topics repeated: coalition-air-cover" in problem(tmp_path, VALID + topic)


@pytest.mark.parametrize(
    ("value", "seconds"), [(90, 90), ("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400)]
)
def test_durations(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["soon", "-5m", True])
def test_bad_durations(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


def test_example_configs_are_valid() -> None:
    root = Path(__file__).resolve().parents[1]
    for path in [*sorted((root / "config").glob("*.toml")), root / "seeds" / "demo.toml"]:
        load_config(path)
