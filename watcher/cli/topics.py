"""``watcher topics list``: the tracked topics; ``watcher topics test``: try a topic on a text
(also one given inline, before it is in the config) and see what watcher would read."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import click
import httpx
from pydantic import ValidationError
from sqlite_utils import Database

from watcher.article.extract import decode_page, extract_article
from watcher.cli.common import Context, configured_topic, pass_context
from watcher.config import Config, FetchSettings, ShiftSettings, TopicSettings
from watcher.fetch import user_agent
from watcher.history.connection import NotAWatcherDatabase, open_readonly
from watcher.models import Position, Topic
from watcher.stance.decide import engine
from watcher.store.positions import PositionRecords
from watcher.trial import TopicTrial, render_trial, try_topic

_MAX_PAGE_BYTES = 5_000_000


@click.group("topics")
def command() -> None:
    """The tracked topics, and trying one on a text before saving it."""


@command.command("list")
@pass_context
def list_topics(context: Context) -> None:
    """Every configured topic: its claim, terms and actors with their names."""
    topics = context.config().topic_list()
    if not topics:
        click.echo("no topics configured")
    for topic in topics:
        click.echo(f"{topic.id}" + (f" ({topic.title})" if topic.title != topic.id else ""))
        click.echo(f"  claim: {topic.claim}")
        click.echo(f"  terms: {', '.join(topic.terms)}")
        for actor in topic.actors:
            aliases = f" (also: {', '.join(actor.aliases)})" if actor.aliases else ""
            click.echo(f"  actor {actor.id}: {actor.name}{aliases}")


@command.command("test")
@click.argument("topic_id", metavar="TOPIC", required=False)
@click.option("--text", help="The text to try.")
@click.option(
    "--file", "path", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="A file."
)
@click.option("--url", help="A page to read (its main text, as watcher reads articles).")
@click.option("--claim", help="An inline topic's claim (the topic need not be in the config).")
@click.option("--term", "terms", multiple=True, help="An inline topic's term (repeat).")
@click.option(
    "--actor",
    "actors",
    multiple=True,
    metavar="ID[:NAME,ALIAS...]",
    help="An inline topic's actor, e.g. 'US:United States,Washington' (repeat).",
)
@pass_context
def test_topic(
    context: Context,
    topic_id: str | None,
    text: str | None,
    path: Path | None,
    url: str | None,
    claim: str | None,
    terms: tuple[str, ...],
    actors: tuple[str, ...],
) -> None:
    """Try TOPIC on a text (--text, --file or --url): the terms that matched and the score, the
    sentences attributed to each actor, each actor's stance with its cues and why, and what it
    would be against the stance in force (from the database, when there is one).

    Nothing is stored. With --claim, --term and --actor the topic is given inline.
    """
    if sum(given is not None for given in (text, path, url)) != 1:
        raise click.UsageError("give exactly one of --text, --file and --url")
    config = context.config() if context.config_path.is_file() else None
    if claim is not None:
        topic = _inline_topic(topic_id or "inline", claim, terms, actors)
    elif topic_id is None:
        raise click.UsageError("name a configured TOPIC, or give one inline with --claim")
    elif config is None:
        raise click.UsageError(f"no config at {context.config_path} to find {topic_id!r} in")
    else:
        topic = configured_topic(config, topic_id)
    if url is not None:
        text = _read_page(url, config.fetch if config else FetchSettings())
    elif path is not None:
        text = path.read_text(encoding="utf-8")
    database = context.database or (config.watcher.database if config else None)
    trial = _try(topic, text or "", config, database)
    click.echo(render_trial(trial))


def _try(topic: Topic, text: str, config: Config | None, database: Path | None) -> TopicTrial:
    """The trial, with the stances in force from ``database`` when it is a watcher database."""
    shifts = config.shifts if config else ShiftSettings()
    stance = engine(config.stance.engine if config else "light")
    if stance.note:
        click.echo(stance.note, err=True)
    try:
        connection = open_readonly(database) if database else None
    except NotAWatcherDatabase:
        connection = None
    if connection is None:
        return try_topic(topic, text, shifts=shifts, stance=stance)
    with closing(connection):
        records = PositionRecords(Database(connection))

        def in_force(topic_id: str, actor_id: str) -> Position | None:
            stored = records.current(topic_id, actor_id)
            return stored.position if stored else None

        return try_topic(topic, text, shifts=shifts, in_force=in_force, stance=stance)


def _inline_topic(
    topic_id: str, claim: str, terms: tuple[str, ...], actors: tuple[str, ...]
) -> Topic:
    """A topic from the command line, validated like a config's ``[[topics]]`` entry."""
    parsed = []
    for actor in actors:
        actor_id, _, names = actor.partition(":")
        name, *aliases = [n.strip() for n in names.split(",")] if names else [""]
        parsed.append({"id": actor_id.strip(), "name": name, "aliases": aliases})
    try:
        settings = TopicSettings(id=topic_id, claim=claim, terms=list(terms), actors=parsed)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'topic'}: {error['msg']}"
            for error in exc.errors()
        )
        raise click.UsageError(f"inline topic: {problems}") from None
    return settings.to_topic()


def _read_page(url: str, fetch: FetchSettings) -> str:
    """The main text of the page at ``url``, as the article reader extracts it."""
    try:
        response = httpx.get(
            url,
            headers={"User-Agent": user_agent(fetch)},
            follow_redirects=True,
            timeout=fetch.timeout,
        )
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot read {url}: {exc}") from None
    body = response.content[:_MAX_PAGE_BYTES]
    if "html" not in response.headers.get("content-type", "text/html"):
        return body.decode(response.encoding or "utf-8", errors="replace")
    extracted = extract_article(decode_page(body, response.charset_encoding), url)
    if extracted is None:
        raise click.ClickException(f"{url}: no article text found on the page")
    return extracted.text
