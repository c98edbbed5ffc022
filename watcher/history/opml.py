"""OPML import and export of the watched feeds.

Feeds live in the user's TOML config, so importing appends ``[[feeds]]`` tables to the file as
text: the user's comments and layout stay as they were. The result is validated as a whole before
it replaces the file, and URLs already configured are skipped.
"""

from __future__ import annotations

import json
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import listparser
from pydantic import ValidationError

from watcher.config import Config, ConfigError, FeedSettings, config_from_dict, load_config
from watcher.history.files import replace_file


class OpmlError(ValueError):
    """A file that is not a usable OPML subscription list."""


@dataclass(frozen=True)
class OpmlFeed:
    """One subscription read from an OPML file."""

    url: str
    title: str = ""
    categories: tuple[str, ...] = ()  # folder paths, such as "News/Europe"


@dataclass
class ImportPlan:
    """What an import adds, and what it leaves out and why."""

    added: list[OpmlFeed] = field(default_factory=list)
    present: list[OpmlFeed] = field(default_factory=list)  # URL already in the config
    invalid: list[tuple[OpmlFeed, str]] = field(default_factory=list)


def read_opml(data: bytes) -> list[OpmlFeed]:
    """The feeds in an OPML document, in document order, each once, with its folders.

    Reads what feed readers export (Feedly, Inoreader, NetNewsWire, Thunderbird...): outlines
    nested in folder outlines, ``xmlUrl`` in any letter case, the name in ``text`` or ``title``.
    """
    # listparser reads with a forgiving HTML tokenizer: no entity expansion, no external fetches.
    parsed = listparser.parse(data)
    if not parsed["version"].startswith("opml"):
        raise OpmlError("not an OPML subscription list (no <opml> root element)")
    return [
        OpmlFeed(
            url=feed["url"],
            title=" ".join(feed["title"].split()),
            categories=tuple("/".join(path) for path in feed.get("categories", ())),
        )
        for feed in parsed["feeds"]
    ]


def plan_import(config: Config, feeds: Iterable[OpmlFeed]) -> ImportPlan:
    """Sort OPML feeds into those to add, those already configured and those watcher cannot use."""
    plan = ImportPlan()
    known = {_url_key(feed.url) for feed in config.feeds}
    for feed in feeds:
        try:
            FeedSettings(url=feed.url, name=feed.title)
        except ValidationError as exc:
            plan.invalid.append((feed, exc.errors()[0]["msg"].removeprefix("Value error, ")))
            continue
        if _url_key(feed.url) in known:
            plan.present.append(feed)
            continue
        known.add(_url_key(feed.url))
        plan.added.append(feed)
    return plan


def feeds_toml(feeds: Iterable[OpmlFeed], source: str) -> str:
    """``[[feeds]]`` tables for ``feeds``, headed by a comment naming where they came from."""
    lines = [f"# Imported from {_comment(source)} on {date.today().isoformat()}"]
    for feed in feeds:
        lines.append("")
        if feed.categories:
            lines.append(f"# OPML folder: {_comment(', '.join(feed.categories))}")
        lines += ["[[feeds]]", f"url = {_toml_string(feed.url)}"]
        if feed.title:
            lines.append(f"name = {_toml_string(feed.title)}")
    return "\n".join(lines) + "\n"


def import_opml(config_path: Path, opml_path: Path, *, dry_run: bool = False) -> ImportPlan:
    """Append the new feeds of ``opml_path`` to the config at ``config_path``.

    The config must be valid before and after; the file is replaced atomically, and only when
    there is something to add and ``dry_run`` is false. Raises ``ConfigError`` or ``OpmlError``.
    """
    config = load_config(config_path)
    try:
        data = opml_path.read_bytes()
    except OSError as exc:
        raise OpmlError(f"{opml_path}: cannot be read: {exc}") from None
    try:
        plan = plan_import(config, read_opml(data))
    except OpmlError as exc:
        raise OpmlError(f"{opml_path}: {exc}") from None
    if not plan.added or dry_run:
        return plan
    text = config_path.read_text(encoding="utf-8")
    if text and not text.endswith("\n"):
        text += "\n"
    text += "\n" + feeds_toml(plan.added, opml_path.name)
    _check_appended(text, config, plan.added, config_path)
    replace_file(config_path, text.encode("utf-8"))
    return plan


def opml_document(feeds: Iterable[FeedSettings], title: str = "watcher feeds") -> bytes:
    """An OPML 2.0 subscription list of the enabled ``feeds``, for a feed reader to import."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    for feed in feeds:
        if feed.enabled:
            name = feed.name or feed.url
            ET.SubElement(body, "outline", type="rss", text=name, title=name, xmlUrl=feed.url)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _check_appended(text: str, before: Config, added: list[OpmlFeed], path: Path) -> None:
    """Refuse a result that is not valid or does not hold exactly the old feeds plus the new."""
    try:
        after = config_from_dict(tomllib.loads(text), source=str(path))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: appending [[feeds]] tables would break the file ({exc}); "
            "is `feeds` written as an inline array? Add the feeds by hand."
        ) from None
    expected = [feed.url for feed in before.feeds] + [feed.url for feed in added]
    if [feed.url for feed in after.feeds] != expected:
        raise ConfigError(f"{path}: the appended feeds did not read back as written; not saved")


def _url_key(url: str) -> str:
    """The URL with scheme and host in lower case, as feed URLs compare in practice."""
    parts = urlsplit(url.strip())
    return urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()))


def _toml_string(value: str) -> str:
    # A JSON string is a TOML basic string, except that TOML also wants DEL escaped.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _comment(text: str) -> str:
    return " ".join(text.split())  # a newline would end the comment and start TOML
