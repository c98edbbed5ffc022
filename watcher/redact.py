"""Redaction: the one place that decides what of a secret may leave the process.

Every way out goes through here: log lines (``watcher.logs``), ``watcher status`` and the other
commands, error text written to the database, alerts and the Atom feed of shifts. Three things
are masked:

- the secret values the config points at (``*_env`` variables, secret fields), registered with
  :func:`protect`, and for a secret URL also its path, long path segments and query values,
  since a server's error page often echoes the request path without the host;
- credentials anywhere in text: a URL's user info, query parameters named like credentials
  (``token``, ``key``, ``sig`` ...), Slack webhook paths and tokens;
- in a feed URL shown to people, the query and fragment as well (:func:`redact_url`).

Error text from the far end (an HTTP body, an SMTP reply) is also cut to one short line
(:func:`error_text`), so a hostile server cannot fill the screen or the database.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from pydantic import BaseModel

MASK = "***"
MAX_ERROR_CHARS = 300
# Config fields that hold a secret themselves (the file should name an environment variable
# instead, but if it does not, the value must still stay out of sight).
SECRET_FIELDS = frozenset({"password", "token", "webhook_url", "urls"})
# Parts of a secret URL that identify it on their own; shorter ones are too common to mask
# ("services" of a Slack webhook's path is no secret, its 24-character last segment is).
_MIN_SECRET_PART = 16
_URL_USERINFO = re.compile(r"(?<=://)[^/\s@'\"<>]+@")
_CREDENTIAL_PARAM = re.compile(
    r"(?i)([?&;](?:access_token|api_?key|apikey|auth|client_secret|key|pass|passwd|password"
    r"|secret|session(?:id)?|sig|signature|token)=)[^&;#\s'\"<>]+"
)
_KNOWN_TOKENS = re.compile(
    r"/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+"  # a Slack webhook's path
    r"|\bxox[abposr]-[A-Za-z0-9-]{8,}"  # a Slack token
)
_URL_IN_TEXT = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s'\"<>]+")


class Redactor:
    """Masks registered secret values and credentials in text."""

    def __init__(self) -> None:
        self._secrets: tuple[str, ...] = ()

    def protect(self, secrets: Iterable[str]) -> None:
        """Add secret values to mask (never removed: a reload must not unmask an old one)."""
        known = set(self._secrets) | {s for s in secrets if s and s.strip()}
        self._secrets = tuple(sorted(known, key=len, reverse=True))  # longest first

    def __call__(self, text: str) -> str:
        """``text`` with every secret and credential replaced by ``***``."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        text = _URL_USERINFO.sub(MASK + "@", text)
        text = _CREDENTIAL_PARAM.sub(lambda found: found.group(1) + MASK, text)
        return _KNOWN_TOKENS.sub(MASK, text)


# One process, one set of secrets: logs, commands and the store share it.
REDACTOR = Redactor()


def redact(text: str) -> str:
    """``text`` with the registered secrets and any credentials masked."""
    return REDACTOR(text)


def error_text(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """Error text fit to show and store: redacted, on one line, at most ``limit`` characters."""
    line = redact(" ".join(text.split()))
    return line if len(line) <= limit else line[: limit - 1] + "…"


def describe_error(exc: BaseException) -> str:
    """ "ExceptionClass: message" on one short line, URLs in it stripped to scheme, host, path."""
    message = _URL_IN_TEXT.sub(lambda found: redact_url(found.group()), str(exc))
    return error_text(f"{type(exc).__name__}: {message}" if message.strip() else type(exc).__name__)


def redact_url(url: str) -> str:
    """The URL without user info, query and fragment: safe to show (those may carry tokens)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    return redact(urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", "")))


def secrets_in(settings: BaseModel, environ: Mapping[str, str] | None = None) -> set[str]:
    """Secret values a config refers to: ``*_env`` settings' variables, and secret fields."""
    environ = os.environ if environ is None else environ
    found: set[str] = set()
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, BaseModel):
                found |= secrets_in(item, environ)
            elif isinstance(item, str) and name.endswith("_env"):
                secret = environ.get(item, "")
                found |= {secret, *secret.split()}  # a variable may hold several URLs
            elif isinstance(item, str) and name in SECRET_FIELDS:
                found.add(item)
    return {part for secret in found if secret for part in identifying_parts(secret)}


def identifying_parts(secret: str) -> set[str]:
    """The secret, and for a URL the parts of it that give it away on their own."""
    parts = {secret}
    try:
        url = urlsplit(secret.strip())
    except ValueError:
        return parts
    if not url.scheme or not url.netloc:
        return parts
    if url.password:
        parts.add(url.password)
    if len(url.path) >= _MIN_SECRET_PART:
        parts.add(url.path)
    parts |= {segment for segment in url.path.split("/") if len(segment) >= _MIN_SECRET_PART}
    parts |= {value for _, value in parse_qsl(url.query) if len(value) >= _MIN_SECRET_PART // 2}
    return parts


def protect(settings: BaseModel) -> None:
    """Keep the secrets ``settings`` refers to out of every way out from now on."""
    REDACTOR.protect(secrets_in(settings))


def protect_value(secret: str) -> None:
    """Keep one secret (a webhook URL a channel just read) out of every way out from now on."""
    REDACTOR.protect(identifying_parts(secret))
