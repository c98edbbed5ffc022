"""robots.txt: fetched once per site, kept for a day, read with the standard library's parser.

Following RFC 9309: a robots.txt that is missing (4xx) allows everything; one that cannot be
fetched (5xx, timeout, network error, larger than the cap) forbids everything until it can,
retried sooner than a day.
"""

from __future__ import annotations

import asyncio
import logging
import time
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from watcher.fetch import describe_error, read_capped, redact_url

log = logging.getLogger(__name__)

AGENT = "watcher"  # the product token robots.txt rules name
MAX_ROBOTS_BYTES = 500_000  # RFC 9309 asks crawlers to read at least 500 KiB
KEEP_SECONDS = 24 * 3600.0  # RFC 9309: do not use a cached robots.txt for more than a day
RETRY_UNREACHABLE_SECONDS = 3600.0


class RobotsRules:
    """Each site's robots.txt, cached; ask ``allows(client, url)`` before fetching ``url``."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._rules: dict[str, tuple[float, RobotFileParser]] = {}  # origin -> (expires, rules)
        self._fetching: dict[str, asyncio.Lock] = {}

    async def allows(self, client: httpx.AsyncClient, url: str) -> bool:
        """True when the site's robots.txt lets watcher fetch ``url``."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        async with self._fetching.setdefault(origin, asyncio.Lock()):  # one fetch per site
            expires, rules = self._rules.get(origin, (0.0, None))
            if rules is None or expires <= time.monotonic():
                keep, rules = await self._fetch(client, origin)
                self._rules[origin] = (time.monotonic() + keep, rules)
        return rules.can_fetch(AGENT, url)

    async def _fetch(self, client: httpx.AsyncClient, origin: str) -> tuple[float, RobotFileParser]:
        rules = RobotFileParser()
        try:
            async with (
                asyncio.timeout(self.timeout),
                client.stream("GET", f"{origin}/robots.txt") as response,
            ):
                if response.status_code >= 500:
                    raise httpx.HTTPError(f"HTTP {response.status_code}")
                if response.status_code >= 400:
                    rules.allow_all = True  # no robots.txt: everything is allowed
                    return KEEP_SECONDS, rules
                body = await read_capped(response, MAX_ROBOTS_BYTES)
        except Exception as exc:  # unreachable: assume everything is disallowed, for a while
            log.info("robots.txt of %s unreachable: %s", redact_url(origin), describe_error(exc))
            rules.disallow_all = True
            return RETRY_UNREACHABLE_SECONDS, rules
        rules.parse(body.decode("utf-8", errors="replace").splitlines())
        return KEEP_SECONDS, rules
