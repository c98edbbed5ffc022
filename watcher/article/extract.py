"""Extract an article page's main text, author and date with trafilatura (CPU work: no I/O).

trafilatura drops what is not the article: navigation, related-links boxes, cookie banners,
comments and footers. The page's bytes are decoded here, from the charset the server or the page
declares, else UTF-8, else windows-1252 (what browsers read an undeclared Latin page as), so a
compressed or oddly encoded body is never handed to trafilatura's own guessing.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

# Where a page may declare its charset: <meta charset="..."> or the http-equiv form.
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)
_SNIFF_BYTES = 4096  # the HTML spec looks for the declaration in the first 1024 bytes; be lenient
_FALLBACK_ENCODING = "windows-1252"


@dataclass(frozen=True)
class Extracted:
    """What the page says: its main text (paragraphs on their own lines), author and date."""

    text: str
    author: str | None = None
    published: datetime | None = None


def decode_page(body: bytes, declared: str | None) -> str:
    """The page as text, from its declared charset (header, then meta), else UTF-8 or cp1252."""
    sniffed = _META_CHARSET.search(body[:_SNIFF_BYTES])
    candidates = [declared, sniffed.group(1).decode("ascii") if sniffed else None]
    for name in candidates:
        if name and _known_encoding(name):
            return body.decode(name, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode(_FALLBACK_ENCODING, errors="replace")


def _known_encoding(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def extract_article(page: str, url: str) -> Extracted | None:
    """The article in ``page``; None when trafilatura finds no main text in it."""
    import trafilatura  # on first use: it takes a third of a second, which no other command pays

    document = trafilatura.bare_extraction(
        page,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=True,  # a related-stories box read as text would be false evidence
        # The page's declared dates (meta tags, <time>) only: searching the whole text for
        # dates cost three times the extraction itself (docs/benchmarks.md).
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if document is None or not document.text:
        return None
    return Extracted(
        text=_tidy(document.text),
        author=(document.author or "").strip() or None,
        published=_date(document.date),
    )


def _tidy(text: str) -> str:
    """One paragraph per line, spaces collapsed, NFC: the shape of the feed's own text."""
    lines = (" ".join(line.split()) for line in unicodedata.normalize("NFC", text).splitlines())
    return "\n".join(line for line in lines if line)


def _date(value: str | None) -> datetime | None:
    """trafilatura's ``YYYY-MM-DD`` as midnight UTC; None when absent or not a date."""
    try:
        return datetime.strptime(value or "", "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
