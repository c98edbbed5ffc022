"""Fetch stage: download feeds politely (conditional GET, bounded size, time and concurrency).

Every outcome is a ``FetchResult``; nothing here raises for a feed's sake, so one broken feed never
stops a poll. ``file://`` URLs and plain paths are read from disk with the same rules, for tests,
the demo and offline use.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit
from urllib.request import url2pathname

import httpx

from watcher import __version__
from watcher.config import FetchSettings
from watcher.models import FeedState, FetchResult

log = logging.getLogger(__name__)

PROJECT_URL = "https://github.com/watcher-news/watcher"
MAX_REDIRECTS = 5
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)
ACCEPT_ENCODING = "gzip, deflate"  # the codings read_capped decodes within the size cap
_PERMANENT_REDIRECTS = frozenset({301, 308})
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_MAX_ERROR_CHARS = 300
_URL_IN_TEXT = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s'\"<>]+")


def user_agent(settings: FetchSettings) -> str:
    """The User-Agent that tells feed owners who polls them and how to reach the operator."""
    contact = " ".join(settings.contact.split())  # a header value must stay on one line
    return f"watcher/{__version__} (+{PROJECT_URL}{'; ' + contact if contact else ''})"


def make_client(settings: FetchSettings) -> httpx.AsyncClient:
    """An HTTP client configured for polling feeds: polite, bounded redirects, timeouts, limits."""
    return httpx.AsyncClient(
        headers={
            "User-Agent": user_agent(settings),
            "Accept": ACCEPT,
            "Accept-Encoding": ACCEPT_ENCODING,
        },
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        timeout=httpx.Timeout(settings.timeout),
        limits=httpx.Limits(
            max_connections=settings.concurrency,
            max_keepalive_connections=settings.concurrency,
        ),
    )


def redact_url(url: str) -> str:
    """The URL without userinfo, query and fragment: safe to log (those may carry tokens)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def cache_max_age(headers: Mapping[str, str]) -> float | None:
    """Seconds from ``Cache-Control: max-age``; None when absent, bogus, or with ``no-cache``.

    ``no-cache`` asks for revalidation on every use, so its max-age says nothing about how often
    to poll. ``headers`` has lower-case names, as in ``FetchResult.headers``.
    """
    directives = {}
    for part in headers.get("cache-control", "").split(","):
        name, _, value = part.strip().partition("=")
        directives[name.strip().lower()] = value.strip().strip('"')
    if "no-cache" in directives or not directives.get("max-age", "").isdigit():
        return None
    return float(directives["max-age"])


def describe_error(exc: BaseException) -> str:
    """A short one-line description, "ExceptionClass: message", with any URL in it redacted."""
    message = _URL_IN_TEXT.sub(lambda found: redact_url(found.group()), str(exc))
    message = " ".join(message.split())
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text[:_MAX_ERROR_CHARS]


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date; None if bogus."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


async def fetch_feed(
    client: httpx.AsyncClient, state: FeedState, settings: FetchSettings
) -> FetchResult:
    """Fetch one feed; every failure becomes a ``FetchResult`` with ``error`` set, never raised.

    Sends the stored validators, so an unchanged feed costs a 304; a 200 whose body hashes to the
    stored hash is reported unchanged too. ``settings.timeout`` bounds the whole response.
    """
    started = time.monotonic()
    try:
        path = _local_path(state.fetch_url)
        if path is not None:
            result = await _fetch_file(path, state, settings)
        else:
            async with asyncio.timeout(settings.timeout):
                result = await _fetch_http(client, state, settings)
    except TimeoutError:
        result = _result(
            state, error=f"TimeoutError: no complete response in {settings.timeout:g} s"
        )
    except Exception as exc:  # whatever goes wrong with one feed must not stop the others
        result = _result(state, error=describe_error(exc))
    result = replace(result, elapsed=time.monotonic() - started)
    _log_result(result)
    return result


