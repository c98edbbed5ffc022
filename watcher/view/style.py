"""The view's colours and stylesheet: the one place a stance or a feed's health gets its colour.

The pages, their SVG timelines and anything else drawn for a person take colours from here. Every
style is inline in the page: nothing is loaded from another host.
"""

from __future__ import annotations

# Stance -> colour: green commits, red refuses, amber is still open. Chosen to stay apart for the
# common kinds of colour blindness (blue-ish green vs red-orange) and to read on white.
STANCE_COLOURS = {"for": "#1b7f3b", "against": "#c62828", "observing": "#b7791f"}
NO_STANCE_COLOUR = "#9e9e9e"

# A feed's health -> colour (see watcher.view.data.feed_health).
HEALTH_COLOURS = {
    "ok": "#1b7f3b",
    "empty": "#b7791f",
    "new": "#6b7280",
    "backing off": "#b7791f",
    "failing": "#c62828",
    "gone": "#6b7280",
    "off": "#6b7280",
}


def stance_colour(stance: str | None) -> str:
    """The colour of ``stance`` (grey when there is none, or an unknown one)."""
    return STANCE_COLOURS.get(stance or "", NO_STANCE_COLOUR)


def _badges(prefix: str, colours: dict[str, str]) -> str:
    return "\n".join(
        f".{prefix}-{name.replace(' ', '-')} {{ background: {colour}; }}"
        for name, colour in colours.items()
    )


# The pages' own styles, on top of Datasette's (served by Datasette itself, from this host).
STYLESHEET = f"""
.watcher-nav a {{ margin-right: 1em; }}
.badge {{ display: inline-block; padding: 0 0.5em; border-radius: 0.6em; color: #fff;
  font-size: 0.85em; font-weight: bold; white-space: nowrap; background: {NO_STANCE_COLOUR}; }}
{_badges("stance", STANCE_COLOURS)}
{_badges("health", HEALTH_COLOURS)}
table.watcher {{ border-collapse: collapse; margin: 0.5em 0 1.5em 0; }}
table.watcher th, table.watcher td {{ text-align: left; vertical-align: top;
  padding: 0.3em 0.8em 0.3em 0; border-bottom: 1px solid #e5e5e5; }}
.claim {{ font-style: italic; color: #333; }}
.muted {{ color: #666; font-size: 0.9em; }}
.timeline svg {{ max-width: 100%; height: auto; }}
mark {{ background: #fff59d; }}
.shift-alert {{ border-left: 4px solid #ddd; padding-left: 1em; }}
form.correct {{ display: inline-block; margin-right: 2em; }}
.legend span {{ margin-right: 1em; }}
table.topics div[data-actor] {{ white-space: nowrap; }}
"""
