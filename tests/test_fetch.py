"""Fetch stage against a real HTTP server on 127.0.0.1 and real files; nothing is mocked."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from feedserver import FeedServer

from watcher import __version__
from watcher.config import FetchSettings
from watcher.fetch import (
    describe_error,
    fetch_all,
    fetch_feed,
    make_client,
    parse_retry_after,
    redact_url,
)
from watcher.models import FeedState, FetchResult

RSS = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>News</title>'
    b"<item><title>Story</title><link>https://example.org/a</link></item></channel></rss>"
)
LAST_MODIFIED = "Wed, 21 Oct 2015 07:28:00 GMT"


def fetch(target: str | FeedState, **settings: Any) -> FetchResult:
    """Fetch one feed with a fresh client, as the daemon does for a poll."""
    state = FeedState(url=target) if isinstance(target, str) else target
    config = FetchSettings(**{"timeout": 5.0, **settings})

    async def run() -> FetchResult:
        async with make_client(config) as client:
            return await fetch_feed(client, state, config)

    return asyncio.run(run())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- content, validators, politeness --------------------------------------------------------


def test_first_fetch_returns_body_validators_headers_and_a_polite_user_agent(
    server: FeedServer,
) -> None:
    server.set(
        "/feed.xml",
        RSS,
        etag='"v1"',
        last_modified=LAST_MODIFIED,
        headers={"Content-Type": "application/rss+xml; charset=utf-8"},
    )
    result = fetch(server.url("/feed.xml"), contact="ops@example.org")

    assert result.ok and not result.unchanged
    assert (result.status, result.body, result.body_hash) == (200, RSS, sha256(RSS))
    assert (result.etag, result.last_modified) == ('"v1"', LAST_MODIFIED)
    assert result.headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert result.final_url == server.url("/feed.xml") and not result.permanent_redirect
    (request,) = server.requests
    assert request.headers["user-agent"] == (
        f"watcher/{__version__} (+https://github.com/watcher-news/watcher; ops@example.org)"
    )
    assert "if-none-match" not in request.headers
    assert "if-modified-since" not in request.headers


def test_user_agent_without_contact(server: FeedServer) -> None:
    server.set("/feed.xml", RSS)
    fetch(server.url("/feed.xml"))
    user_agent = server.requests[0].headers["user-agent"]
    assert user_agent == f"watcher/{__version__} (+https://github.com/watcher-news/watcher)"


def test_conditional_get_sends_validators_and_a_304_is_unchanged(server: FeedServer) -> None:
    server.set("/feed.xml", RSS, etag='"v1"', last_modified=LAST_MODIFIED)
    state = FeedState(
        url=server.url("/feed.xml"), etag='"v1"', last_modified=LAST_MODIFIED, body_hash="abc"
    )
    result = fetch(state)

    (request,) = server.requests
    assert request.headers["if-none-match"] == '"v1"'
    assert request.headers["if-modified-since"] == LAST_MODIFIED
    assert result.status == 304 and result.unchanged and result.body is None
    assert (result.etag, result.last_modified, result.body_hash) == ('"v1"', LAST_MODIFIED, "abc")


def test_last_modified_alone_gives_a_304(server: FeedServer) -> None:
    server.set("/feed.xml", RSS, last_modified=LAST_MODIFIED)
    result = fetch(FeedState(url=server.url("/feed.xml"), last_modified=LAST_MODIFIED))
    assert result.status == 304 and result.unchanged


def test_an_identical_body_is_unchanged_but_returns_the_new_validators(server: FeedServer) -> None:
    server.set("/feed.xml", RSS, etag='"v2"')
    state = FeedState(url=server.url("/feed.xml"), etag='"v1"', body_hash=sha256(RSS))
    result = fetch(state)

    assert result.status == 200 and result.unchanged and result.body is None
    assert result.etag == '"v2"' and result.body_hash == sha256(RSS)


def test_a_changed_body_is_returned(server: FeedServer) -> None:
    server.set("/feed.xml", RSS)
    result = fetch(FeedState(url=server.url("/feed.xml"), body_hash=sha256(b"old")))
    assert result.body == RSS and not result.unchanged


def test_gzip_encoded_body_is_decoded(server: FeedServer) -> None:
    server.set("/feed.xml", RSS, gzip=True)
    result = fetch(server.url("/feed.xml"))

    assert "gzip" in server.requests[0].headers["accept-encoding"]
    assert result.headers["content-encoding"] == "gzip"
    assert result.body == RSS and result.body_hash == sha256(RSS)


# --- redirects --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "permanent"), [(301, True), (308, True), (302, False), (307, False)]
)
def test_redirects_mark_only_permanent_moves(
    server: FeedServer, status: int, permanent: bool
) -> None:
    server.set("/new.xml", RSS)
    server.redirect("/old.xml", "/new.xml", status=status)
    result = fetch(server.url("/old.xml"))

    assert result.ok and result.body == RSS
    assert result.final_url == server.url("/new.xml")
    assert result.permanent_redirect is permanent


def test_a_permanent_move_to_a_temporary_location_is_not_permanent(server: FeedServer) -> None:
    server.set("/cdn.xml", RSS)
    server.redirect("/old.xml", "/moved.xml", status=301)
    server.redirect("/moved.xml", "/cdn.xml", status=302)
    result = fetch(server.url("/old.xml"))
    assert result.body == RSS and not result.permanent_redirect


def test_a_redirect_loop_is_an_error(server: FeedServer) -> None:
    server.redirect("/loop.xml", "/loop.xml", status=302)
    result = fetch(server.url("/loop.xml"))
    assert result.error is not None and result.error.startswith("TooManyRedirects")
    assert len(server.requests) <= 6


# --- limits -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"content_length": True}, id="declared"),
        pytest.param({"content_length": False}, id="streamed"),
        pytest.param({"gzip": True}, id="gzip-bomb"),
    ],
)
def test_body_size_is_capped(server: FeedServer, options: dict[str, Any]) -> None:
    server.set("/big.xml", b"<" * 300_000, **options)
    result = fetch(server.url("/big.xml"), max_bytes=10_000)

    assert result.error == "body exceeds 10000 bytes"
    assert result.body is None and result.status == 200


def test_a_body_at_the_cap_is_accepted(server: FeedServer) -> None:
    server.set("/exact.xml", b"x" * 10_000, content_length=False)
    assert fetch(server.url("/exact.xml"), max_bytes=10_000).body == b"x" * 10_000


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"trickle": (1, 0.1)}, id="trickle"),  # every read succeeds, but too slowly
        pytest.param({"delay": 5.0}, id="silent"),
    ],
)
def test_the_timeout_is_a_deadline_for_the_whole_response(
    server: FeedServer, options: dict[str, Any]
) -> None:
    server.set("/slow.xml", RSS * 10, **options)
    started = time.monotonic()
    result = fetch(server.url("/slow.xml"), timeout=1.0)
    took = time.monotonic() - started

    assert result.error is not None and "Timeout" in result.error
    assert 0.9 <= took < 2.5
    assert 0.9 <= result.elapsed < 2.5


# --- failures are results, never exceptions ---------------------------------------------------


@pytest.mark.parametrize("status", [500, 410, 404])
def test_http_errors_are_recorded(server: FeedServer, status: int) -> None:
    server.set("/feed.xml", b"gone", status=status)
    state = FeedState(url=server.url("/feed.xml"), etag='"kept"', body_hash="kept")
    result = fetch(state)

    assert (result.status, result.error, result.retry_after) == (status, f"HTTP {status}", None)
    assert result.body is None and not result.unchanged
    assert (result.etag, result.body_hash) == ('"kept"', "kept")  # a failure forgets nothing


def test_429_records_retry_after_seconds(server: FeedServer) -> None:
    server.set("/feed.xml", status=429, headers={"Retry-After": "120"})
    result = fetch(server.url("/feed.xml"))
    assert (result.status, result.error, result.retry_after) == (429, "HTTP 429", 120.0)


def test_503_records_retry_after_as_an_http_date(server: FeedServer) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    server.set("/feed.xml", status=503, headers={"Retry-After": when})
    result = fetch(server.url("/feed.xml"))
    assert result.status == 503 and result.retry_after is not None
    assert 50 <= result.retry_after <= 61


def test_parse_retry_after() -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_retry_after("30", now) == 30.0
    assert parse_retry_after("Mon, 01 Jan 2024 00:02:00 GMT", now) == 120.0
    assert parse_retry_after("Sun, 31 Dec 2023 00:00:00 GMT", now) == 0.0  # already past
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("", now) is None
    assert parse_retry_after(None, now) is None


def test_connection_refused_is_recorded() -> None:
    result = fetch(f"http://127.0.0.1:{unused_port()}/feed.xml")
    assert result.status is None and result.body is None
    assert result.error is not None and result.error.startswith("ConnectError")


def test_an_unsupported_scheme_is_recorded() -> None:
    result = fetch("ftp://example.org/feed.xml")
    assert result.error is not None and result.error.startswith("UnsupportedProtocol")


def test_errors_never_carry_secrets_from_the_url(server: FeedServer) -> None:
    server.redirect("/feed.xml", "http://user:hunter2@127.0.0.1:1/x?token=s3cret", status=302)
    result = fetch(server.url("/feed.xml?token=s3cret"))
    assert result.error is not None
    assert "s3cret" not in result.error and "hunter2" not in result.error


def test_describe_error_redacts_urls_in_messages() -> None:
    error = ValueError("cannot open https://u:pw@host.example/x?token=s3cret#f\nfor reading")
    assert describe_error(error) == "ValueError: cannot open https://host.example/x for reading"
    assert describe_error(TimeoutError()) == "TimeoutError"
    assert len(describe_error(ValueError("x" * 10_000))) <= 300


def test_redact_url_drops_userinfo_query_and_fragment() -> None:
    url = "https://user:pw@Example.org:8443/feed.xml?token=secret#top"
    assert redact_url(url) == "https://Example.org:8443/feed.xml"
    assert redact_url("http://[::1") == "<unparseable URL>"


# --- local files ------------------------------------------------------------------------------


def test_file_url_and_plain_path_are_read(tmp_path: Path) -> None:
    feed = tmp_path / "feed one.xml"
    feed.write_bytes(RSS)
    for target in (feed.as_uri(), str(feed)):
        result = fetch(target)
        assert result.ok and result.body == RSS and result.body_hash == sha256(RSS)
        assert result.status is None and result.final_url == target


def test_an_unchanged_file_is_unchanged(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(RSS)
    result = fetch(FeedState(url=str(feed), body_hash=sha256(RSS)))
    assert result.unchanged and result.body_hash == sha256(RSS)


def test_a_missing_file_is_an_error_result(tmp_path: Path) -> None:
    result = fetch((tmp_path / "absent.xml").as_uri())
    assert result.error is not None and result.error.startswith("FileNotFoundError")


def test_a_file_over_the_cap_is_an_error_result(tmp_path: Path) -> None:
    feed = tmp_path / "big.xml"
    feed.write_bytes(b"x" * 2_000)
    assert fetch(str(feed), max_bytes=1_000).error == "body exceeds 1000 bytes"


# --- many feeds -------------------------------------------------------------------------------


def test_fetch_all_bounds_concurrency_per_host(server: FeedServer) -> None:
    paths = [f"/feed{n}.xml" for n in range(6)]
    for path in paths:
        server.set(path, RSS, delay=0.3)
    settings = FetchSettings(concurrency=8, per_host_concurrency=2, timeout=10)
    results = asyncio.run(fetch_all([FeedState(url=server.url(p)) for p in paths], settings))

    assert [r.final_url for r in results] == [server.url(p) for p in paths]
    assert all(r.body == RSS for r in results)
    assert server.max_active == 2


def test_fetch_all_bounds_concurrency_overall(server: FeedServer) -> None:
    # "127.0.0.1" and "localhost" are two hosts to the fetcher, one server here.
    urls = [
        server.url(f"/feed{n}.xml", host=host)
        for host in ("127.0.0.1", "localhost")
        for n in range(4)
    ]
    for n in range(4):
        server.set(f"/feed{n}.xml", RSS, delay=0.3)
    settings = FetchSettings(concurrency=3, per_host_concurrency=2, timeout=10)
    results = asyncio.run(fetch_all([FeedState(url=u) for u in urls], settings))

    assert all(r.ok for r in results)
    assert server.max_active == 3


def test_fetch_all_keeps_input_order_and_isolates_failures(server: FeedServer) -> None:
    server.set("/slow.xml", RSS, delay=0.4)
    server.set("/fast.xml", RSS)
    urls = [server.url("/slow.xml"), f"http://127.0.0.1:{unused_port()}/x", server.url("/fast.xml")]
    settings = FetchSettings(timeout=5)

    async def run() -> list[FetchResult]:
        async with make_client(settings) as client:
            return await fetch_all([FeedState(url=u) for u in urls], settings, client=client)

    slow, refused, fast = asyncio.run(run())
    assert slow.body == RSS and fast.body == RSS and slow.elapsed > fast.elapsed
    assert refused.error is not None and refused.error.startswith("ConnectError")
