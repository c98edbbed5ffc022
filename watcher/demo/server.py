"""A local HTTP server that replays feed snapshots, with ETags so unchanged feeds answer 304.

It also serves the snapshots' article pages (``NAME.html`` for a link ending in ``/NAME``), which
summary-only feeds link to on their outlets' (fictional) hosts: ``transport()`` sends every
request of the demo's client here, so those links stay as the feeds wrote them.
"""

from __future__ import annotations

import hashlib
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx


class SnapshotServer:
    """Serves ``<snapshot>/<feed file>`` from the current snapshot, or the latest earlier one.

    Use as a context manager; ``url(name)`` gives a feed's address, ``show(index)`` moves on.
    """

    def __init__(self, snapshots: list[Path]) -> None:
        self.snapshots = snapshots
        self.current = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def feed_names(self) -> list[str]:
        """Every feed file that appears in any snapshot."""
        return sorted({p.name for snapshot in self.snapshots for p in snapshot.glob("*.xml")})

    def url(self, name: str) -> str:
        """The address of one feed on this server."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/{name}"

    def show(self, index: int) -> None:
        """Serve snapshot ``index`` from now on."""
        self.current = index

    def transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport that answers every request from this server, whatever its host."""
        return _ToServer(self._server.server_address[1])

    def file(self, name: str) -> Path | None:
        """The feed or page as of the current snapshot, or None if it has not appeared yet."""
        for snapshot in reversed(self.snapshots[: self.current + 1]):
            for path in (snapshot / name, snapshot / f"{name}.html"):
                if path.is_file():
                    return path
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = server.file(Path(self.path.split("?")[0]).name)
                if path is None:
                    self.send_error(HTTPStatus.NOT_FOUND)
                    return
                body = path.read_bytes()
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(HTTPStatus.NOT_MODIFIED)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", _content_type(path))
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # the demo prints its own account of each step

        return Handler

    def __enter__(self) -> SnapshotServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _content_type(path: Path) -> str:
    if path.suffix == ".html":
        return "text/html; charset=utf-8"
    return "application/rss+xml; charset=utf-8"


class _ToServer(httpx.AsyncHTTPTransport):
    """Sends each request to the snapshot server on 127.0.0.1, keeping its path and headers."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        return await super().handle_async_request(request)
