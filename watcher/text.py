"""Text helpers shared by the stages: HTML to plain text, sentences, words."""

from __future__ import annotations

import functools
import html
import re
import sys
import unicodedata
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset(
    "p div br li ul ol h1 h2 h3 h4 h5 h6 blockquote tr td th table section article header "
    "footer pre hr dd dt figcaption".split()
)
_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "object"})


class _TextExtractor(HTMLParser):
    """Collects text, turning block elements into line breaks and dropping scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\s*\n\s*")


def html_to_text(markup: str) -> str:
    """Return the readable text of an HTML fragment: no tags, no scripts, entities decoded."""
    if "<" not in markup and "&" not in markup:
        return _tidy(markup)
    parser = _TextExtractor()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # HTMLParser is lenient; this guards against pathological input only
        return _tidy(html.unescape(re.sub(r"<[^>]*>", " ", markup)))
    return _tidy("".join(parser.parts))


def _tidy(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n", text).strip()


# Abbreviations whose trailing period does not end a sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof gen col lt sgt capt adm gov sen rep pres st jr sr inc ltd co corp vs "
    "etc e.g i.e u.s u.k u.n e.u no jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])|\n+")


def split_sentences(text: str) -> list[str]:
    """Split plain text into sentences, keeping abbreviations such as "U.S." inside them."""
    sentences: list[str] = []
    start = 0
    for boundary in _SENTENCE_END.finditer(text):
        candidate = text[start : boundary.start()].strip()
        if not candidate:
            start = boundary.end()
            continue
        if boundary.group() and "\n" not in boundary.group() and _ends_with_abbreviation(candidate):
            continue
        sentences.append(candidate)
        start = boundary.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _ends_with_abbreviation(candidate: str) -> bool:
    last_word = candidate.rsplit(None, 1)[-1].rstrip(".\"'”’)]").lower()
    return last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha())


_WORD = re.compile(r"[\w][\w'’\-]*", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-cased word tokens, apostrophes and hyphens kept inside words."""
    return [w.replace("’", "'") for w in _WORD.findall(text.lower())]


def normalise(text: str) -> str:
    """Lower-case, accent-folded text without punctuation, for keys and fuzzy matching."""
    folded = unicodedata.normalize("NFKD", text)
    if not folded.isascii():  # str.translate: C speed, where a per-character loop was the cost
        folded = folded.translate(_combining_marks())
    return " ".join(words(folded))


@functools.cache
def _combining_marks() -> dict[int, None]:
    """Every combining character, mapped for deletion by str.translate (built once, ~0.1 s)."""
    return dict.fromkeys(c for c in range(sys.maxunicode + 1) if unicodedata.combining(chr(c)))
