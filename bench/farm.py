"""A feed farm: many synthetic feeds over HTTP on loopback addresses, run as its own process.

    python -m bench.farm --feeds 10000 --hosts 50 [--mode static|rolling]

It prints one JSON line when it listens, ``{"urls": [...], "pid": N}``, serves until its
standard input closes (the benchmark that started it ended) or SIGTERM, and answers
``GET /_stats`` with its counters. Feeds are spread over ``--hosts`` loopback addresses
(127.0.0.1, 127.0.0.2 ...: all of 127.0.0.0/8 is this machine), each a host of its own to the
fetcher's per-host limit, as real feeds are. A plain asyncio protocol answers, so that the farm
costs the benchmark as little CPU as possible, and it runs in its own process so that its work
does not count in the client's figures.

Modes: ``static`` serves every feed from a pool of pre-built documents; even-numbered feeds keep
their ETag and answer a matching ``If-None-Match`` with 304, odd-numbered ones change on every
request (so from the second round on, half the feeds answer 304). ``rolling`` gives every feed
new items on every request: five new stories and fifteen already seen, as a busy news feed does.
Bodies are gzipped when the client accepts it, as real servers do.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import signal
import subprocess
import sys
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.synthetic import Corpus, Item, build_feeds, items, load_corpus, rss

POOL = 500  # distinct documents in static mode
PER_FEED = 20
NEW_PER_POLL = 5
_REASONS = {200: b"OK", 304: b"Not Modified", 404: b"Not Found"}


@dataclass(frozen=True)
class Answer:
    """A response body with its validator, plain and gzipped."""

    etag: bytes
    body: bytes
    gzipped: bytes


class Farm:
    """The feeds' state: each feed's version, and the documents to answer with."""

    def __init__(self, corpus: Corpus, feeds: int, mode: str) -> None:
        self.mode = mode
        self.feeds = feeds
        self.versions = [0] * feeds
        self.stats: Counter[str] = Counter(requests=0, ok=0, not_modified=0, bytes=0)
        if mode == "static":
            documents = build_feeds(corpus, min(feeds, POOL) * PER_FEED, per_feed=PER_FEED)
            self.pool = [(d.body, gzip.compress(d.body, 6)) for d in documents]
        else:
            # Enough distinct stories that feeds do not repeat each other for a long soak.
            self.stream = items(corpus, feeds * 200, duplicate_share=0.0)

    def answer(self, feed: int, if_none_match: bytes | None) -> tuple[int, Answer]:
        """The status and (unless 304) the document for one request of ``feed``."""
        version = self.versions[feed]
        etag = b'"%d-%d"' % (feed, version)
        if if_none_match == etag:
            self.stats["not_modified"] += 1
            return 304, Answer(etag, b"", b"")
        if self.mode == "rolling" or feed % 2:
            self.versions[feed] += 1  # the next request sees a changed feed
        self.stats["ok"] += 1
        body, gzipped = self._document(feed, version)
        return 200, Answer(etag, body, gzipped)

    def _document(self, feed: int, version: int) -> tuple[bytes, bytes]:
        if self.mode == "static":
            return self.pool[(feed + version) % len(self.pool)]
        first = version * NEW_PER_POLL
        window = [self._item(feed, n) for n in range(first + PER_FEED - 1, first - 1, -1)]
        body = rss(f"Feed {feed}", window, full=feed % 4 == 0, ttl=None)  # the soak sets the pace
        return body, gzip.compress(body, 6)

    def _item(self, feed: int, number: int) -> Item:
        """The feed's ``number``-th story: its own guid, content from the shared stream."""
        source = self.stream[(feed * 997 + number * 31) % len(self.stream)]
        return Item(
            guid=f"farm-{feed}-{number}",
            title=source.title,
            summary=f"({feed}/{number}) {source.summary}",
            content=source.content,
            published=source.published,
            link=f"https://farm{feed}.example/story/{number}",
        )


_STATS_PATH = b"/_stats"


