"""Synthetic but realistic feeds and topics for the benchmarks.

Stories are built from FNC-1 (../shared/eval/fnc1: about 900 real news articles of 2014-2015 with
the headlines written about them). Each story is a headline with a window of its article's
sentences, so sizes and vocabulary are those of real news items and every story's content differs.
Feeds mix summary-only RSS, RSS with the full article in ``content:encoded``, and Atom, and a few
items are syndicated copies of earlier ones (dedup has real work). Topics take real headlines as
claims, their distinctive phrases as terms and the people and organisations the articles name as
actors. Without ../shared a seeded generator stands in, so the scripts still run (the figures are
then not comparable).
"""

from __future__ import annotations

import csv
import functools
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from watcher.text import split_sentences, words

SHARED = Path(__file__).resolve().parents[2] / "shared"
FNC1 = SHARED / "eval" / "fnc1"

SUMMARY_SENTENCES = 2  # a summary-only item carries the first sentences, as real feeds do
WINDOW_SENTENCES = 12  # a full-content item carries up to this many (FNC-1 median is ~15)
MAX_ALIASES = 3
_EPOCH = datetime(2025, 1, 6, 6, 0, tzinfo=UTC)
_STOPWORDS = frozenset(
    "a an and are as at be been but by can could for from had has have he her his how i if in "
    "into is it its may might new no not of on or our says said she so than that the their them "
    "they this to up was we were what when which who will with would you after over about".split()
)
_NAME = re.compile(r"\b[A-Z][a-z]+(?:[ -](?:al-)?[A-Z][a-z]+){0,2}\b")
_LOWER_WORD = re.compile(r"\b[a-z][a-z'\-]*")
_CALENDAR = frozenset(
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April June "
    "July August September October November December".split()
)
_CITIES = (
    "LONDON", "PARIS", "WASHINGTON", "BRUSSELS", "KYIV", "BERLIN", "GENEVA", "TOKYO", "CAIRO",
    "NEW YORK", "MOSCOW", "ANKARA", "BEIRUT", "NAIROBI", "SYDNEY", "OTTAWA", "MADRID", "ROME",
)  # fmt: skip


@dataclass(frozen=True)
class Article:
    """A headline and the sentences of the article it was written about."""

    claim: int  # index of the headline in ``Corpus.claims``
    event: int  # articles and headlines about the same news event share this
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Corpus:
    """The articles the stories are cut from, and the headlines that serve as titles and claims."""

    claims: tuple[str, ...]
    articles: tuple[Article, ...]
    source: str  # where the text came from, printed with every figure


@dataclass(frozen=True)
class Item:
    """One feed entry."""

    guid: str
    title: str
    summary: str
    content: tuple[str, ...]  # the article's paragraphs (empty for a summary-only item)
    published: datetime
    link: str


@dataclass(frozen=True)
class Feed:
    """A synthetic feed document and where it claims to come from."""

    url: str
    body: bytes
    entries: int


def load_corpus(path: Path = FNC1) -> Corpus:
    """FNC-1's related (headline, article) pairs; the seeded generator when ``path`` is absent."""
    bodies_file = path / "competition_test_bodies.csv"
    stances_file = path / "competition_test_stances.csv"
    if not (bodies_file.exists() and stances_file.exists()):
        return generated_corpus()
    with bodies_file.open(encoding="utf-8") as handle:
        bodies = {row["Body ID"]: row["articleBody"] for row in csv.DictReader(handle)}
    with stances_file.open(encoding="utf-8") as handle:
        pairs = [row for row in csv.DictReader(handle) if row["Stance"] != "unrelated"]
    events = _events((row["Headline"].strip(), row["Body ID"]) for row in pairs)
    claims: dict[str, int] = {}
    sentences: dict[str, tuple[str, ...]] = {}
    articles = []
    for row in pairs:
        claim = claims.setdefault(row["Headline"].strip(), len(claims))
        body_id = row["Body ID"]
        if body_id not in sentences:
            sentences[body_id] = tuple(split_sentences(bodies[body_id]))
        if sentences[body_id]:
            articles.append(Article(claim, events[body_id], sentences[body_id]))
    return Corpus(tuple(claims), tuple(articles), f"FNC-1 ({len(articles)} headline/article pairs)")