async def fetch_all(
    states: Sequence[FeedState],
    settings: FetchSettings,
    client: httpx.AsyncClient | None = None,
) -> list[FetchResult]:
    """Fetch many feeds concurrently (bounded overall and per host); results in input order."""
    if client is not None:
        return await _fetch_bounded(client, states, settings)
    async with make_client(settings) as own_client:
        return await _fetch_bounded(own_client, states, settings)


async def _fetch_bounded(
    client: httpx.AsyncClient, states: Sequence[FeedState], settings: FetchSettings
) -> list[FetchResult]:
    limits = FetchLimits(settings)
    return list(await asyncio.gather(*(limits.fetch(client, state) for state in states)))


class FetchLimits:
    """Caps on fetches in flight, overall and per host; share one among all fetches to limit."""

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self._overall = asyncio.Semaphore(settings.concurrency)
        self._per_host: dict[str, asyncio.Semaphore] = {}

    async def fetch(self, client: httpx.AsyncClient, state: FeedState) -> FetchResult:
        """Fetch one feed once its host and the overall limit have a free slot."""
        host = self._per_host.setdefault(
            _host_key(state.fetch_url), asyncio.Semaphore(self.settings.per_host_concurrency)
        )
        # Wait for the host first, so a feed queued behind its busy host holds no global slot.
        async with host, self._overall:
            return await fetch_feed(client, state, self.settings)


