"""Which XML feeds the fast parser may read: plain, well-formed UTF-8 RSS 2.0, RSS 1.0 or Atom 1.0.

fastfeedparser reads feeds about 40 times faster than feedparser, but it is lenient where
feedparser records a problem, and it reads the odd corners of the formats differently (Atom 0.3,
XHTML and base64 content, entities, xml:base, extension elements named like core ones). So only a
document that a strict XML parser accepts and whose entries hold nothing but the plain elements
goes the fast way; everything else goes to feedparser, which recovers what it can and says what
was wrong. The check is one strict parse with lxml (reading no DTD, entity or network resource)
and a walk over the entries' direct children: a few microseconds per entry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from lxml import etree

RSS1 = "http://purl.org/rss/1.0/"
ATOM = "http://www.w3.org/2005/Atom"
_CONTENT = "http://purl.org/rss/1.0/modules/content/"
_DC = "http://purl.org/dc/elements/1.1/"
_SY = "{http://purl.org/rss/1.0/modules/syndication/}"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

# The elements an entry may have in the namespaces both parsers know, by namespace.
_PLAIN = {
    "": frozenset(
        "title link description guid pubDate author category comments enclosure source".split()
    ),
    RSS1: frozenset({"title", "link", "description"}),
    ATOM: frozenset(
        "title summary content id link updated published author contributor category rights".split()
    ),
    _CONTENT: frozenset({"encoded"}),
    _DC: frozenset({"creator", "date", "subject", "rights", "language", "publisher"}),
}
# Extension elements by these names may stand in for core ones in one parser and not the other.
_CORE_NAMES = frozenset(
    "title link description summary content id guid pubDate published updated encoded date "
    "issued modified created body fullitem".split()
)
_SUMMARIES = frozenset({"description", "summary"})
_PUBLISHED = frozenset({"pubDate", "published"})
_UPDATED = frozenset({"updated", "date"})  # Atom updated, dc:date
_TEXT_TYPES = frozenset({"text", "html", "text/plain", "text/html"})
# Entities and base URIs, and C1 control characters (Windows-1252 punctuation written as if it
# were Latin-1, which feedparser repairs), are left to feedparser.
_UNSAFE = re.compile(rb"<!DOCTYPE|xml:base|\xc2[\x80-\x9f]")
_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([^\"';\s]+)", re.IGNORECASE)
_UTF8 = frozenset({"utf-8", "utf8"})
_STRICT = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@dataclass(frozen=True)
class EntryShape:
    """What the check read of one entry, for the fields fastfeedparser fills in its own way."""

    summary: bool  # it has a description / summary (fastfeedparser makes one up otherwise)
    published: str | None  # the raw dates, as feedparser would read them: pubDate, Atom published
    updated: str | None  # Atom updated, dc:date


@dataclass(frozen=True)
class FeedShape:
    """What the check learned about a plain feed."""

    entries: tuple[EntryShape, ...]  # in document order
    own_ids: bool  # every entry has its own guid / Atom id / rdf:about (else none has)
    hints: dict[str, str | None]  # <ttl> and sy:updatePeriod/Frequency, in feedparser's keys


def plain_feed(body: bytes, headers: Mapping[str, str], over_http: bool) -> FeedShape | None:
    """The feed's shape when the fast parser reads it exactly as feedparser would, else None.

    ``headers`` are the response's (lower-case names); ``over_http`` tells a response from a
    file read, for which a missing Content-Type is no fault.
    """
    if over_http and "content-type" not in headers:
        return None  # feedparser records the missing type as a problem
    if not _plain_bytes(body, headers):
        return None
    try:
        root = etree.fromstring(body, _STRICT)
    except etree.XMLSyntaxError:
        return None  # malformed: feedparser records why and keeps what it can
    found = _channel_and_entries(root)
    if found is None:
        return None
    channel, entries = found
    title = channel.find(f"{{{ATOM}}}title" if channel.tag == f"{{{ATOM}}}feed" else "title")
    if title is not None and not _plain_text(title):
        return None
    ids = [_own_id(entry) for entry in entries]
    if None in ids or not all(_plain_entry(entry) for entry in entries):
        return None
    if any(ids) and not all(ids):
        return None  # fastfeedparser fills a missing id with the link: it must not pass for a guid
    hints = {
        "ttl": channel.findtext("ttl"),
        "sy_updateperiod": channel.findtext(f"{_SY}updatePeriod"),
        "sy_updatefrequency": channel.findtext(f"{_SY}updateFrequency"),
    }
    shapes = tuple(_entry_shape(entry) for entry in entries)
    return FeedShape(entries=shapes, own_ids=all(ids), hints=hints)


def _plain_bytes(body: bytes, headers: Mapping[str, str]) -> bool:
    """UTF-8 without DTD, xml:base or C1 controls, served (if at all) as XML in UTF-8."""
    if "content-location" in headers or _UNSAFE.search(body):
        return False
    declared = _DECLARED_ENCODING.match(body)
    if declared and declared.group(1).decode("ascii", "replace").lower() not in _UTF8:
        return False
    content_type = headers.get("content-type")
    if content_type is None:
        return True
    mime, _, parameters = content_type.partition(";")
    mime = mime.strip().lower()
    charset = _CHARSET.search(parameters)
    if charset:
        return charset.group(1).lower() in _UTF8 and mime.endswith("xml")
    # RFC 3023: text/xml without a charset is US-ASCII, which feedparser enforces.
    return mime.startswith("application/") and mime.endswith("xml")


def _channel_and_entries(
    root: etree._Element,
) -> tuple[etree._Element, list[etree._Element]] | None:
    """The element holding the feed's own fields, and the entries: RSS 2.0, RSS 1.0, Atom 1.0."""
    if root.tag == "rss":
        channel = root.find("channel")
        return None if channel is None else (channel, channel.findall("item"))
    if root.tag == f"{{{_RDF}}}RDF":
        channel = root.find(f"{{{RSS1}}}channel")
        return None if channel is None else (channel, root.findall(f"{{{RSS1}}}item"))
    if root.tag == f"{{{ATOM}}}feed":
        return root, root.findall(f"{{{ATOM}}}entry")
    return None


