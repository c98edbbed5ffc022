"""The view's pages as Datasette routes: each reads through Datasette's read-only connection and
renders a template; acknowledge / reject write through ``watcher.corrections`` like the CLI.
"""

from __future__ import annotations

import asyncio
import hmac
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from datasette.app import Datasette
from datasette.utils.asgi import Request, Response
from markupsafe import Markup

from watcher.corrections import CorrectionError, ack_shift, reject_shift
from watcher.history.search import SearchError
from watcher.models import Topic
from watcher.store import Store
from watcher.timeutil import utc_now
from watcher.view import data
from watcher.view.style import STANCE_COLOURS, STYLESHEET
from watcher.view.svg import timeline_svg

# Who the history records as making a correction from the browser (the CLI's --by).
WEB_ACTOR = "web"
# Datasette's CSRF cookie (asgi-csrf); a form POST carrying it was checked against the form.
_CSRF_COOKIE = "ds_csrftoken"


@dataclass(frozen=True)
class ViewSettings:
    """What one ``watcher serve`` shows: its database, the configured topics, and the token that
    allows corrections (None: read-only)."""

    database: Path
    topics: dict[str, Topic] = field(default_factory=dict)
    token: str | None = field(default=None, repr=False)  # never shown

    @property
    def name(self) -> str:
        """The database's name in Datasette (its URL path)."""
        return self.database.stem


_SETTINGS: weakref.WeakKeyDictionary[Datasette, ViewSettings] = weakref.WeakKeyDictionary()


def attach(datasette: Datasette, settings: ViewSettings) -> None:
    """Serve the view's pages on ``datasette`` with ``settings``."""
    _SETTINGS[datasette] = settings


def settings_of(datasette: Datasette) -> ViewSettings | None:
    """The settings ``datasette`` was attached with; None when it serves no view."""
    return _SETTINGS.get(datasette)


def shift_url(shift_id: int) -> str:
    """The shift page's path."""
    return f"/-/shift/{shift_id}"


def topic_url(topic_id: str) -> str:
    """The topic page's path."""
    return f"/-/topic/{quote(topic_id, safe='')}"


Handler = Callable[[Datasette, Request, ViewSettings], Awaitable[Response]]


def _view_route(handler: Handler) -> Callable[[Datasette, Request], Awaitable[Response]]:
    """A Datasette route calling ``handler`` with the settings; 404 on a Datasette that serves
    no view (the plugin is registered process-wide)."""

    # not functools.wraps: Datasette passes arguments by the parameter names it sees
    async def route(datasette: Datasette, request: Request) -> Response:
        settings = settings_of(datasette)
        if settings is None:
            return Response.text("not found", status=404)
        return await handler(datasette, request, settings)

    route.__doc__ = handler.__doc__
    return route


async def _read(datasette: Datasette, settings: ViewSettings, function: Any, *args: Any) -> Any:
    """Run ``function(connection, *args)`` on Datasette's read-only connection, off the loop."""
    database = datasette.get_database(settings.name)
    return await database.execute_fn(lambda connection: function(connection, *args))


async def _page(
    datasette: Datasette,
    request: Request,
    settings: ViewSettings,
    template: str,
    context: dict[str, Any],
    status: int = 200,
) -> Response:
    common = {
        "stylesheet": Markup(STYLESHEET),
        "stances": STANCE_COLOURS,
        "sql_url": f"/{settings.name}",
        "topic_url": topic_url,
        "shift_url": shift_url,
    }
    body = await datasette.render_template(f"watcher/{template}", common | context, request=request)
    return Response.html(body, status=status)


async def _message(
    datasette: Datasette,
    request: Request,
    settings: ViewSettings,
    status: int,
    heading: str,
    text: str,
    back: str | None = None,
) -> Response:
    """A page that only says something: not found, refused."""
    context = {"heading": heading, "text": text, "back": back}
    return await _page(datasette, request, settings, "message.html", context, status=status)


@_view_route
async def topics_page(datasette: Datasette, request: Request, settings: ViewSettings) -> Response:
    """Every topic: its claim, each actor's stance in force, its last shift, a small timeline."""
    topics = await _read(datasette, settings, data.read_topics, settings.topics)
    charts = {
        topic.id: Markup(timeline_svg(topic.lanes, compact=True, title=topic.title))
        for topic in topics
    }
    return await _page(
        datasette, request, settings, "topics.html", {"topics": topics, "charts": charts}
    )


