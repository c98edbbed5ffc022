"""The analyst's view: the pages ``watcher serve`` shows, as a Datasette plugin.

Topics (every topic, each actor's stance in force, a small timeline), a topic (a timeline chart
drawn as SVG on the server, its shifts), a shift (the alert as the email shows it, deliveries,
corrections, and with a token: acknowledge / reject), feeds' health and story search.

Why a Datasette plugin rather than a second web framework: ``watcher serve`` already is Datasette,
and the SQL, the described views and the canned queries stay one click away on the same server.
The plugin gets Datasette's routing, its Jinja templates and page chrome, its read-only
connections (read on its threads) and its CSRF protection (asgi-csrf) for the two forms; nothing
new to install, secure or keep running.

The entry point is :func:`make_datasette`; ``watcher.history.browse.serve`` runs what it returns.
"""

from __future__ import annotations

import sys
from typing import Any

from datasette import hookimpl
from datasette.app import Datasette

from watcher.view.routes import ROUTES, ViewSettings, attach, settings_of

__all__ = ["ViewSettings", "make_datasette"]

PLUGIN_NAME = "watcher-view"


def make_datasette(settings: ViewSettings, metadata: dict[str, Any]) -> Datasette:
    """A Datasette over ``settings.database`` with ``metadata``, serving the view's pages.

    The plugin registers once per process (Datasette's plugin manager is global); each Datasette
    gets its own settings, so a Datasette made otherwise shows no view.
    """
    from datasette.plugins import pm

    plugin = sys.modules[__name__]  # this package: Datasette finds its templates/ beside it
    if not pm.is_registered(plugin):
        pm.register(plugin, name=PLUGIN_NAME)
    datasette = Datasette([str(settings.database)], metadata=metadata)
    attach(datasette, settings)
    return datasette


@hookimpl
def register_routes(datasette: Datasette) -> list[tuple[str, Any]]:
    """The view's pages (a Datasette without settings answers them 404)."""
    return ROUTES


@hookimpl
def menu_links(datasette: Datasette, actor: Any, request: Any) -> list[dict[str, str]]:
    """Links back to the view from Datasette's own pages."""
    if settings_of(datasette) is None:
        return []
    return [
        {"href": "/", "label": "Topics"},
        {"href": "/-/feeds", "label": "Feeds"},
        {"href": "/-/search", "label": "Search stories"},
    ]
