"""A real HTTP server on 127.0.0.1 that serves scripted feed responses, for tests and benchmarks.

    with FeedServer() as server:
        server.set("/feed.xml", body=RSS, etag='"v1"')
        server.redirect("/old.xml", "/feed.xml", status=301)
        url = server.url("/feed.xml")
        ...
        assert server.requests_to("/feed.xml")[0].headers["user-agent"].startswith("watcher/")

Each route can answer with any status and headers, honour ETag / Last-Modified with a 304, wait
before answering, trickle its body, gzip it, or omit Content-Length. The server records every
request and the highest number of requests it was handling at once (``max_active``). Waits and
trickles end as soon as the server stops, so a test never hangs on it. POSTs (webhooks) are
answered the same way, their bodies recorded; ``script`` gives a path successive answers.
"""

from __future__ import annotations

import gzip
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

_CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


@dataclass(frozen=True)
class Route:
    """How the server answers one path."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    etag: str | None = None  # sent, and a matching If-None-Match gets a 304
    last_modified: str | None = None  # sent, and an equal If-Modified-Since gets a 304
    gzip: bool = False  # gzip the body when the client accepts gzip
    trickle: tuple[int, float] | None = None  # send (bytes, every seconds) instead of at once
    content_length: bool = True  # False: no Content-Length, the body ends when the connection does


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received."""

    method: str
    path: str  # with the query string
    headers: dict[str, str]  # lower-case names
    body: bytes = b""  # what a POST sent
    received: float = field(default_factory=time.monotonic)  # when it arrived (time.monotonic)


class FeedServer:
    """A scripted HTTP server in a background thread; use it as a context manager."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._routes: dict[str, Route] = {}
        self._scripts: dict[str, list[Route]] = {}
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._active = 0
        self._max_active = 0
        self._stopping = threading.Event()
        self._httpd = _Server((host, 0), _Handler)
        self._httpd.feed_server = self
        # A short poll interval makes stop() quick: shutdown() waits for the loop's next poll.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        """The port the server listens on (chosen by the OS)."""
        return self._httpd.server_address[1]

    def start(self) -> FeedServer:
        """Start serving in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; pending waits and trickles end at once."""
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def url(self, path: str, host: str | None = None) -> str:
        """The absolute URL of ``path``; ``host`` may name this machine otherwise ("localhost")."""
        return f"http://{host or self.host}:{self.port}{path}"

    def set(self, path: str, body: bytes | str = b"", **options: Any) -> Route:
        """Script the answer for ``path`` (without query); ``options`` are ``Route`` fields."""
        raw = body.encode("utf-8") if isinstance(body, str) else body
        route = Route(body=raw, **options)
        with self._lock:
            self._routes[path] = route
        return route

    def script(self, path: str, *routes: Route) -> None:
        """Answer successive requests for ``path`` with ``routes`` in turn; the last one repeats.

        ``server.script("/hook", Route(status=500), Route(status=500), Route(body=b"ok"))``
        """
        with self._lock:
            self._scripts[path] = list(routes)

    def redirect(self, path: str, location: str, status: int = 301) -> Route:
        """Answer ``path`` with a redirect to ``location`` (a path here, or any URL)."""
        return self.set(path, status=status, headers={"Location": urljoin(self.url("/"), location)})

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """The requests received for ``path`` (query strings ignored)."""
        return [r for r in self.requests if urlsplit(r.path).path == path]

    @property
    def max_active(self) -> int:
        """The highest number of requests that were being answered at the same time."""
        with self._lock:
            return self._max_active

    # --- called from the handler threads ---

    def _route(self, path: str) -> Route | None:
        with self._lock:
            script = self._scripts.get(urlsplit(path).path)
            if script:
                return script.pop(0) if len(script) > 1 else script[0]
            return self._routes.get(urlsplit(path).path)

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    @contextmanager
    def _counting_active(self) -> Iterator[None]:
        with self._lock:
            self._active += 1
            self._max_active = max(self._max_active, self._active)
        try:
            yield
        finally:
            with self._lock:
                self._active -= 1

    def _wait(self, seconds: float) -> bool:
        """Sleep unless the server stops first; True when it stopped."""
        return self._stopping.wait(seconds)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    feed_server: FeedServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Tests cut connections on purpose (size caps, deadlines): not worth a traceback.
        if not isinstance(sys.exc_info()[1], _CLIENT_GONE):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real feed servers do
    timeout = 10  # an idle keep-alive connection frees its thread after this
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        """Webhooks: the body is recorded with the request; the answer is scripted as for GET."""
        self._serve(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def _serve(self, body: bytes = b"") -> None:
        feeds = self.server.feed_server
        headers = {name.lower(): value for name, value in self.headers.items()}
        feeds._record(RecordedRequest(self.command, self.path, headers, body))
        with feeds._counting_active():
            route = feeds._route(self.path)
            if route is None:
                route = Route(body=b"not found", status=404)
            elif route.delay and feeds._wait(route.delay):
                return
            try:
                self._answer(route, headers)
            except _CLIENT_GONE:
                self.close_connection = True

    def _answer(self, route: Route, request_headers: dict[str, str]) -> None:
        if _not_modified(route, request_headers):
            self.send_response(304)
            self._send_validators(route)
            self.end_headers()
            return
        body = route.body
        self.send_response(route.status)
        if route.gzip and "gzip" in request_headers.get("accept-encoding", ""):
            body = gzip.compress(body)
            self.send_header("Content-Encoding", "gzip")
        self._send_validators(route)
        for name, value in route.headers.items():
            self.send_header(name, value)
        if not any(name.lower() == "content-type" for name in route.headers):
            self.send_header("Content-Type", "application/xml")
        if route.content_length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self._send_body(body, route.trickle)

    def _send_validators(self, route: Route) -> None:
        if route.etag:
            self.send_header("ETag", route.etag)
        if route.last_modified:
            self.send_header("Last-Modified", route.last_modified)

    def _send_body(self, body: bytes, trickle: tuple[int, float] | None) -> None:
        if trickle is None:
            self.wfile.write(body)
            return
        size, interval = trickle
        for start in range(0, len(body), size):
            self.wfile.write(body[start : start + size])
            self.wfile.flush()
            if self.server.feed_server._wait(interval):
                return

    def log_message(self, format: str, *args: object) -> None:
        """Silence the per-request log lines; tests read ``FeedServer.requests`` instead."""


def _not_modified(route: Route, request_headers: dict[str, str]) -> bool:
    if route.etag and request_headers.get("if-none-match") == route.etag:
        return True
    return (
        bool(route.last_modified)
        and request_headers.get("if-modified-since") == route.last_modified
    )
