"""The Slack channel: a Block Kit message posted to an incoming webhook.

One column of short blocks (a header, then sections) reads well on a phone. Slack's limits are
respected: at most 50 blocks a message (so a digest carries at most ``max_batch`` alerts; the
dispatcher splits bigger ones), 150 characters in a header and 3000 in a section's text.
The webhook URL is a secret: it is never put in an error message or a log line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from watcher.alert.base import PermanentFailure, RetryLater
from watcher.alert.message import Alert, Envelope
from watcher.alert.render import (
    Run,
    after_runs,
    before_runs,
    describe_when,
    footer,
    format_runs,
    source_label,
    statement_runs,
)
from watcher.config import SlackChannelSettings
from watcher.fetch import parse_retry_after
from watcher.models import Position
from watcher.redact import error_text, protect_value

MAX_BLOCKS = 50
MAX_HEADER = 150
MAX_SECTION = 3000
BLOCKS_PER_ALERT = 6  # header, topic, before, after, sources, divider
# A digest: its own header and the footer around the alerts' blocks.
MAX_ALERTS = (MAX_BLOCKS - 2) // BLOCKS_PER_ALERT

# Shown when an earlier attempt to send the same message was cut off after it may have arrived.
REPEAT_NOTE = (
    "watcher was stopped while sending this message before, so it may have arrived already."
)

# Answers that retrying will not change: the webhook is malformed, revoked or gone.
_PERMANENT = {400, 403, 404, 410}


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mrkdwn_escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: str | None, label: str) -> str:
    if url and urlsplit(url).scheme in ("http", "https"):
        safe_url = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
        return f"<{safe_url}|{mrkdwn_escape(label)}>"
    return mrkdwn_escape(label)


def _runs_mrkdwn(runs: list[Run]) -> str:
    return format_runs(
        runs,
        delete=lambda w: f"~{mrkdwn_escape(w)}~",
        insert=lambda w: f"*{mrkdwn_escape(w)}*",
        equal=mrkdwn_escape,
    )


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION)}}


def _position_text(label: str, position: Position | None, runs: list[Run]) -> str:
    if position is None:
        return f"*{label}:* no earlier position recorded"
    quoted = "\n".join(
        f">{_runs_mrkdwn(statement)}" for statement in statement_runs(position, runs)
    )
    return f"*{label}: {position.stance}* ({mrkdwn_escape(describe_when(position))})\n{quoted}"


def _sources_text(alert: Alert) -> str:
    lines = [f"*Sources ({len(alert.sources)}):*"]
    for index, source in enumerate(alert.sources):
        line = f"• {_link(source.link, source_label(source))}"
        rest = len(alert.sources) - index
        # Keep room for the "and N more" line rather than cutting a link in half.
        if sum(len(x) + 1 for x in lines) + len(line) + 40 > MAX_SECTION:
            lines.append(f"• … and {rest} more")
            break
        lines.append(line)
    return "\n".join(lines)


def alert_blocks(alert: Alert) -> list[dict[str, Any]]:
    """The blocks of one alert (``BLOCKS_PER_ALERT`` of them at most, divider included)."""
    before = alert.before.stance if alert.before else "no position"
    blocks = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": clip(f"{alert.actor_name}: {before} → {alert.after.stance}", MAX_HEADER),
            },
        },
        _section(
            f"*Topic:* {mrkdwn_escape(alert.topic_title)}\n*Claim:* {mrkdwn_escape(alert.claim)}\n"
            f"*Reason:* {mrkdwn_escape(alert.reason)}"
            + (f"\n*Second opinion:* {mrkdwn_escape(alert.judge.summary)}" if alert.judge else "")
        ),
        _section(_position_text("Before", alert.before, before_runs(alert.diff))),
        _section(_position_text("After", alert.after, after_runs(alert.diff))),
    ]
    if alert.sources:
        blocks.append(_section(_sources_text(alert)))
    blocks.append({"type": "divider"})
    return blocks


def slack_payload(envelope: Envelope) -> dict[str, Any]:
    """The webhook's JSON body: Block Kit blocks plus the plain ``text`` notifications show.

    A message whose earlier attempt was interrupted opens with a "possible repeat" line: Slack
    cannot tell whether that attempt arrived, so the reader is told.
    """
    opening: list[str] = []
    if envelope.possible_repeat:
        opening.append(f"*Possible repeat:* {REPEAT_NOTE}")
    if envelope.update:
        outlets = mrkdwn_escape(", ".join(envelope.update))
        opening.append(f"*watcher update:* now also reported by {outlets}")
    elif envelope.is_digest:
        opening.append(f"*watcher digest:* {mrkdwn_escape(envelope.subject)}")
    # one section for all of them: a full digest has room for a single opening block
    blocks: list[dict[str, Any]] = [_section("\n".join(opening))] if opening else []
    for alert in envelope.alerts:
        blocks += alert_blocks(alert)
    if len(blocks) + 1 > MAX_BLOCKS:
        raise ValueError(f"{len(envelope.alerts)} alerts do not fit one Slack message")
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(footer(envelope), 2000)}]}
    )
    label = "watcher (possible repeat)" if envelope.possible_repeat else "watcher"
    return {"text": clip(f"{label}: {envelope.subject}", MAX_SECTION), "blocks": blocks}


class SlackChannel:
    """Posts alerts to a Slack incoming webhook."""

    max_batch = MAX_ALERTS

    def __init__(
        self, settings: SlackChannelSettings, environ: Mapping[str, str] = os.environ
    ) -> None:
        self.name = settings.name
        self.settings = settings
        self.environ = environ

    def send(self, envelope: Envelope) -> None:
        """Post one message; 429 waits as told, 400/403/404/410 are permanent."""
        url = self._webhook_url()
        host = urlsplit(url).hostname or "?"
        try:
            response = httpx.post(url, json=slack_payload(envelope), timeout=self.settings.timeout)
        except httpx.HTTPError as exc:
            # httpx puts the URL in some messages: keep only the exception's kind and the host.
            raise ConnectionError(f"Slack webhook at {host}: {type(exc).__name__}") from None
        if response.is_success:
            return
        detail = error_text(f"Slack answered {response.status_code}: {response.text[:1000]}")
        if response.status_code == 429:
            raise RetryLater(detail, parse_retry_after(response.headers.get("retry-after")) or 60)
        if response.status_code in _PERMANENT:
            raise PermanentFailure(detail)
        raise ConnectionError(detail)

    def _webhook_url(self) -> str:
        if self.settings.webhook_url:
            return self.settings.webhook_url
        name = self.settings.webhook_url_env or ""
        url = self.environ.get(name, "")
        if not url:
            raise LookupError(f"environment variable {name} is not set")
        protect_value(url)  # an error page echoing its path must not show it either
        return url
