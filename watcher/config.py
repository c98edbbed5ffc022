"""Configuration: a TOML file validated by pydantic.

Every validation problem is reported as ``FILE: KEY: message`` so the user knows where to look.
Secrets never live in the file: settings ending in ``_env`` name the environment variable to read.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from watcher.models import Actor, Topic

DEFAULT_CONFIG_PATH = Path("watcher.toml")


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file and the key."""


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$")
_DURATION_UNITS = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_duration(value: Any) -> float:
    """Seconds from a number or a string such as "90s", "15m", "2h", "1d"."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 90, '15m' or '2h'")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        found = _DURATION.match(str(value))
        if not found:
            raise ValueError(f"{value!r} is not a duration such as 90, '15m' or '2h'")
        seconds = float(found.group(1)) * _DURATION_UNITS[found.group(2)]
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WatcherSettings(_Strict):
    """The ``[watcher]`` table: where data lives."""

    database: Path = Path("data/watcher.db")


class FetchSettings(_Strict):
    """The ``[fetch]`` table: limits that keep polling polite and bounded."""

    timeout: Duration = 20.0
    max_bytes: int = Field(default=5_000_000, gt=0)
    concurrency: int = Field(default=8, gt=0)
    per_host_concurrency: int = Field(default=2, gt=0)
    contact: str = ""  # put in the User-Agent so feed owners can reach the operator
    default_interval: Duration = 900.0
    jitter: float = 0.1  # share of the interval added at random


class FeedSettings(_Strict):
    """One ``[[feeds]]`` entry."""

    url: str
    name: str = ""
    interval: Duration | None = None
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _check_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            return url
        if parts.scheme == "file" or (not parts.scheme and url.strip()):
            return url  # local files: tests, demo, offline use
        raise ValueError(f"{url!r} is not an http(s) URL, a file:// URL or a path")


class ActorSettings(_Strict):
    """One ``[[topics.actors]]`` entry."""

    id: str = Field(min_length=1)
    name: str = ""
    aliases: list[str] = []


class TopicSettings(_Strict):
    """One ``[[topics]]`` entry: a claim and the actors whose stance on it is tracked."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][\w.\-]*$")
    claim: str = Field(min_length=8)
    terms: list[str] = []
    actors: list[ActorSettings] = Field(min_length=1)
    min_score: float = Field(default=0.0, ge=0, le=100)

    def to_topic(self) -> Topic:
        """The plain dataclass the pipeline stages use."""
        return Topic(
            id=self.id,
            claim=self.claim,
            terms=tuple(self.terms),
            actors=tuple(
                Actor(id=a.id, name=a.name or a.id, aliases=tuple(a.aliases)) for a in self.actors
            ),
            min_score=self.min_score,
        )


class ShiftSettings(_Strict):
    """The ``[shifts]`` table: what counts as a change of stance."""

    alert_on_baseline: bool = False  # the first position ever seen is a baseline, not a shift
    # observing -> for/against (an open position hardens) and back; flips are always shifts
    commitment_changes: bool = True
    min_confidence: float = Field(default=0.5, ge=0, le=1)


class ConsoleChannelSettings(_Strict):
    """Print alerts to standard output."""

    type: Literal["console"]
    name: str = "console"


class JsonlChannelSettings(_Strict):
    """Append alerts, one JSON object per line, to a file."""

    type: Literal["jsonl"]
    name: str = "jsonl"
    path: Path = Path("data/alerts.jsonl")


ChannelSettings = Annotated[
    ConsoleChannelSettings | JsonlChannelSettings, Field(discriminator="type")
]


class AlertSettings(_Strict):
    """The ``[alerts]`` table."""

    channels: list[ChannelSettings] = [ConsoleChannelSettings(type="console")]

    @model_validator(mode="after")
    def _unique_names(self) -> AlertSettings:
        names = [c.name for c in self.channels]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"channel names must be unique; repeated: {', '.join(duplicated)}")
        return self


class Config(_Strict):
    """The whole configuration file."""

    watcher: WatcherSettings = WatcherSettings()
    fetch: FetchSettings = FetchSettings()
    shifts: ShiftSettings = ShiftSettings()
    alerts: AlertSettings = AlertSettings()
    feeds: list[FeedSettings] = []
    topics: list[TopicSettings] = []

    @model_validator(mode="after")
    def _unique_ids(self) -> Config:
        for what, ids in (
            ("feeds", [f.url for f in self.feeds]),
            ("topics", [t.id for t in self.topics]),
        ):
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            if repeated:
                raise ValueError(f"{what} repeated: {', '.join(repeated)}")
        return self

    def topic_list(self) -> list[Topic]:
        """The tracked topics as pipeline dataclasses."""
        return [t.to_topic() for t in self.topics]


def load_config(path: Path | str) -> Config:
    """Read and validate a config file (relative paths in it are relative to the working dir)."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    return config_from_dict(raw, source=str(path))


def config_from_dict(raw: dict[str, Any], source: str) -> Config:
    """Validate already-parsed settings; ``source`` names them in error messages."""
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, source)) from None


def describe_validation_error(exc: ValidationError, source: str) -> str:
    """One ``FILE: KEY: message`` line per problem pydantic found."""
    lines = []
    for error in exc.errors():
        key = _key_path(error["loc"])
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; see config/watcher.example.toml)"
        elif error["type"] == "missing":
            message = "required key is missing"
        elif error["type"] == "value_error":
            message = message.removeprefix("Value error, ")
        lines.append(f"{source}: {key}: {message}" if key else f"{source}: {message}")
    return "\n".join(lines)


def _key_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for position, item in enumerate(loc):
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif (
            position >= 2 and loc[position - 2] == "channels" and isinstance(loc[position - 1], int)
        ):
            continue  # pydantic puts the channel's type tag here; it is not a user key
        elif item.startswith("function-"):
            continue  # a validator's label, not a user key
        else:
            parts.append(f".{item}" if parts else item)
    return "".join(parts)
