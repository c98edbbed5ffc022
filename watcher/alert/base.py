"""What a channel is, and how it reports a failure to the dispatcher.

A channel is anything with a ``name``, a ``max_batch`` (the most alerts one message may carry)
and a ``send(envelope)`` that returns once the far end accepted the message and raises
otherwise. Any exception is a failure to retry later with backoff; two kinds say more.
"""

from __future__ import annotations

from typing import Protocol

from watcher.alert.message import Envelope

MAX_BATCH = 50  # alerts in one digest message, unless a channel needs fewer


class Channel(Protocol):
    """Where alerts go."""

    name: str
    max_batch: int

    def send(self, envelope: Envelope) -> None:
        """Deliver one message; raise on failure."""


class PermanentFailure(Exception):
    """The far end refused the message for good (bad address, revoked webhook): no retries."""


class RetryLater(Exception):
    """The far end asked to be left alone for a while (HTTP 429 with Retry-After)."""

    def __init__(self, message: str, seconds: float) -> None:
        super().__init__(message)
        self.seconds = seconds