class _Protocol(asyncio.Protocol):
    """A minimal HTTP/1.1 server: GET only, keep-alive, no request bodies."""

    def __init__(self, farm: Farm) -> None:
        self.farm = farm
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
            self._respond(head)

    def _respond(self, head: bytes) -> None:
        assert self.transport is not None
        request, *lines = head.split(b"\r\n")
        path = request.split(b" ")[1] if request.count(b" ") >= 2 else b"/"
        headers = {}
        for line in lines:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        close = headers.get(b"connection", b"").lower() == b"close"
        if path != _STATS_PATH:  # reading the counters is not a poll
            self.farm.stats["requests"] += 1
        status, extra, body = self._route(path, headers)
        response = [b"HTTP/1.1 %d %s" % (status, _REASONS[status]), *extra]
        if status != 304:
            response.append(b"Content-Length: %d" % len(body))
        if close:
            response.append(b"Connection: close")
        self.transport.write(b"\r\n".join(response) + b"\r\n\r\n" + body)
        self.farm.stats["bytes"] += len(body)
        if close:
            self.transport.close()

    def _route(self, path: bytes, headers: dict[bytes, bytes]) -> tuple[int, list[bytes], bytes]:
        if path == _STATS_PATH:
            return 200, [b"Content-Type: application/json"], json.dumps(self.farm.stats).encode()
        name = path.rsplit(b"/", 1)[-1].removesuffix(b".xml")
        if not path.startswith(b"/feeds/") or not name.isdigit() or int(name) >= self.farm.feeds:
            return 404, [], b"not found"
        status, answer = self.farm.answer(int(name), headers.get(b"if-none-match"))
        extra = [b"ETag: " + answer.etag]
        if status == 304:
            return status, extra, b""
        extra.append(b"Content-Type: application/rss+xml; charset=utf-8")
        if b"gzip" in headers.get(b"accept-encoding", b""):
            extra.append(b"Content-Encoding: gzip")
            return status, extra, answer.gzipped
        return status, extra, answer.body


async def serve(feeds: int, hosts: int, mode: str) -> None:
    """Listen on ``hosts`` loopback addresses, print the feeds' URLs, serve until told to stop."""
    farm = Farm(load_corpus(), feeds, mode)
    loop = asyncio.get_running_loop()
    servers = []
    for host in range(hosts):
        address = f"127.0.0.{host + 1}"
        servers.append(await loop.create_server(lambda: _Protocol(farm), address, 0, backlog=1024))
    ports = [server.sockets[0].getsockname()[1] for server in servers]
    urls = [
        f"http://127.0.0.{feed % hosts + 1}:{ports[feed % hosts]}/feeds/{feed}.xml"
        for feed in range(feeds)
    ]
    stats_url = f"http://127.0.0.1:{ports[0]}{_STATS_PATH.decode()}"
    print(json.dumps({"urls": urls, "stats": stats_url}), flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    # The parent closing our standard input (or dying) also ends the farm.
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not sys.stdin.read(1) else None)
    await stop.wait()
    for server in servers:
        server.close()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(asyncio.gather(*(s.wait_closed() for s in servers)), 2)


@dataclass(frozen=True)
class RunningFarm:
    """A farm process started by a benchmark."""

    process: subprocess.Popen[bytes]
    urls: list[str]
    stats_url: str

    def stats(self) -> dict[str, int]:
        """The farm's counters: requests, ok, not_modified, bytes."""
        return farm_stats(self.stats_url)


def farm_stats(url: str) -> dict[str, int]:
    """A running farm's counters, from its ``/_stats`` URL (on loopback)."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@contextlib.contextmanager
def running_farm(feeds: int, hosts: int = 50, mode: str = "static") -> Iterator[RunningFarm]:
    """Start a farm in its own process for the ``with`` block; it ends with the block."""
    command = [sys.executable, "-m", "bench.farm", "--feeds", str(feeds), "--hosts", str(hosts)]
    process = subprocess.Popen(
        [*command, "--mode", mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the feed farm did not start (exit code {process.wait()})")
        ready = json.loads(line)
        yield RunningFarm(process, ready["urls"], ready["stats"])
    finally:
        if process.stdin:
            process.stdin.close()  # the farm's signal to stop
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    """Parse the options and serve."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, required=True)
    parser.add_argument("--hosts", type=int, default=50, help="loopback addresses (max 254)")
    parser.add_argument("--mode", choices=("static", "rolling"), default="static")
    args = parser.parse_args()
    asyncio.run(serve(args.feeds, max(1, min(args.hosts, 254, args.feeds)), args.mode))


if __name__ == "__main__":
    main()