@_view_route
async def topic_page(datasette: Datasette, request: Request, settings: ViewSettings) -> Response:
    """One topic: the timeline chart, a row per actor, then its shifts newest first."""
    topic_id = request.url_vars["topic"]
    topic = await _read(datasette, settings, data.read_topic, topic_id, settings.topics)
    if topic is None:
        return await _message(
            datasette, request, settings, 404, "Not found", f"There is no topic {topic_id!r}."
        )
    chart = timeline_svg(topic.lanes, shift_url=shift_url, title=topic.title)
    return await _page(
        datasette, request, settings, "topic.html", {"topic": topic, "chart": Markup(chart)}
    )


@_view_route
async def shift_page(datasette: Datasette, request: Request, settings: ViewSettings) -> Response:
    """One shift: the alert as the email shows it, its deliveries and corrections, and (with a
    token) the forms to acknowledge or reject it."""
    return await _shift_response(datasette, request, settings, int(request.url_vars["shift_id"]))


async def _shift_response(
    datasette: Datasette,
    request: Request,
    settings: ViewSettings,
    shift_id: int,
    problem: str | None = None,
) -> Response:
    shift = await _read(datasette, settings, data.read_shift, shift_id, settings.topics)
    if shift is None:
        return await _message(
            datasette, request, settings, 404, "Not found", f"There is no shift #{shift_id}."
        )
    context = {
        "shift": shift,
        "alert_html": Markup(shift.alert_html),  # sanitised by the email renderer
        "can_correct": settings.token is not None,
        "problem": problem,
    }
    status = 400 if problem else 200
    return await _page(datasette, request, settings, "shift.html", context, status=status)


@_view_route
async def correct_shift(datasette: Datasette, request: Request, settings: ViewSettings) -> Response:
    """POST: acknowledge or reject a shift; refused (403) without --token-env, without the
    token, or without Datasette's CSRF token."""
    if request.method != "POST":
        return Response.text("POST only", status=405)
    shift_id = int(request.url_vars["shift_id"])
    form = await request.post_vars()  # the body can be read once
    refusal = _refusal(request, form, settings)
    if refusal:
        back = shift_url(shift_id)
        return await _message(datasette, request, settings, 403, "Refused", refusal, back)
    action = request.url_vars["action"]
    try:
        await asyncio.to_thread(_correct, settings.database, shift_id, action, form.get("why", ""))
    except CorrectionError as exc:  # e.g. no reason given, or a superseded shift
        return await _shift_response(datasette, request, settings, shift_id, problem=str(exc))
    return Response.redirect(shift_url(shift_id))  # the page, showing the change


def _refusal(request: Request, form: dict[str, str], settings: ViewSettings) -> str | None:
    """Why a correction is refused, or None when it may be made."""
    if settings.token is None:
        return "Read-only: watcher serve was started without --token-env."
    # asgi-csrf checks the form's token against the cookie, but lets a request without any
    # cookie through: such a request cannot have come from a page of ours, so refuse it here.
    if _CSRF_COOKIE not in request.cookies or not form.get("csrftoken"):
        return "The form's CSRF token is missing."
    if not hmac.compare_digest(form.get("token", "").encode(), settings.token.encode()):
        return "Wrong token."
    return None


def _correct(database: Path, shift_id: int, action: str, why: str) -> None:
    """The CLI's `watcher shifts ack|reject`, recorded as made by the web view."""
    with Store(database) as store:
        if action == "ack":
            ack_shift(store, shift_id, by=WEB_ACTOR)
        else:
            reject_shift(store, shift_id, why=why, by=WEB_ACTOR)


@_view_route
async def feeds_page(datasette: Datasette, request: Request, settings: ViewSettings) -> Response:
    """Every configured feed's health, last (redacted) error, next poll and items seen."""
    now = utc_now()
    feeds = await _read(datasette, settings, data.read_feeds, now)
    return await _page(datasette, request, settings, "feeds.html", {"feeds": feeds, "now": now})


@_view_route
async def search_page(datasette: Datasette, request: Request, settings: ViewSettings) -> Response:
    """Full-text search over stories, hits highlighted."""
    text = request.args.get("q", "").strip()
    results, problem = [], None
    if text:
        try:
            results = await _read(datasette, settings, data.search, text)
        except SearchError as exc:
            problem = str(exc)
    for row in results:
        row["snippet_html"] = Markup(row["snippet_html"])  # escaped by data.highlight
    context = {"q": text, "results": results, "problem": problem}
    return await _page(datasette, request, settings, "search.html", context)


ROUTES = [
    (r"^/$", topics_page),
    (r"^/-/topic/(?P<topic>[^/]+)$", topic_page),
    (r"^/-/shift/(?P<shift_id>\d+)$", shift_page),
    (r"^/-/shift/(?P<shift_id>\d+)/(?P<action>ack|reject)$", correct_shift),
    (r"^/-/feeds$", feeds_page),
    (r"^/-/search$", search_page),
]
