"""The local channels (console, JSON lines) and the registry from config ``type`` to channel."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from watcher.alert.apprise_channel import AppriseChannel
from watcher.alert.base import MAX_BATCH, Channel
from watcher.alert.email import EmailChannel
from watcher.alert.message import Envelope
from watcher.alert.render import render_dict, render_envelope_text
from watcher.alert.slack import SlackChannel
from watcher.config import ConsoleChannelSettings, JsonlChannelSettings


class ConsoleChannel:
    """Writes alerts as text to standard output."""

    max_batch = MAX_BATCH

    def __init__(self, settings: ConsoleChannelSettings, stream: TextIO | None = None) -> None:
        self.name = settings.name
        self.stream = stream

    def send(self, envelope: Envelope) -> None:
        """Print the message."""
        stream = self.stream or sys.stdout  # looked up late so CLI test runners capture it
        stream.write(render_envelope_text(envelope) + "\n\n")
        stream.flush()


class JsonlChannel:
    """Appends alerts as JSON lines to a file: one line per alert, with its delivery key."""

    max_batch = MAX_BATCH

    def __init__(self, settings: JsonlChannelSettings) -> None:
        self.name = settings.name
        self.path = settings.path

    def send(self, envelope: Envelope) -> None:
        """Append one JSON line per alert in the message."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = [
            json.dumps(
                {
                    **render_dict(alert),
                    "delivery": envelope.key,
                    "rules": list(envelope.rules),
                    "update": list(envelope.update),
                },
                ensure_ascii=False,
            )
            + "\n"
            for alert in envelope.alerts
        ]
        with self.path.open("a", encoding="utf-8") as out:
            out.write("".join(lines))  # one write: a message's lines stay together


CHANNEL_TYPES: dict[str, Callable[[Any], Channel]] = {
    "console": ConsoleChannel,
    "jsonl": JsonlChannel,
    "email": EmailChannel,
    "slack": SlackChannel,
    "apprise": AppriseChannel,
}


def build_channels(settings: Iterable[Any]) -> dict[str, Channel]:
    """Channels by name, from the ``[[alerts.channels]]`` settings."""
    return {s.name: CHANNEL_TYPES[s.type](s) for s in settings}
