"""Compressed bodies against the size cap: real gzip and deflate bombs from a loopback server.

The cap counts decoded bytes as they are inflated, so memory stays bounded by the cap however
far a body would inflate.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import struct
import tracemalloc
import zlib

import pytest
from feedserver import FeedServer

from watcher.config import Config, FetchSettings
from watcher.fetch import BodyTooLarge, fetch_all, make_client, read_capped
from watcher.models import FeedState
from watcher.pipeline import Pipeline
from watcher.store import Store

MiB = 1 << 20
BOMB_INFLATES_TO = 1 << 30  # 1 GiB of zeros in about 1 MB of gzip
CAP = 5 * MiB
BOMBS = 8


@functools.cache
def gzip_bomb() -> bytes:
    """A valid gzip member of ``BOMB_INFLATES_TO`` zero bytes, built without holding them.

    After a full flush the compressor starts afresh, so the compressed form of one zero block
    can simply be repeated; the trailer carries the real CRC and size.
    """
    block = bytes(MiB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated_block = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    blocks = BOMB_INFLATES_TO // MiB
    crc = 0
    for _ in range(blocks):
        crc = zlib.crc32(block, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    end = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS).flush()  # an empty final block
    trailer = struct.pack("<II", crc, BOMB_INFLATES_TO & 0xFFFFFFFF)
    return header + deflated_block * blocks + end + trailer


def test_the_bomb_is_real() -> None:
    """The body the tests serve is a valid gzip stream that inflates far beyond the cap."""
    bomb = gzip_bomb()
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    first = inflater.decompress(bomb, 64 * MiB)
    assert len(bomb) < 1.5 * MiB and len(first) == 64 * MiB and not first.strip(b"\0")


def serve_bombs(server: FeedServer, encoding: str = "gzip") -> list[str]:
    body = gzip_bomb() if encoding == "gzip" else zlib.compress(bytes(64 * MiB), 9)
    urls = []
    for index in range(BOMBS):
        path = f"/bomb{index}.xml"
        server.set(path, body, headers={"Content-Encoding": encoding})
        urls.append(server.url(path))
    return urls


def test_gzip_bombs_stay_within_the_cap_in_memory(server: FeedServer) -> None:
    urls = serve_bombs(server)
    settings = FetchSettings(
        max_bytes=CAP, timeout=30.0, concurrency=BOMBS, per_host_concurrency=BOMBS
    )
    tracemalloc.start()
    try:
        results = asyncio.run(fetch_all([FeedState(url) for url in urls], settings))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert [r.error for r in results] == [f"body exceeds {CAP} bytes"] * BOMBS
    assert all(r.body is None and r.status == 200 for r in results)
    # Each fetch holds at most the cap and one compressed chunk: 8 x 5 MiB, not 8 x 1 GiB.
    assert peak < BOMBS * (CAP + MiB) + 16 * MiB, f"peak {peak / MiB:.0f} MiB"


def test_a_deflate_bomb_is_capped_too(server: FeedServer) -> None:
    url = serve_bombs(server, encoding="deflate")[0]
    settings = FetchSettings(max_bytes=CAP, timeout=30.0)
    result = asyncio.run(fetch_all([FeedState(url)], settings))[0]
    assert result.error == f"body exceeds {CAP} bytes"


def test_a_bombed_feed_is_recorded_as_failed(server: FeedServer, tmp_path) -> None:
    url = serve_bombs(server)[0]
    config = Config.model_validate({"feeds": [{"url": url}], "fetch": {"max_bytes": CAP}})
    with Store(tmp_path / "watcher.db") as store:
        report = asyncio.run(Pipeline(config, store).poll())
        feed = store.feeds.get(url)
        errors = store.feeds.errors(url)

    assert report.failed == 1 and report.new_stories == 0
    assert feed is not None and feed["consecutive_failures"] == 1
    assert feed["last_error"] == f"body exceeds {CAP} bytes"
    assert [(e["stage"], e["message"]) for e in errors] == [("fetch", feed["last_error"])]


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate", "identity"])
def test_read_capped_decodes_what_fits(server: FeedServer, encoding: str) -> None:
    text = b"<rss>" + b"news " * 20_000 + b"</rss>"
    body = {
        "gzip": gzip.compress(text),
        "deflate": zlib.compress(text),
        "raw-deflate": zlib.compress(text, wbits=-zlib.MAX_WBITS),
        "identity": text,
    }[encoding]
    header = "deflate" if encoding == "raw-deflate" else encoding
    server.set("/feed.xml", body, headers={"Content-Encoding": header})

    async def read(limit: int) -> bytes:
        async with (
            make_client(FetchSettings()) as client,
            client.stream("GET", server.url("/feed.xml")) as response,
        ):
            return await read_capped(response, limit)

    assert asyncio.run(read(len(text))) == text
    with pytest.raises(BodyTooLarge, match=f"body exceeds {len(text) - 1} bytes"):
        asyncio.run(read(len(text) - 1))


def test_an_encoding_it_cannot_bound_is_a_clear_error(server: FeedServer) -> None:
    server.set("/feed.xml", b"\x0b\x02\x80<rss/>\x03", headers={"Content-Encoding": "br"})
    settings = FetchSettings()
    result = asyncio.run(fetch_all([FeedState(server.url("/feed.xml"))], settings))[0]
    assert result.error == "unsupported Content-Encoding: br"
    assert server.requests[0].headers["accept-encoding"] == "gzip, deflate"