def _host_key(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""  # local files all share the "" key
    except ValueError:
        return ""


async def _fetch_http(
    client: httpx.AsyncClient, state: FeedState, settings: FetchSettings
) -> FetchResult:
    request = client.stream("GET", state.fetch_url, headers=_conditional_headers(state))
    async with request as response:
        status = response.status_code
        common: dict[str, Any] = {
            "final_url": str(response.url),
            "status": status,
            "headers": {key.lower(): value for key, value in response.headers.items()},
            "permanent_redirect": _moved_permanently(response.history),
        }
        if status == 304:
            return _result(
                state,
                etag=response.headers.get("etag", state.etag),
                last_modified=response.headers.get("last-modified", state.last_modified),
                **common,
            )
        if not response.is_success:
            retry_after = None
            if status in _RETRY_AFTER_STATUSES:
                retry_after = parse_retry_after(response.headers.get("retry-after"))
            return _result(state, error=f"HTTP {status}", retry_after=retry_after, **common)
        try:
            body = await read_capped(response, settings.max_bytes)
        except (BodyTooLarge, UnsupportedEncoding) as exc:
            return _result(state, error=str(exc), **common)
        return _content_result(
            state,
            body,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            **common,
        )


def _conditional_headers(state: FeedState) -> dict[str, str]:
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


def _moved_permanently(history: list[httpx.Response]) -> bool:
    # Only an all-permanent chain moves the feed: A -301-> B -302-> C must not store C (a
    # temporary location), and A -302-> B -301-> C says nothing permanent about A.
    return bool(history) and all(hop.status_code in _PERMANENT_REDIRECTS for hop in history)


class BodyTooLarge(ValueError):
    """A response body larger than the cap, counted after decompression."""

    def __init__(self, limit: int) -> None:
        super().__init__(_too_large(limit))
        self.limit = limit


class UnsupportedEncoding(ValueError):
    """A ``Content-Encoding`` that cannot be decoded within the size cap."""


async def read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """The decoded body of a streamed response (``client.stream(...)``), at most ``max_bytes``.

    The raw bytes are decompressed here, never more than the bytes still allowed at a time, so
    memory stays bounded by the cap whatever a compressed body inflates to: a gzip bomb stops
    at ``max_bytes + 1`` decoded bytes. Handles ``gzip``, ``deflate`` and ``identity`` (what
    ``make_client`` accepts).

    Raises ``BodyTooLarge`` once the body is known to exceed ``max_bytes`` (a declared
    Content-Length is checked before reading), ``UnsupportedEncoding`` for any other coding.
    """
    decoder = _decoder(response.headers.get("content-encoding", ""))
    declared = response.headers.get("content-length", "")
    if decoder is None and declared.isdigit() and int(declared) > max_bytes:
        raise BodyTooLarge(max_bytes)  # refuse before reading anything
    body = bytearray()
    async for raw in response.aiter_raw():
        while raw:
            room = max_bytes - len(body) + 1  # one byte more than allowed tells "too large"
            if decoder is None:
                piece, raw = raw[:room], raw[room:]
            else:
                piece = decoder.decompress(raw, room)
                raw = decoder.unconsumed_tail
            body += piece
            if len(body) > max_bytes:
                raise BodyTooLarge(max_bytes)
            if decoder is not None and decoder.eof:
                break  # bytes after the end of the compressed stream are ignored
    return bytes(body)


class _Decompressor(Protocol):
    """What ``read_capped`` needs of a zlib decompression object."""

    unconsumed_tail: bytes
    eof: bool

    def decompress(self, data: bytes, max_length: int) -> bytes: ...


def _decoder(content_encoding: str) -> _Decompressor | None:
    """A decompressor for the response's coding, None for identity.

    Raises UnsupportedEncoding for a coding other than gzip or deflate, or a chain of them.
    """
    codings = [c.strip().lower() for c in content_encoding.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return None
    if codings == ["gzip"] or codings == ["x-gzip"]:
        return zlib.decompressobj(zlib.MAX_WBITS | 16)
    if codings == ["deflate"]:
        return _DeflateDecoder()
    raise UnsupportedEncoding(f"unsupported Content-Encoding: {content_encoding[:40]}")


class _DeflateDecoder:
    """HTTP ``deflate``: a zlib stream, or the raw deflate stream many servers send instead."""

    def __init__(self) -> None:
        self._inner = zlib.decompressobj()
        self._started = False

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if not self._started:
            self._started = True
            try:
                return self._inner.decompress(data, max_length)
            except zlib.error:
                self._inner = zlib.decompressobj(-zlib.MAX_WBITS)
        return self._inner.decompress(data, max_length)

    @property
    def unconsumed_tail(self) -> bytes:
        return self._inner.unconsumed_tail

    @property
    def eof(self) -> bool:
        return self._inner.eof


def _local_path(url: str) -> Path | None:
    """The file a ``file://`` URL or a plain path names; None for anything else (http...)."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"file URL on another host: {parts.netloc}")
        return Path(url2pathname(parts.path))
    if not parts.scheme or len(parts.scheme) == 1:  # no scheme, or a Windows drive letter
        return Path(url)
    return None


async def _fetch_file(path: Path, state: FeedState, settings: FetchSettings) -> FetchResult:
    body = await asyncio.to_thread(_read_file, path, settings.max_bytes)
    if body is None:
        return _result(state, error=_too_large(settings.max_bytes))
    return _content_result(state, body)


def _read_file(path: Path, limit: int) -> bytes | None:
    with path.open("rb") as handle:
        body = handle.read(limit + 1)  # one byte more than allowed tells "too large"
    return None if len(body) > limit else body


def _content_result(state: FeedState, body: bytes, **fields: Any) -> FetchResult:
    """A result for a fetched body: unchanged (no body) when it hashes to the stored hash."""
    body_hash = hashlib.sha256(body).hexdigest()
    new_body = None if body_hash == state.body_hash else body
    return _result(state, body=new_body, body_hash=body_hash, **fields)


def _result(state: FeedState, **fields: Any) -> FetchResult:
    # Defaults carry the stored validators, so a failed fetch never makes the store forget them.
    defaults: dict[str, Any] = {
        "url": state.url,
        "final_url": state.fetch_url,
        "status": None,
        "etag": state.etag,
        "last_modified": state.last_modified,
        "body_hash": state.body_hash,
    }
    return FetchResult(**(defaults | fields))


def _too_large(limit: int) -> str:
    return f"body exceeds {limit} bytes"


def _log_result(result: FetchResult) -> None:
    if result.error:
        log.info("fetch %s failed: %s", redact_url(result.url), result.error)
    else:
        outcome = "unchanged" if result.unchanged else f"{len(result.body or b'')} bytes"
        log.debug("fetch %s: %s in %.2f s", redact_url(result.url), outcome, result.elapsed)
