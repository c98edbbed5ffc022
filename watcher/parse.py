"""Parse stage: turn a fetched feed (RSS, Atom, RDF, CDF, JSON Feed) into normalised stories.

Plain, well-formed UTF-8 RSS 2.0, RSS 1.0 and Atom 1.0 (most real news feeds; the check is in
``watcher.feedshape``) are read by fastfeedparser, about 40 times faster than feedparser, with the
dates read by feedparser's own date parser. Everything else (malformed documents, other encodings,
DTDs and entities, xml:base, Atom 0.3, CDF, XHTML content, an unexpected Content-Type) goes to
feedparser, which recovers what it can and says what was wrong. feedparser 6 does not read JSON
Feed, so JSON Feed 1.0/1.1 is read here with the json module. Every path produces the same
intermediate entry, normalised once. A malformed feed is recorded in ``ParsedFeed.error`` and
whatever entries were read are kept; nothing in here raises for a feed's sake.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

import fastfeedparser
import feedparser
from feedparser.datetimes import _parse_date as parse_date  # every format feedparser reads

from watcher.dedup import content_hash
from watcher.feedshape import EntryShape, plain_feed
from watcher.fetch import describe_error
from watcher.models import FetchResult, ParsedFeed, Story
from watcher.text import html_to_text

MAX_TITLE_CHARS = 500
MAX_TEXT_CHARS = 100_000
ID_CHARS = 16

# Query parameters that only track the click; removing them makes one story's links compare equal.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid",
        "mc_cid", "mc_eid", "ref", "ref_src", "ref_url", "ocid", "cmpid", "ncid", "smid", "icid",
        "xtor", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_",)
_DEFAULT_PORTS = {"http": 80, "https": 443}

_MINUTES_PER_PERIOD = {
    "hourly": 60,
    "daily": 24 * 60,
    "weekly": 7 * 24 * 60,
    "monthly": 30 * 24 * 60,
    "yearly": 365 * 24 * 60,
}
_MAX_TTL_MINUTES = 365 * 24 * 60  # longer than a year is not a real schedule


@dataclass(frozen=True)
class _Entry:
    """A feed entry before normalisation, whatever format it came from."""

    title: str  # plain text or HTML
    bodies: tuple[str, ...]  # HTML candidates for the text (content, summary, ...)
    link: str | None
    guid: str | None
    published: datetime | None


def parse_feed(result: FetchResult) -> ParsedFeed:
    """Read the stories of a fetched feed; a malformed feed keeps its entries and records why.

    The stories' ids derive from ``result.url`` (the configured URL, stable across redirects);
    relative links resolve against ``result.final_url``.
    """
    if result.body is None:
        return ParsedFeed(url=result.url, stories=())  # unchanged or failed: nothing to read
    if not result.body.strip():
        status = result.status or 200
        return ParsedFeed(
            url=result.url, stories=(), warning=f"empty body: HTTP {status} with nothing in it"
        )
    try:
        if _looks_like_json(result.body):
            parsed = _parse_json_feed(result)
        else:
            parsed = _parse_xml_feed(result)
    except Exception as exc:  # a hostile feed must never take the daemon down
        return ParsedFeed(url=result.url, stories=(), error=describe_error(exc))
    if not parsed.stories and parsed.error is None and parsed.warning is None:
        # A dead feed often still answers 200 with a valid, empty document: say so.
        return replace(parsed, warning="no entries: the document lists no items")
    return parsed


def canonical_link(url: str) -> str:
    """The link without tracking parameters, lower-case scheme/host, no default port.

    Other query parameters are kept, in order and as written. A fragment is kept when it names
    a part of the page (``#post-2`` of a live blog, ``#comment-81`` of a comment feed): entries
    whose links differ only there are different entries. A fragment that carries parameters
    (``#xtor=RSS-3``, ``#utm_source=feed``) only tracks the click and goes. Non-http(s) URLs are
    only trimmed.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url  # not parseable as a URL: leave it for the caller to compare as is
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    userinfo, at, _ = parts.netloc.rpartition("@")
    netloc = f"{userinfo}{at}{host}"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    query = "&".join(pair for pair in parts.query.split("&") if pair and not _is_tracking(pair))
    fragment = "" if "=" in parts.fragment else parts.fragment
    return urlunsplit((scheme, netloc, parts.path or "/", query, fragment))


def _is_tracking(pair: str) -> bool:
    name = unquote_plus(pair.partition("=")[0]).lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def _story_id(feed_url: str, key: str) -> str:
    """A short id that stays the same across polls for the same entry of the same feed."""
    return hashlib.sha1(f"{feed_url}\n{key}".encode()).hexdigest()[:ID_CHARS]


def _ttl_minutes(channel: Mapping[str, Any]) -> int | None:
    """Minutes between updates the feed asks for: ``<ttl>``, else ``sy:updatePeriod``/``Frequency``.

    None when absent or nonsense (not a positive number, longer than a year).
    """
    minutes = _positive_int(channel.get("ttl"))
    if minutes is None:
        minutes = _syndication_minutes(channel)
    return minutes if minutes is not None and minutes <= _MAX_TTL_MINUTES else None


def _syndication_minutes(channel: Mapping[str, Any]) -> int | None:
    period = str(channel.get("sy_updateperiod") or "").strip().lower()
    if period not in _MINUTES_PER_PERIOD:
        return None
    raw_frequency = channel.get("sy_updatefrequency")
    frequency = 1 if raw_frequency is None else _positive_int(raw_frequency)  # the spec's default
    if frequency is None:
        return None
    return max(1, round(_MINUTES_PER_PERIOD[period] / frequency))


def _positive_int(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


# --- XML formats: fastfeedparser when it is safe, feedparser otherwise ---------------------------


def _parse_xml_feed(result: FetchResult) -> ParsedFeed:
    return _parse_fast(result) or _parse_with_feedparser(result)


def _parse_fast(result: FetchResult) -> ParsedFeed | None:
    """The feed read by fastfeedparser; None when it needs feedparser (see watcher.feedshape)."""
    body = result.body or b""
    shape = plain_feed(body, result.headers, over_http=_is_web_url(result.final_url))
    if shape is None:
        return None
    try:
        parsed = fastfeedparser.parse(
            body, include_tags=False, include_media=False, include_enclosures=False
        )
    except Exception:  # beyond fastfeedparser after all: feedparser will say why
        return None
    title = _short_title(parsed.feed.get("title"))
    if len(parsed.entries) != len(shape.entries) or title is None:
        return None  # it skipped an entry, or found no title where feedparser may find one
    entries = (
        _fast_entry(entry, shape.own_ids, entry_shape)
        for entry, entry_shape in zip(parsed.entries, shape.entries, strict=True)
    )
    return ParsedFeed(
        url=result.url,
        stories=tuple(_stories(result, entries)),
        title=title,
        ttl_minutes=_ttl_minutes(shape.hints),
    )


def _fast_entry(entry: Mapping[str, Any], own_id: bool, shape: EntryShape) -> _Entry:
    # Without a description fastfeedparser makes one from the content with the tags (but not the
    # scripts' text) stripped: only a description the entry has is read.
    bodies = [part.get("value") or "" for part in entry.get("content") or ()]
    if shape.summary:
        bodies.append(entry.get("description") or "")
    return _Entry(
        title=entry.get("title") or "",
        bodies=tuple(bodies),
        link=entry.get("link"),
        guid=entry.get("id") if own_id else None,
        # feedparser's own date parser on the raw dates, so that both paths read odd dates alike
        published=_first_date(parse_date(raw) for raw in (shape.published, shape.updated) if raw),
    )


def _parse_with_feedparser(result: FetchResult) -> ParsedFeed:
    headers = dict(result.headers)
    if _is_web_url(result.final_url):
        # Given bytes, feedparser takes the base for relative links from Content-Location only.
        location = headers.get("content-location", "")
        headers["content-location"] = urljoin(result.final_url, location)
    parsed = feedparser.parse(result.body, response_headers=headers)
    entries = (_xml_entry(entry) for entry in parsed.entries)
    return ParsedFeed(
        url=result.url,
        stories=tuple(_stories(result, entries)),
        title=_short_title(parsed.feed.get("title")),
        error=describe_error(parsed.bozo_exception) if parsed.bozo else None,
        ttl_minutes=_ttl_minutes(parsed.feed),
    )


def _xml_entry(entry: Mapping[str, Any]) -> _Entry:
    bodies = [part.get("value") or "" for part in entry.get("content") or ()]
    bodies.append(entry.get("summary") or "")
    return _Entry(
        title=entry.get("title") or "",
        bodies=tuple(bodies),
        link=entry.get("link"),
        guid=entry.get("id"),
        # dict.get: feedparser's own get() maps a missing updated_parsed to published_parsed,
        # with a DeprecationWarning, even when that one is None.
        published=_first_date(
            dict.get(entry, key) for key in ("published_parsed", "updated_parsed", "created_parsed")
        ),
    )


def _first_date(candidates: Iterable[Any]) -> datetime | None:
    """The first valid date among feedparser's parsed time tuples (already in UTC)."""
    for parsed in candidates:
        try:
            return datetime(*parsed[:6], tzinfo=UTC)
        except (TypeError, ValueError, OverflowError):
            continue  # absent (None) or out of range: try the next
    return None


# --- JSON Feed ---------------------------------------------------------------------------------


def _looks_like_json(body: bytes) -> bool:
    return body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def _parse_json_feed(result: FetchResult) -> ParsedFeed:
    document = json.loads(result.body or b"")  # json detects UTF-8/16/32 from the bytes
    if not isinstance(document, dict):
        raise ValueError("a JSON Feed must be an object")
    version = str(document.get("version") or "")
    error = None
    if not version.startswith("https://jsonfeed.org/version/"):
        error = f"ValueError: not a JSON Feed version: {version[:80]!r}"
    items = document.get("items")
    if not isinstance(items, list):
        raise ValueError("a JSON Feed must have an items list")
    objects = [item for item in items if isinstance(item, dict)]
    wrong = len(items) - len(objects)
    warning = (
        f"{wrong} of {len(items)} JSON Feed items are not objects (skipped)" if wrong else None
    )
    return ParsedFeed(
        url=result.url,
        stories=tuple(_stories(result, (_json_entry(item) for item in objects))),
        title=_short_title(_plain_as_html(_json_str(document.get("title")))),
        error=error,
        warning=warning,
    )


def _json_entry(item: Mapping[str, Any]) -> _Entry:
    # content_text, summary and title are plain text by the spec: escape so "<" stays text.
    bodies = (
        _json_str(item.get("content_html")),
        _plain_as_html(_json_str(item.get("content_text"))),
        _plain_as_html(_json_str(item.get("summary"))),
    )
    return _Entry(
        title=_plain_as_html(_json_str(item.get("title"))),
        bodies=bodies,
        link=_json_str(item.get("url")) or _json_str(item.get("external_url")) or None,
        guid=_json_str(item.get("id")) or None,
        published=_iso_date(item.get("date_published")) or _iso_date(item.get("date_modified")),
    )


def _json_str(value: Any) -> str:
    """A JSON value as a string when it is a scalar one (ids may be numbers); "" otherwise."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _plain_as_html(text: str) -> str:
    return html.escape(text, quote=False)


def _iso_date(value: Any) -> datetime | None:
    """An RFC 3339 date as UTC; a date without zone is taken as UTC; None when invalid."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    try:
        return when.astimezone(UTC)
    except OverflowError:
        return None


# --- normalisation, shared by every format ------------------------------------------------------


def _stories(result: FetchResult, entries: Iterable[_Entry]) -> Iterator[Story]:
    for entry in entries:
        story = _story(result, entry)
        if story is not None:
            yield story


def _story(result: FetchResult, entry: _Entry) -> Story | None:
    """The normalised story, or None for an entry with neither title nor text."""
    title = html_to_text(entry.title)[:MAX_TITLE_CHARS].strip()
    text = max((html_to_text(body) for body in entry.bodies if body), key=len, default="")
    text = text[:MAX_TEXT_CHARS].strip()
    if not title and not text:
        return None
    link = _story_link(entry.link, result.final_url)
    guid = entry.guid.strip() if entry.guid and entry.guid.strip() else None
    digest = content_hash(title, text)
    return Story(
        id=_story_id(result.url, guid or link or digest),
        feed_url=result.url,
        title=title,
        text=text,
        link=link,
        guid=guid,
        published=entry.published,
        content_hash=digest,
    )


def _story_link(link: str | None, base_url: str) -> str | None:
    if not link or not link.strip():
        return None
    if _is_web_url(base_url):
        link = urljoin(base_url, link.strip())
    return canonical_link(link)


def _short_title(value: str | None) -> str | None:
    title = html_to_text(value or "")[:MAX_TITLE_CHARS].strip()
    return title or None


def _is_web_url(url: str) -> bool:
    return url.startswith(("http://", "https://"))
