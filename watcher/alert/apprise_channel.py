"""The Apprise channel: every other service (Telegram, Teams, Discord, ntfy, ...) through Apprise
URLs. Apprise is an optional extra (``pip install 'watcher[apprise]'``), imported on first send.

Apprise URLs carry tokens, so they are secrets: put them in the environment variable named by
``urls_env`` rather than in the config file; they never appear in errors or logs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from watcher.alert.base import MAX_BATCH, PermanentFailure
from watcher.alert.message import Envelope
from watcher.alert.render import render_envelope_text
from watcher.config import AppriseChannelSettings
from watcher.redact import error_text, protect_value


class AppriseChannel:
    """Sends alerts as plain-text notifications to every configured Apprise URL.

    All URLs of one channel succeed or are retried together; give services their own channel
    when each should be retried on its own.
    """

    max_batch = MAX_BATCH

    def __init__(
        self, settings: AppriseChannelSettings, environ: Mapping[str, str] = os.environ
    ) -> None:
        self.name = settings.name
        self.settings = settings
        self.environ = environ

    def urls(self) -> list[str]:
        """The configured URLs, then those in ``urls_env``."""
        from_env = self.environ.get(self.settings.urls_env or "", "")
        urls = [*self.settings.urls, *from_env.split()]
        for url in urls:
            protect_value(url)  # tokens in them must not show in an error either
        return urls

    def send(self, envelope: Envelope) -> None:
        """Notify every URL; raise with Apprise's own reason when one fails."""
        import apprise  # the optional extra; config validation checked it is installed

        urls = self.urls()
        if not urls:
            raise LookupError(f"environment variable {self.settings.urls_env} is not set")
        notifier = apprise.Apprise()
        for index, url in enumerate(urls):
            if not notifier.add(url):
                raise PermanentFailure(f"Apprise URL #{index + 1} is not valid (check its scheme)")
        with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
            delivered = notifier.notify(
                title=f"watcher: {envelope.subject}",
                body=render_envelope_text(envelope),
                body_format=apprise.NotifyFormat.TEXT,
            )
            log_text = captured.getvalue()
        if not delivered:
            reason = log_text.strip().splitlines()[-1] if log_text.strip() else "no reason given"
            raise ConnectionError(error_text(f"Apprise could not notify: {reason}"))
