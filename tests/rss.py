"""Build small RSS 2.0 documents for tests."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Item:
    """One RSS item."""

    guid: str
    title: str
    text: str
    date: str  # RFC 822, e.g. "Wed, 11 Jun 2025 18:20:00 GMT"
    link: str = ""


def rss(title: str, items: list[Item]) -> str:
    """An RSS 2.0 document with these items."""
    entries = "".join(
        f"<item><title>{escape(i.title)}</title>"
        f"<link>{escape(i.link or 'https://news.example/' + i.guid)}</link>"
        f'<guid isPermaLink="false">{escape(i.guid)}</guid><pubDate>{i.date}</pubDate>'
        f"<description>{escape(i.text)}</description></item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://news.example/</link>"
        f"<description>test</description>{entries}</channel></rss>"
    )
