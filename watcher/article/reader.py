"""Read the articles behind feed entries politely, and attach them to their stories.

Every request goes through the feeds' client (its timeouts, connection limits and User-Agent with
the contact), after the site's robots.txt allows it, at most ``[fetch] per_host_concurrency`` at
once per host and at least ``[articles] host_delay`` apart; the body is capped like a feed's, its
decompressed size included. Decoding and extraction are CPU work and run in a worker thread, so
a slow or huge page never holds up the event loop (the other feeds). Nothing here raises for an
article's sake: a page that cannot be read leaves the story with the reason, and its summary.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import urlsplit

import httpx

from watcher.article.extract import Extracted, decode_page, extract_article
from watcher.article.robots import RobotsRules
from watcher.config import ArticleSettings, FetchSettings
from watcher.dedup import content_hash
from watcher.fetch import BodyTooLarge, UnsupportedEncoding, describe_error, read_capped, redact_url
from watcher.models import Story
from watcher.text import normalise

log = logging.getLogger(__name__)

ACCEPT_HTML = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


class Unreadable(Exception):
    """Why an article was not read; the message is what the story records."""


class ArticleReader:
    """Reads articles for one process: keeps robots.txt and each host's pacing between polls."""

    def __init__(self, articles: ArticleSettings, fetch: FetchSettings) -> None:
        self.settings = articles
        self.fetch = fetch
        self.robots = RobotsRules(fetch.timeout)
        self._hosts: dict[str, _Host] = {}

    async def read_all(self, client: httpx.AsyncClient, stories: Sequence[Story]) -> list[Story]:
        """``stories`` with their articles read (or the reason why not), in the same order."""
        return list(await asyncio.gather(*(self.read(client, story) for story in stories)))

    async def read(self, client: httpx.AsyncClient, story: Story) -> Story:
        """``story`` with its article, or with ``article_error`` set; never raises."""
        url = story.link or ""
        started = time.monotonic()
        try:
            extracted = await self._extract(client, url)
            read = attach_article(story, extracted, self.settings.min_text_chars)
        except Unreadable as why:
            read = replace(story, article_error=str(why))
        except TimeoutError:
            read = replace(
                story, article_error=f"TimeoutError: no complete page in {self.fetch.timeout:g} s"
            )
        except Exception as exc:  # one bad page must never fail the feed or the poll
            read = replace(story, article_error=describe_error(exc))
        if read.article_error:
            log.info("article %s not read: %s", redact_url(url), read.article_error)
        else:
            log.debug(
                "article %s: %d characters in %.2f s",
                redact_url(url),
                len(read.article),
                time.monotonic() - started,
            )
        return read

    async def _extract(self, client: httpx.AsyncClient, url: str) -> Extracted:
        if not await self.robots.allows(client, url):
            raise Unreadable("robots.txt disallows it")
        host = self._hosts.setdefault(
            urlsplit(url).hostname or "", _Host(self.fetch.per_host_concurrency)
        )
        async with host.slot:
            await host.wait_turn(self.settings.host_delay)
            async with asyncio.timeout(self.fetch.timeout):
                body, charset = await self._download(client, url)
        extracted = await asyncio.to_thread(_read_page, body, charset, url)
        if extracted is None:
            raise Unreadable("no article text found in the page")
        return extracted

    async def _download(self, client: httpx.AsyncClient, url: str) -> tuple[bytes, str | None]:
        async with client.stream("GET", url, headers={"Accept": ACCEPT_HTML}) as response:
            if not response.is_success:
                raise Unreadable(f"HTTP {response.status_code}")
            media = response.headers.get("content-type", "").partition(";")[0].strip().lower()
            if media and media not in HTML_TYPES:
                raise Unreadable(f"not an HTML page ({media[:60]})")
            try:
                body = await read_capped(response, self.fetch.max_bytes)
            except (BodyTooLarge, UnsupportedEncoding) as exc:
                raise Unreadable(str(exc)) from None
            return body, response.charset_encoding


def _read_page(body: bytes, charset: str | None, url: str) -> Extracted | None:
    """Decode and extract (in a worker thread)."""
    return extract_article(decode_page(body, charset), url)


def attach_article(story: Story, extracted: Extracted, min_chars: int) -> Story:
    """``story`` with the extracted article: its text, and the date and author the feed lacks.

    Raises Unreadable for a stub (shorter than ``min_chars``: a paywall, a consent wall, an
    empty page) or a page that says less than the feed's own text.
    """
    lines = extracted.text.splitlines()
    if lines and normalise(lines[0]) == normalise(story.title):
        lines = lines[1:]  # the page's headline repeats the entry's title
    text = "\n".join(lines)
    if len(text) < min_chars:
        raise Unreadable(f"too short ({len(text)} characters): a paywall or an empty page")
    if len(text) <= len(story.text):
        raise Unreadable("the page says no more than the feed's own text")
    return replace(
        story,
        article=text,
        article_hash=content_hash(story.title, text),
        article_error=None,
        published=story.published or extracted.published,
        author=extracted.author,
    )


class _Host:
    """One host's share of the requests: so many at once, and a minimum delay between starts."""

    def __init__(self, concurrency: int) -> None:
        self.slot = asyncio.Semaphore(concurrency)
        self._turn = asyncio.Lock()
        self._next_start = 0.0

    async def wait_turn(self, delay: float) -> None:
        """Return when the next request to this host may start."""
        async with self._turn:
            wait = self._next_start - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._next_start = time.monotonic() + delay