def _own_id(entry: etree._Element) -> bool | None:
    """Whether the entry has its own id; None for an RSS item with an Atom-style one."""
    names = {etree.QName(child).localname for child in entry if isinstance(child.tag, str)}
    if entry.tag.endswith("}entry"):
        return "id" in names
    if "guid" in names or entry.get(f"{{{_RDF}}}about") is not None:
        return True
    return None if "id" in names else False


def _entry_shape(entry: etree._Element) -> EntryShape:
    summary, dates = False, {"published": None, "updated": None}
    for child in entry:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        summary = summary or name in _SUMMARIES
        kind = "published" if name in _PUBLISHED else "updated" if name in _UPDATED else None
        if kind:
            dates[kind] = (child.text or "").strip() or None  # the last one wins, as in feedparser
    return EntryShape(summary=summary, **dates)


def _plain_entry(entry: etree._Element) -> bool:
    """Only plain elements, and text or HTML (not XHTML, base64 or out-of-line) content."""
    for child in entry:
        if not isinstance(child.tag, str):
            continue  # a comment or processing instruction
        name = etree.QName(child)
        known = _PLAIN.get(name.namespace or "")
        if known is not None and name.localname not in known:
            return False  # a namespace both parsers know, but not one of its plain elements
        if known is None and name.localname in _CORE_NAMES:
            return False  # an extension element named like a core one
        if not _plain_text(child):
            return False
    return True


def _plain_text(element: etree._Element) -> bool:
    """False for an Atom text construct holding XHTML, base64 or an out-of-line ``src``."""
    name = etree.QName(element)
    if name.namespace != ATOM or name.localname not in ("title", "summary", "content"):
        return True
    kind = element.get("type")
    return (kind is None or kind in _TEXT_TYPES) and element.get("src") is None
