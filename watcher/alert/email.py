"""The email channel: one multipart (text + HTML) message per alert or digest, sent over SMTP.

Plain SMTP, STARTTLS or SSL; the user name and password are read from the environment variables
the config names, at send time, and never logged. Each message's Message-ID derives from its
delivery key, so a message sent again after a crash carries the same Message-ID.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from watcher.alert.base import MAX_BATCH, PermanentFailure
from watcher.alert.html_render import render_html
from watcher.alert.message import Envelope
from watcher.alert.render import render_envelope_text
from watcher.config import EmailChannelSettings
from watcher.timeutil import utc_now

_DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
# Python folds a header that does not fit 78 columns right after its colon, and readers then see
# the subject with a leading space; 998 (RFC 5322's hard limit) keeps real subjects on one line.
_POLICY = SMTP.clone(max_line_length=998)


def message_id(key: str, sender: str) -> str:
    """The stable Message-ID of a delivery: its key at the sender's domain."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "watcher.invalid"
    return f"<watcher.{key}@{domain}>"


def build_message(envelope: Envelope, settings: EmailChannelSettings) -> EmailMessage:
    """The MIME message: text part, HTML part, and headers that identify the delivery."""
    message = EmailMessage(policy=_POLICY)
    message["Subject"] = f"{settings.subject_prefix} {envelope.subject}".strip()
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.to)
    message["Date"] = format_datetime(utc_now())
    message["Message-ID"] = message_id(envelope.key, settings.sender)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies
    message["X-Watcher-Delivery"] = envelope.key
    message.set_content(render_envelope_text(envelope))
    message.add_alternative(render_html(envelope), subtype="html")
    return message


class EmailChannel:
    """Sends alerts by SMTP."""

    max_batch = MAX_BATCH

    def __init__(
        self, settings: EmailChannelSettings, environ: Mapping[str, str] = os.environ
    ) -> None:
        self.name = settings.name
        self.settings = settings
        self.environ = environ

    def send(self, envelope: Envelope) -> None:
        """Send one message; 5xx answers are permanent failures, anything else is retried."""
        message = build_message(envelope, self.settings)
        credentials = self._credentials()
        try:
            with self._connect() as smtp:
                if credentials:
                    smtp.login(*credentials)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentFailure(f"every recipient refused: {exc.recipients}") from None
        except smtplib.SMTPResponseException as exc:
            detail = f"SMTP {exc.smtp_code}: {exc.smtp_error.decode(errors='replace')}"
            if exc.smtp_code >= 500:
                raise PermanentFailure(detail) from None
            raise ConnectionError(detail) from None

    def _credentials(self) -> tuple[str, str] | None:
        user_env, password_env = self.settings.username_env, self.settings.password_env
        if not user_env or not password_env:
            return None
        missing = [name for name in (user_env, password_env) if not self.environ.get(name)]
        if missing:
            raise LookupError(f"environment variable {', '.join(missing)} is not set")
        return self.environ[user_env], self.environ[password_env]

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        port = settings.port or _DEFAULT_PORTS[settings.security]
        if settings.security == "ssl":
            return smtplib.SMTP_SSL(
                settings.host, port, timeout=settings.timeout, context=self._tls_context()
            )
        smtp = smtplib.SMTP(settings.host, port, timeout=settings.timeout)
        try:
            if settings.security == "starttls":
                smtp.starttls(context=self._tls_context())
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.settings.ca_file:
            context.load_verify_locations(cafile=str(self.settings.ca_file))
        return context
