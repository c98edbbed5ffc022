"""The email channel against a real SMTP server (aiosmtpd) on 127.0.0.1: plain, STARTTLS with
login, SSL; the MIME message as a mail client sees it; a server that is down, then back."""

from __future__ import annotations

import email
import email.policy
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from alerting import TOPIC, shift
from serving import free_port
from test_alert import elements

from watcher.alert.dispatch import dispatch_due
from watcher.alert.email import EmailChannel, build_message
from watcher.alert.message import Envelope, load_alert
from watcher.alert.sample import sample_envelope
from watcher.config import AlertSettings, EmailChannelSettings
from watcher.store import Store
from watcher.timeutil import utc_now


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted"


@contextmanager
def smtp_server(
    port: int | None = None, handler: Inbox | None = None, **options: Any
) -> Iterator[tuple[Inbox, int]]:
    inbox = handler or Inbox()
    port = port or free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def email_settings(port: int, **options: Any) -> EmailChannelSettings:
    return EmailChannelSettings.model_validate(
        {
            "type": "email",
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "sender": "watcher <watcher@desk.example>",
            "to": ["analyst@desk.example", "editor@desk.example"],
            "timeout": 5,
            **options,
        }
    )


def test_the_message_has_subject_both_parts_diff_links_and_a_stable_message_id(
    store: Store,
) -> None:
    alert = load_alert(store, shift(store), {"air": TOPIC})
    envelope = Envelope("d41d8cd9", "email", (alert,), ("route 'desk' (topics: air)",))
    with smtp_server() as (inbox, port):
        EmailChannel(email_settings(port)).send(envelope)
    [message] = inbox.messages
    assert inbox.recipients == [["analyst@desk.example", "editor@desk.example"]]
    assert message["Subject"] == "[watcher] United States shifted on air: observing -> against"
    assert message["Message-ID"] == "<watcher.d41d8cd9@desk.example>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert '"The US has not ruled out air cover."' in text
    assert '"The US has refused air cover."' in text
    assert ">not ruled out</del>" in html and ">refused</ins>" in html
    hrefs = [attrs["href"] for tag, attrs in elements(html) if tag == "a"]
    assert "https://s-air-US.example/story" in hrefs
    assert "because of route 'desk' (topics: air). Delivery d41d8cd9." in text


def test_a_digest_is_one_message_listing_every_shift(store: Store) -> None:
    alerts = tuple(load_alert(store, shift(store, actor=a), {"air": TOPIC}) for a in ("US", "UK"))
    message = build_message(Envelope("b1", "email", alerts, ()), email_settings(25))
    assert message["Subject"] == "[watcher] 2 stance shifts (UK, United States)"
    text = message.get_body(("plain",)).get_content()
    assert text.count("shifted on air: observing -> against") == 2


def test_starttls_with_login_from_the_environment(tmp_path: Path) -> None:
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(server_context)
    authority.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any):
        assert isinstance(auth_data, LoginPassword)
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret")

    options = {"tls_context": server_context, "require_starttls": True}
    with smtp_server(authenticator=authenticator, **options) as (inbox, port):
        settings = email_settings(
            port,
            security="starttls",
            username_env="T_SMTP_USER",
            password_env="T_SMTP_PASSWORD",
            ca_file=str(tmp_path / "ca.pem"),
        )
        environ = {"T_SMTP_USER": "desk", "T_SMTP_PASSWORD": "s3cret"}
        EmailChannel(settings, environ).send(sample_envelope("email"))
        assert logins == [(b"desk", b"s3cret")]
        assert len(inbox.messages) == 1
        with pytest.raises(LookupError, match="T_SMTP_PASSWORD is not set"):
            EmailChannel(settings, {"T_SMTP_USER": "desk"}).send(sample_envelope("email"))
        # an unknown certificate authority is refused
        untrusted = settings.model_copy(update={"ca_file": None})
        with pytest.raises(ssl.SSLCertVerificationError):
            EmailChannel(untrusted, environ).send(sample_envelope("email"))


def test_ssl_from_the_first_byte(tmp_path: Path) -> None:
    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_context)
    authority.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    with smtp_server(ssl_context=server_context) as (inbox, port):
        settings = email_settings(port, security="ssl", ca_file=str(tmp_path / "ca.pem"))
        EmailChannel(settings).send(sample_envelope("email"))
    assert inbox.messages[0]["Subject"].startswith("[watcher] United States shifted")


def test_smtp_down_for_the_first_dispatch_then_the_delivery_goes_out(store: Store) -> None:
    port = free_port()  # nothing listens there yet
    settings = AlertSettings(channels=[email_settings(port)], retry_jitter=0)
    shift(store, settings=settings)
    channels = {"email": EmailChannel(settings.channels[0])}
    report = dispatch_due(store, channels, {"air": TOPIC}, settings)
    assert (report.sent, report.failed) == (0, 1)
    [pending] = store.deliveries.pending()
    assert "ConnectionRefusedError" in pending["last_error"]
    with smtp_server(port) as (inbox, _):
        # still waiting for its backoff: not retried yet
        assert dispatch_due(store, channels, {"air": TOPIC}, settings).sent == 0
        later = utc_now() + timedelta(seconds=settings.retry_initial)
        assert dispatch_due(store, channels, {"air": TOPIC}, settings, now=later).sent == 1
    [message] = inbox.messages
    [row] = store.deliveries.all()
    assert message["Message-ID"] == f"<watcher.{row['key']}@desk.example>"
    outcomes = [a["outcome"] for a in store.deliveries.attempts(row["id"])]
    assert outcomes == ["failed", "sent"]


class Refusing(Inbox):
    """Knows none of the recipients."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        return "550 5.1.1 no such user"


def test_a_refused_recipient_is_a_permanent_failure(store: Store) -> None:
    with smtp_server(handler=Refusing()) as (inbox, port):
        settings = AlertSettings(channels=[email_settings(port)])
        shift(store, settings=settings)
        channels = {"email": EmailChannel(settings.channels[0])}
        report = dispatch_due(store, channels, {"air": TOPIC}, settings)
    assert (report.dead, inbox.messages) == (1, [])
    [row] = store.deliveries.listing("dead")
    assert "PermanentFailure: every recipient refused" in row["last_error"]
    assert "550" in row["last_error"]