def _events(pairs: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Number the news events: headlines and articles linked by related pairs (union-find)."""
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        while parent.setdefault(node, node) != node:
            node = parent[node]
        return node

    bodies = set()
    for headline, body_id in pairs:
        bodies.add(body_id)
        parent[root("h:" + headline)] = root("b:" + body_id)
    numbers: dict[str, int] = {}
    return {body: numbers.setdefault(root("b:" + body), len(numbers)) for body in sorted(bodies)}


def generated_corpus(claims: int = 300, seed: int = 11) -> Corpus:
    """A stand-in corpus of template sentences, for when ../shared is not there."""
    rng = random.Random(seed)
    people = "Arlen Voss|Mira Castell|Tomas Greer|Ines Halvorsen|Obi Nwosu|Lena Kraft".split("|")
    bodies = "the Senate|the Kremlin|the European Commission|Downing Street|the Pentagon".split("|")
    subjects = (
        "grain corridor|air cover|carbon levy|border wall|peace talks|arms embargo|rate cut|"
        "trade tariff|nuclear deal|fishing quota|gas pipeline|ceasefire line|refugee quota"
    ).split("|")
    verbs = "backs|rejects|questions|welcomes|rules out|proposes|delays|defends".split("|")
    titles, articles = [], []
    for index in range(claims):
        subject = rng.choice(subjects)
        actor = rng.choice(people + bodies)
        titles.append(_initial(f"{actor} {rng.choice(verbs)} the {subject} plan"))
        sentences = tuple(
            _initial(f"{rng.choice(people + bodies)} {rng.choice(verbs)} the {subject} ")
            + f"after {rng.randint(2, 40)} days of talks, officials said on "
            f"{rng.choice(['Monday', 'Tuesday', 'Friday'])}."
            for _ in range(rng.randint(4, 20))
        )
        articles.append(Article(index, index, sentences))
    return Corpus(tuple(titles), tuple(articles), f"generated stand-in ({claims} articles)")


def _initial(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- stories and feeds -----------------------------------------------------------------------


def items(corpus: Corpus, count: int, seed: int = 7, duplicate_share: float = 0.05) -> list[Item]:
    """``count`` feed items, one story each except ``duplicate_share`` syndicated copies.

    Item k is article ``k % len(articles)`` seen through window ``k // len(articles)``: the
    sentences rotated and a dateline that varies, so repeated articles are new stories.
    """
    rng = random.Random(seed)
    made: list[Item] = []
    for index in range(count):
        guid = f"bench-{index}"
        link = f"https://news{index % 97}.example/story/{index}"
        when = _EPOCH + timedelta(minutes=index)
        if made and rng.random() < duplicate_share:
            copied = rng.choice(made)  # the same story carried by another outlet
            made.append(Item(guid, copied.title, copied.summary, copied.content, when, link))
            continue
        article = corpus.articles[index % len(corpus.articles)]
        variant = index // len(corpus.articles)
        shift = (variant * 3) % len(article.sentences)
        window = (article.sentences[shift:] + article.sentences[:shift])[:WINDOW_SENTENCES]
        dateline = f"{_CITIES[variant % len(_CITIES)]}, {when:%d %b} ({variant}) -"
        summary = " ".join((dateline, *window[:SUMMARY_SENTENCES]))
        paragraphs = tuple(" ".join(window[i : i + 3]) for i in range(0, len(window), 3))
        made.append(Item(guid, corpus.claims[article.claim], summary, paragraphs, when, link))
    return made


def build_feeds(
    corpus: Corpus,
    stories: int,
    per_feed: int = 20,
    full_content_share: float = 0.25,
    atom_share: float = 0.2,
    seed: int = 7,
) -> list[Feed]:
    """Feeds carrying ``stories`` items, ``per_feed`` each: RSS summaries, RSS full text, Atom."""
    rng = random.Random(seed)
    all_items = items(corpus, stories, seed=seed)
    feeds = []
    for number, start in enumerate(range(0, len(all_items), per_feed)):
        chunk = all_items[start : start + per_feed]
        url = f"https://outlet{number % 53}.example/feeds/{number}.xml"
        roll = rng.random()
        if roll < atom_share:
            body = atom(f"Outlet {number}", chunk, full=rng.random() < full_content_share)
        else:
            body = rss(f"Outlet {number}", chunk, full=roll < atom_share + full_content_share)
        feeds.append(Feed(url, body, len(chunk)))
    return feeds


def rss(title: str, entries: list[Item], full: bool, ttl: int | None = 15) -> bytes:
    """An RSS 2.0 document; ``full`` adds each article as HTML in ``content:encoded``."""
    hint = f"<ttl>{ttl}</ttl>" if ttl else ""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
        f"<title>{escape(title)}</title><link>https://example.org/</link>"
        f"<description>Latest news</description><language>en</language>{hint}\n"
    ]
    for item in entries:
        content = ""
        if full:
            content = f"<content:encoded><![CDATA[{_html(item.content)}]]></content:encoded>"
        parts.append(
            f"<item><title>{escape(item.title)}</title><link>{escape(item.link)}</link>"
            f'<guid isPermaLink="false">{item.guid}</guid>'
            f"<pubDate>{format_datetime(item.published)}</pubDate>"
            "<dc:creator>Staff reporter</dc:creator><category>World</category>"
            f"<description>{escape(item.summary)}</description>{content}</item>\n"
        )
    parts.append("</channel>\n</rss>\n")
    return "".join(parts).encode("utf-8")


def atom(title: str, entries: list[Item], full: bool) -> bytes:
    """An Atom 1.0 document; ``full`` adds each article as HTML content."""
    updated = max((item.published for item in entries), default=_EPOCH).isoformat()
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"<title>{escape(title)}</title><id>urn:bench:{escape(title)}</id>"
        f"<updated>{updated}</updated>\n"
    ]
    for item in entries:
        content = f'<content type="html">{escape(_html(item.content))}</content>' if full else ""
        parts.append(
            f"<entry><title>{escape(item.title)}</title><id>urn:bench:{item.guid}</id>"
            f'<link rel="alternate" href="{escape(item.link)}"/>'
            f"<updated>{item.published.isoformat()}</updated>"
            f"<author><name>Staff reporter</name></author>"
            f"<summary>{escape(item.summary)}</summary>{content}</entry>\n"
        )
    parts.append("</feed>\n")
    return "".join(parts).encode("utf-8")


def article_page(item: Item, related: list[Item]) -> bytes:
    """The web page an item links to, as news sites serve it (about 100 KB of HTML).

    The article's paragraphs sit among what trafilatura must leave out: a cookie banner, a
    navigation menu, a related-stories box with other items' headlines, a footer, and the
    inline scripts and styles real pages carry.
    """
    paragraphs = item.content or (item.summary,)
    menu = "".join(f'<li><a href="/section/{n}">Section {n}</a></li>' for n in range(80))
    boxes = "".join(
        f'<li><a href="/story/{n}">{escape(r.title)}</a></li>' for n, r in enumerate(related)
    )
    footer = "".join(f'<li><a href="/page/{n}">Page {n}</a></li>' for n in range(30))
    script = "var config = {" + ",".join(f'"key{n}": "value-{n:06d}"' for n in range(2500)) + "};"
    style = "".join(f".c{n} {{ margin: {n % 9}px; color: #{n:06x}; }}\n" for n in range(600))
    page = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{escape(item.title)}</title><meta name="author" content="Staff reporter">
<style>{style}</style><script>{script}</script></head><body>
<div class="cookie-banner"><p>We use cookies to improve your experience and to show you relevant
advertising. By continuing to browse you accept our cookie policy.</p><button>Accept</button></div>
<header><nav><ul>{menu}</ul></nav></header>
<main><article><h1>{escape(item.title)}</h1><p class="byline">By Staff reporter</p>
{_html(paragraphs)}</article>
<aside class="related"><h2>Related stories</h2><ul>{boxes}</ul></aside></main>
<footer><ul>{footer}</ul><p>Copyright 2025. All rights reserved.</p></footer>
<script>window.analytics && window.analytics.track("page");</script></body></html>"""
    return page.encode("utf-8")


def _html(paragraphs: tuple[str, ...]) -> str:
    return "".join(f"<p>{escape(p)}</p>" for p in paragraphs)


# --- topics ----------------------------------------------------------------------------------


def build_topics(corpus: Corpus, count: int, seed: int = 5) -> list[dict[str, Any]]:
    """``count`` topics as ``[[topics]]`` tables, the way a user would write them.

    First one topic per news event: the headline written about most of its articles as the claim,
    the phrases of that headline its articles repeat (but that are not everywhere) as terms, the
    names its articles mention most as actors. Past the number of events, each topic follows one
    article: one of its sentences as the claim, phrases rare in the corpus as terms (so matching
    does real work but matches only where a user would expect), its names as actors.
    """
    rng = random.Random(seed)
    articles = list({article.sentences: article for article in corpus.articles}.values())
    frequency = _document_frequency(corpus)
    common = max(3, len(articles) // 50)  # a phrase in 2% of the articles is not distinctive
    by_event: dict[int, list[Article]] = defaultdict(list)
    for article in corpus.articles:
        by_event[article.event].append(article)
    events = sorted(by_event)
    rng.shuffle(events)
    rng.shuffle(articles)
    topics = []
    for index in range(count):
        if index < len(events):
            related = by_event[events[index]]
            claim = corpus.claims[Counter(a.claim for a in related).most_common(1)[0][0]]
            terms = (
                _claim_terms(claim, frequency, common)
                or _article_claim(related[0], frequency, rng)[1]
            )
            actors = _actors(_names(related).most_common(), 4)
        else:
            article = articles[(index - len(events)) % len(articles)]
            claim, terms = _article_claim(article, frequency, rng)
            actors = _actors(_names([article]).most_common(), 3)
        topics.append(
            {
                "id": f"t{index:04d}",
                "claim": claim,
                "terms": terms,
                "actors": actors or _actors([("Officials", 1)], 1),
            }
        )
    return topics


def _article_claim(
    article: Article, frequency: Counter[str], rng: random.Random
) -> tuple[str, list[str]]:
    """A claim (one of the article's sentences) and three phrases of it rare in the corpus."""
    sentences = [s for s in article.sentences if 8 <= len(s.split()) <= 40] or list(
        article.sentences
    )
    claim = rng.choice(sentences)
    phrases = {
        p
        for s in article.sentences
        for p in _phrases(words(s))
        if " " in p and not any(w in _STOPWORDS or w.isdigit() for w in p.split())
    }
    # Rare, yet in another article too: a name or phrase a user would track.
    rare = sorted(p for p in phrases if 2 <= frequency[p] <= 3) or sorted(phrases)
    return claim, sorted(rng.sample(rare, min(3, len(rare))))


def _phrases(tokens: list[str]) -> Iterator[str]:
    """Word n-grams (1 to 3 words) that neither start nor end with a stopword."""
    tokens = [t.strip("'") for t in tokens]
    for size in (1, 2, 3):
        for start in range(len(tokens) - size + 1):
            gram = tokens[start : start + size]
            if gram[0] not in _STOPWORDS and gram[-1] not in _STOPWORDS and len(gram[0]) > 2:
                yield " ".join(gram)


@functools.cache
def _document_frequency(corpus: Corpus) -> Counter[str]:
    """In how many articles each phrase occurs (computed once per corpus: it takes seconds)."""
    frequency: Counter[str] = Counter()
    for sentences in {article.sentences for article in corpus.articles}:
        frequency.update({p for s in sentences for p in _phrases(words(s))})
    return frequency


def _claim_terms(claim: str, frequency: Counter[str], common: int) -> list[str]:
    """Phrases of two or three words the articles repeat, then rare long words; no overlaps."""
    phrases = {p for p in _phrases(words(claim)) if 2 <= frequency[p] <= common}
    ranked = sorted(
        (p for p in phrases if " " in p or (len(p) >= 7 and frequency[p] <= common // 4)),
        key=lambda p: (" " not in p, -frequency[p], p),
    )
    chosen: list[str] = []
    for phrase in ranked:
        if not any(set(phrase.split()) & set(other.split()) for other in chosen):
            chosen.append(phrase)
    return chosen[:4]


def _names(articles: list[Article] | tuple[Article, ...]) -> Counter[str]:
    """Names: capitalised words inside sentences that the articles never write in lower case."""
    found: Counter[str] = Counter()
    lower: Counter[str] = Counter()
    for article in articles:
        for sentence in article.sentences:
            first = sentence.split(" ", 1)[0]
            found.update(name for name in _NAME.findall(sentence) if name != first)
            lower.update(_LOWER_WORD.findall(sentence))
    return Counter(
        {
            name: seen
            for name, seen in found.items()
            if len(name) > 3 and name not in _CALENDAR and lower[name.lower()] * 4 <= seen
        }
    )


def _actors(ranked: Iterable[tuple[str, int]], limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` actors from (name, mentions), most mentioned first.

    A name that is part of another ("Rivers", "Joan Rivers") joins its group; the group's most
    mentioned full name names the actor and its other frequent forms become aliases.
    """
    groups: list[list[str]] = []
    for name, mentions in ranked:
        group = next((g for g in groups if any(_within(name, other) for other in g)), None)
        if group is None and len(groups) < limit:
            groups.append([name])
        elif group is not None and mentions >= 3 and len(group) < MAX_ALIASES + 1:
            group.append(name)
    actors = []
    for group in groups:
        name = next((n for n in group if " " in n), group[0])
        slug = re.sub(r"\W+", "-", name).strip("-").lower()
        actors.append({"id": slug, "name": name, "aliases": [n for n in group if n != name]})
    return actors


def _within(one: str, other: str) -> bool:
    """True when either name is the other or a whole-word part of it ("Rivers", "Joan Rivers")."""
    return f" {one} " in f" {other} " or f" {other} " in f" {one} "
