"""Configuration: a TOML file validated by pydantic.

Every validation problem is reported as ``FILE: KEY: message`` so the user knows where to look.
Secrets never live in the file: settings ending in ``_env`` name the environment variable to read.
"""

from __future__ import annotations

import importlib.util
import math
import re
import tomllib
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
from watcher.redact import redact_url

DEFAULT_CONFIG_PATH = Path("watcher.toml")


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file and the key."""


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$")
_DURATION_UNITS = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
# Longer than any schedule needs, short enough for every date computation (1e20 s overflows).
MAX_DURATION = 10 * 365 * 86400.0
# The largest body a feed may have: more is no feed, and sizes beyond C's long overflow.
MAX_BODY_BYTES = 1 << 30


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
    if not math.isfinite(seconds) or seconds > MAX_DURATION:
        raise ValueError(
            f"a duration must be a number of seconds up to {MAX_DURATION:.0f} (10 years)"
        )
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

    timeout: Annotated[Duration, Field(gt=0)] = 20.0
    max_bytes: int = Field(default=5_000_000, gt=0, le=MAX_BODY_BYTES)
    concurrency: int = Field(default=8, gt=0)
    per_host_concurrency: int = Field(default=2, gt=0)
    contact: str = ""  # put in the User-Agent so feed owners can reach the operator
    default_interval: Annotated[Duration, Field(gt=0)] = 900.0
    jitter: float = Field(default=0.1, ge=0, le=1)  # share of the interval added at random
    max_backoff: Annotated[Duration, Field(gt=0)] = 21600.0  # longest wait after failures
    # Longest wait a feed may ask for (RSS ttl, sy:updatePeriod, Cache-Control max-age,
    # Retry-After): a feed's own hint never silences it for longer.
    max_feed_hint: Annotated[Duration, Field(gt=0)] = 86400.0


class ArticleSettings(_Strict):
    """The ``[articles]`` table: when and how politely the linked article pages are read.

    Requests use the ``[fetch]`` client and limits (timeout, body cap, per-host concurrency,
    User-Agent with the contact) and honour robots.txt.
    """

    # ``articles = "auto"`` reads the article when the entry's own text is shorter than this:
    # a summary or a teaser, not the story.
    min_chars: int = Field(default=600, ge=0)
    # In "auto", read only entries whose title or summary matches a topic's terms or names one
    # of its actors; false reads every short entry (see docs/benchmarks.md for the cost).
    relevant_only: bool = True
    host_delay: Duration = 1.0  # at least this long between two article requests to one host
    # Extracted text shorter than this is a paywall stub or an empty page: the summary is used.
    min_text_chars: int = Field(default=200, ge=0)


class DaemonSettings(_Strict):
    """The ``[daemon]`` table: how ``watcher run`` schedules its work and reports its health."""

    dispatch_interval: Annotated[Duration, Field(gt=0)] = 30.0  # how often queued alerts go out
    heartbeat_interval: Annotated[Duration, Field(gt=0)] = 15.0
    stale_after: Annotated[Duration, Field(gt=0)] = 90.0  # then `watcher status` fails
    # A poll later than this (the machine slept, the process stalled) is not run at once but
    # moved to a random point within the feed's interval, so a wake-up is not a burst.
    misfire_grace: Duration = 60.0
    shutdown_grace: Duration = 5.0  # on SIGTERM, in-flight polls may finish within this
    metrics_port: int | None = Field(default=None, ge=1, le=65535)  # Prometheus endpoint
    metrics_address: str = "127.0.0.1"

    @field_validator("metrics_port")
    @classmethod
    def _metrics_installed(cls, port: int | None) -> int | None:
        if port is not None and importlib.util.find_spec("prometheus_client") is None:
            raise ValueError("metrics need the extra: pip install 'watcher[metrics]'")
        return port

    @model_validator(mode="after")
    def _stale_after_a_missed_beat(self) -> DaemonSettings:
        if self.stale_after <= self.heartbeat_interval:
            raise ValueError("stale_after must be longer than heartbeat_interval")
        return self


class FeedSettings(_Strict):
    """One ``[[feeds]]`` entry."""

    url: str
    name: str = ""
    interval: Annotated[Duration, Field(gt=0)] | None = None
    enabled: bool = True
    # Read the linked article: "auto" when the entry's text is short (see [articles]), "always"
    # for every entry (teaser feeds, digests), "never" (the feed carries the whole story).
    articles: Literal["auto", "always", "never"] = "auto"

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
    title: str = ""  # a human name for subjects and headings; default: the id
    claim: str = Field(min_length=8)
    terms: list[str] = Field(default=[], validate_default=True)  # checked even when left out
    actors: list[ActorSettings] = Field(min_length=1)
    min_score: float = Field(default=0.0, ge=0, le=100)

    @field_validator("terms")
    @classmethod
    def _findable(cls, terms: list[str]) -> list[str]:
        if not terms:
            raise ValueError("a topic needs at least one term, or no story is ever matched to it")
        empty = [f"terms[{index}]" for index, term in enumerate(terms) if not term.strip()]
        if empty:
            raise ValueError(f"{', '.join(empty)}: an empty term matches nothing")
        return terms

    def to_topic(self) -> Topic:
        """The plain dataclass the pipeline stages use."""
        return Topic(
            id=self.id,
            title=self.title or self.id,
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


class JudgeSettings(_Strict):
    """The ``[stance.judge]`` table: a language model asked to confirm each candidate shift.

    Any OpenAI-compatible chat-completions endpoint (Ollama, vLLM, llama.cpp, a hosted API).
    """

    base_url: str  # up to /v1, e.g. "http://127.0.0.1:11434/v1"; /chat/completions is added
    model: str = Field(min_length=1)
    api_key_env: str | None = None  # the environment variable holding the API key, if any
    timeout: Annotated[Duration, Field(gt=0)] = 60.0
    max_calls_per_hour: int = Field(default=60, ge=1)
    # "alert": when the judge cannot answer, send the alert with a note; "hold": keep it queued
    on_error: Literal["alert", "hold"] = "alert"
    # "withhold": a shift the judge disputes is recorded as disputed and not sent
    on_dispute: Literal["withhold", "alert"] = "withhold"
    # "json_schema" (structured output); "json_object" for servers that only know JSON mode
    response_format: Literal["json_schema", "json_object"] = "json_schema"

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{url!r} is not an http(s) URL such as http://127.0.0.1:11434/v1")
        return url.rstrip("/")


class StanceSettings(_Strict):
    """The ``[stance]`` table: how stances are read and shifts confirmed."""

    # "light": the pure-Python statement model; "model": the cross-encoder on onnxruntime
    # (pip install 'watcher[model]'), falling back to "light" with a warning when it is absent
    engine: Literal["light", "model"] = "light"
    judge: JudgeSettings | None = None  # off unless configured


class QuietHoursSettings(_Strict):
    """A daily window in which a channel holds its alerts; they go out when it ends."""

    start: time
    end: time
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{name!r} is not a known time zone (e.g. 'Europe/Paris')") from None
        return name

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHoursSettings:
        if self.start == self.end:
            raise ValueError("quiet_hours start and end are the same time")
        return self


class _ChannelSettings(_Strict):
    """What every channel has: a unique name, digest mode and quiet hours."""

    name: str
    digest: Duration = 0.0  # > 0: collect this long from the first queued alert, send one message
    quiet_hours: QuietHoursSettings | None = None
    # after a shift's alert went out: one short follow-up when other outlets report it too
    updates: bool = False


class ConsoleChannelSettings(_ChannelSettings):
    """Print alerts to standard output."""

    type: Literal["console"]
    name: str = "console"


class JsonlChannelSettings(_ChannelSettings):
    """Append alerts, one JSON object per line, to a file."""

    type: Literal["jsonl"]
    name: str = "jsonl"
    path: Path = Path("data/alerts.jsonl")


class EmailChannelSettings(_ChannelSettings):
    """Send alerts by SMTP; the credentials come from environment variables."""

    type: Literal["email"]
    name: str = "email"
    host: str = Field(min_length=1)
    port: int | None = Field(default=None, gt=0, lt=65536)  # default: 25, 587 or 465 by security
    security: Literal["none", "starttls", "ssl"] = "starttls"
    username_env: str | None = None  # names of environment variables, never the secrets
    password_env: str | None = None
    ca_file: Path | None = None  # trust this CA bundle as well (a private mail server)
    sender: str = Field(min_length=3, pattern=r"@")
    to: list[Annotated[str, Field(pattern=r"@")]] = Field(min_length=1)
    subject_prefix: str = "[watcher]"
    timeout: Duration = 30.0

    @model_validator(mode="after")
    def _credentials_in_pairs(self) -> EmailChannelSettings:
        if bool(self.username_env) != bool(self.password_env):
            raise ValueError("set both username_env and password_env, or neither")
        return self


class SlackChannelSettings(_ChannelSettings):
    """Post alerts to a Slack incoming webhook (its URL is a secret: prefer the environment)."""

    type: Literal["slack"]
    name: str = "slack"
    webhook_url: str | None = None
    webhook_url_env: str | None = None
    timeout: Duration = 15.0

    @model_validator(mode="after")
    def _one_webhook(self) -> SlackChannelSettings:
        if bool(self.webhook_url) == bool(self.webhook_url_env):
            raise ValueError("set exactly one of webhook_url and webhook_url_env")
        if self.webhook_url and urlsplit(self.webhook_url).scheme not in ("http", "https"):
            raise ValueError("webhook_url must be an http(s) URL")
        return self


class AppriseChannelSettings(_ChannelSettings):
    """Send alerts to Apprise URLs (Telegram, Teams, Discord, ntfy, ...): the `apprise` extra."""

    type: Literal["apprise"]
    name: str = "apprise"
    urls: list[str] = []
    urls_env: str | None = None  # an environment variable holding URLs, whitespace-separated

    @model_validator(mode="after")
    def _has_urls_and_apprise(self) -> AppriseChannelSettings:
        if not self.urls and not self.urls_env:
            raise ValueError("set urls or urls_env")
        if importlib.util.find_spec("apprise") is None:
            raise ValueError("the apprise channel needs the extra: pip install 'watcher[apprise]'")
        return self


ChannelSettings = Annotated[
    ConsoleChannelSettings
    | JsonlChannelSettings
    | EmailChannelSettings
    | SlackChannelSettings
    | AppriseChannelSettings,
    Field(discriminator="type"),
]


class RouteSettings(_Strict):
    """One ``[[alerts.routes]]`` rule: which shifts go to which channels."""

    name: str = ""  # shown in each alert's footer; default "routes[N]"
    topics: list[str] = []  # empty: every topic
    min_confidence: float = Field(default=0.0, ge=0, le=1)  # of the new position
    channels: list[str] = Field(min_length=1)


class AlertSettings(_Strict):
    """The ``[alerts]`` table: channels, routes, and how the outbox retries."""

    channels: list[ChannelSettings] = [ConsoleChannelSettings(type="console")]
    routes: list[RouteSettings] = []  # none: every shift goes to every channel
    max_attempts: int = Field(default=8, ge=1)  # then the delivery is marked dead
    retry_initial: Annotated[Duration, Field(gt=0)] = 30.0  # first backoff; doubles each failure
    retry_max: Duration = 3600.0
    retry_jitter: float = Field(default=0.2, ge=0, le=1)  # up to this share taken off at random
    lease: Annotated[Duration, Field(gt=0)] = 300.0  # a claimed delivery is retried after this
    corroboration_window: Duration = 86400.0  # later outlets within this join the shift's sources
    # a new shift waits this long before it is sent, so reports of it from other feeds polled
    # meanwhile (an earlier one, first-hand ones) join its alert; 0 sends at once
    settle: Duration = 120.0

    @model_validator(mode="after")
    def _consistent(self) -> AlertSettings:
        names = [c.name for c in self.channels]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"channel names must be unique; repeated: {', '.join(duplicated)}")
        for index, route in enumerate(self.routes):
            unknown = [c for c in route.channels if c not in names]
            if unknown:
                raise ValueError(
                    f"routes[{index}].channels: no channel named {', '.join(unknown)} "
                    f"(configured: {', '.join(names)})"
                )
        slowest = max((getattr(c, "timeout", 0.0) for c in self.channels), default=0.0)
        if self.lease <= slowest:
            raise ValueError(
                f"lease ({self.lease:g}s) must be longer than the slowest channel timeout "
                f"({slowest:g}s), or a slow send could be retried while still running"
            )
        return self


class Config(_Strict):
    """The whole configuration file."""

    watcher: WatcherSettings = WatcherSettings()
    fetch: FetchSettings = FetchSettings()
    articles: ArticleSettings = ArticleSettings()
    daemon: DaemonSettings = DaemonSettings()
    shifts: ShiftSettings = ShiftSettings()
    stance: StanceSettings = StanceSettings()
    alerts: AlertSettings = AlertSettings()
    feeds: list[FeedSettings] = []
    topics: list[TopicSettings] = []

    @model_validator(mode="after")
    def _unique_ids(self) -> Config:
        problems = []
        first: dict[str, int] = {}
        for index, feed in enumerate(self.feeds):
            earlier = first.setdefault(_feed_key(feed.url), index)
            if earlier != index:
                problems.append(
                    f"feeds[{index}].url: the same feed as feeds[{earlier}] "
                    f"({redact_url(feed.url)}; host case, default port and a trailing slash "
                    "make no difference)"
                )
        ids = [t.id for t in self.topics]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            problems.append(f"topics repeated: {', '.join(repeated)}")
        if problems:
            raise ValueError("\n".join(problems))  # one line per problem
        return self

    @model_validator(mode="after")
    def _routes_name_known_topics(self) -> Config:
        known = {t.id for t in self.topics}
        for index, route in enumerate(self.alerts.routes):
            unknown = [t for t in route.topics if t not in known]
            if unknown:
                raise ValueError(
                    f"alerts.routes[{index}].topics: no topic named {', '.join(unknown)}"
                )
        return self

    def topic_list(self) -> list[Topic]:
        """The tracked topics as pipeline dataclasses."""
        return [t.to_topic() for t in self.topics]


def _feed_key(url: str) -> str:
    """What makes two feed URLs the same feed: scheme and host in any case, the default port,
    a trailing slash on the path do not matter; the rest (query included) does."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return url.strip()
    scheme = parts.scheme.lower()
    netloc = parts.hostname
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        netloc += f":{port}"
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), parts.query, ""))


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
        for line in message.splitlines():  # a validator may report several problems
            lines.append(f"{source}: {key}: {line}" if key else f"{source}: {line}")
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
