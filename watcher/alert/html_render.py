"""Render a message as HTML for the email's HTML part (and one alert for the Atom feed and the
browser view), sanitised with nh3.

Everything that came from a feed (evidence, titles, outlet names, links) is escaped as text, and
the finished fragment then goes through nh3 (the Rust ``ammonia`` sanitiser) with an allowlist of
the few tags, attributes, styles and URL schemes this template uses: whatever a hostile feed
managed to put in a story (``<script>``, ``onclick=``, ``javascript:`` links) arrives inert.
"""

from __future__ import annotations

from html import escape

import nh3

from watcher.alert.message import Alert, Envelope
from watcher.alert.render import (
    Run,
    after_runs,
    before_runs,
    describe_when,
    diff_runs,
    footer,
    format_runs,
    source_label,
    statement_runs,
)
from watcher.models import Position

_TAGS = {"h2", "h3", "p", "br", "blockquote", "ul", "li", "a", "del", "ins", "strong", "hr", "span"}
_ATTRIBUTES = {
    "a": {"href"},
    "del": {"style"},
    "ins": {"style"},
    "p": {"style"},
    "span": {"style"},
    "blockquote": {"style"},
}
_STYLES = {"background-color", "color", "text-decoration", "font-size", "margin", "padding"}
_SCHEMES = {"http", "https", "mailto"}

_DEL_STYLE = "background-color:#fde2e2;color:#8b0000;text-decoration:line-through"
_INS_STYLE = "background-color:#dcf5dc;color:#0b5d1e;text-decoration:underline"
_QUOTE_STYLE = "margin:4px 0 8px 0;padding:4px 12px;background-color:#f6f6f6"
_DOCUMENT = (
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>\n'
    '<body style="font-family:sans-serif;line-height:1.4">\n{body}\n</body></html>\n'
)


def sanitise(fragment: str) -> str:
    """The HTML fragment with everything outside the template's allowlist removed."""
    return nh3.clean(
        fragment,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        filter_style_properties=_STYLES,
        link_rel="noopener noreferrer",
    )


def _runs_html(runs: list[Run]) -> str:
    return format_runs(
        runs,
        delete=lambda w: f'<del style="{_DEL_STYLE}">{escape(w)}</del>',
        insert=lambda w: f'<ins style="{_INS_STYLE}">{escape(w)}</ins>',
        equal=escape,
    )


def _link(url: str | None, label: str) -> str:
    if not url:
        return escape(label)
    return f'<a href="{escape(url, quote=True)}">{escape(label)}</a>'


def _position_html(label: str, position: Position | None, runs: list[Run]) -> list[str]:
    if position is None:
        return [f"<h3>{label}: no earlier position recorded</h3>"]
    parts = [f"<h3>{label}: {escape(position.stance)} ({escape(describe_when(position))})</h3>"]
    for statement in statement_runs(position, runs):
        parts.append(f'<blockquote style="{_QUOTE_STYLE}">{_runs_html(statement)}</blockquote>')
    details = []
    if position.verdict.cues:
        details.append(f"cues: {escape(', '.join(position.verdict.cues))}")
    if position.verdict.explanation:
        details.append(f"why: {escape(position.verdict.explanation)}")
    if position.link:
        details.append(_link(position.link, position.link))
    if details:
        parts.append(f'<p style="font-size:13px;color:#555">{"<br>".join(details)}</p>')
    return parts


def _alert_html(alert: Alert) -> str:
    before = escape(alert.before.stance) if alert.before else "no position"
    parts = [
        f"<h2>{escape(alert.actor_name)} on {escape(alert.topic_title)}: "
        f'<del style="{_DEL_STYLE}">{before}</del> &#8594; '
        f'<ins style="{_INS_STYLE}">{escape(alert.after.stance)}</ins></h2>',
        f"<p><strong>Claim:</strong> {escape(alert.claim)}<br>"
        f"<strong>Reason:</strong> {escape(alert.reason)}"
        + (
            f"<br><strong>Second opinion:</strong> {escape(alert.judge.summary)}"
            if alert.judge
            else ""
        )
        + "</p>",
        *_position_html("Before", alert.before, before_runs(alert.diff)),
        *_position_html("After", alert.after, after_runs(alert.diff)),
    ]
    if alert.diff:
        parts.append(
            f"<p><strong>Word diff</strong> ({alert.similarity:.0f}% alike): "
            f"{_runs_html(diff_runs(alert.diff))}</p>"
        )
    if alert.sources:
        items = "".join(
            f"<li>{_link(source.link, source_label(source))}</li>" for source in alert.sources
        )
        parts.append(f"<h3>Sources ({len(alert.sources)})</h3><ul>{items}</ul>")
    return "\n".join(parts)


def render_alert_html(alert: Alert) -> str:
    """One alert as the sanitised HTML fragment the email shows for it (the Atom feed's entries
    and the browser's shift page carry the same)."""
    return sanitise(_alert_html(alert))


def render_html(envelope: Envelope) -> str:
    """The whole message as a sanitised HTML document."""
    sections = [_alert_html(alert) for alert in envelope.alerts]
    if envelope.banner:
        sections.insert(0, f"<h2>{escape(envelope.banner)}</h2>")
    body = "\n<hr>\n".join(sections)
    body += f'\n<hr>\n<p style="font-size:12px;color:#666">{escape(footer(envelope))}</p>'
    return _DOCUMENT.format(body=sanitise(body))
