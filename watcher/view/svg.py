"""Timelines of stances as SVG, drawn on the server: they show without JavaScript, in any
browser and in email clients.

One lane per actor. Each recorded position is a dot coloured by its stance, at the height of that
stance (for above, observing in the middle, against below); the stance in force is a line that
steps up or down where a shift changed it; a shift an analyst rejected (or an earlier report
superseded) is crossed out and sets no stance, one acknowledged is ringed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from watcher.view.style import stance_colour

# Stances from top to bottom of a lane.
STANCE_ORDER = ("for", "observing", "against")
# The shift statuses that leave the shift's stance in force (see watcher.corrections).
IN_FORCE_STATUSES = (None, "", "open", "acknowledged")
VOIDED_STATUSES = ("rejected", "superseded")


@dataclass(frozen=True)
class Mark:
    """One recorded position on a lane."""

    at: datetime
    stance: str
    decision: str  # baseline, shift, restated, same or late
    shift_id: int | None = None
    shift_status: str | None = None  # open, acknowledged, rejected or superseded
    label: str = ""  # shown as the dot's tooltip

    @property
    def sets_stance(self) -> bool:
        """True when this position put its stance in force (a baseline, or a standing shift)."""
        if self.decision == "baseline":
            return True
        return self.decision == "shift" and self.shift_status in IN_FORCE_STATUSES


@dataclass(frozen=True)
class Lane:
    """One actor's positions, oldest first."""

    actor_id: str
    name: str
    marks: tuple[Mark, ...]


@dataclass(frozen=True)
class _Size:
    width: int
    label_width: int
    lane_height: int
    spread: int  # vertical distance between two stance levels
    dot: float
    line: float
    axis: bool


_FULL = _Size(width=820, label_width=130, lane_height=64, spread=18, dot=5.0, line=3, axis=True)
_COMPACT = _Size(width=240, label_width=0, lane_height=16, spread=5, dot=2.5, line=1.5, axis=False)
_RIGHT_PAD = 16
_AXIS_HEIGHT = 24


def timeline_svg(
    lanes: Sequence[Lane],
    *,
    compact: bool = False,
    shift_url: Callable[[int], str] | None = None,
    title: str = "",
) -> str:
    """The lanes as one SVG document fragment; ``shift_url`` makes shift dots links."""
    size = _COMPACT if compact else _FULL
    times = [mark.at for lane in lanes for mark in lane.marks]
    height = max(1, len(lanes)) * size.lane_height + (_AXIS_HEIGHT if size.axis else 0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" role="img" '
        f'width="{size.width}" height="{height}" viewBox="0 0 {size.width} {height}" '
        f'font-family="sans-serif" font-size="12">',
        f"<title>{escape(title or 'Stance timeline')}</title>",
    ]
    if times:
        scale = _Scale(min(times), max(times), size)
        for index, lane in enumerate(lanes):
            parts.append(_lane(lane, index * size.lane_height, scale, size, shift_url))
        if size.axis:
            parts.append(_axis(scale, len(lanes) * size.lane_height))
    parts.append("</svg>")
    return "\n".join(parts)


class _Scale:
    """Time -> x, with a little room at both ends so the first and last dots show whole."""

    def __init__(self, start: datetime, end: datetime, size: _Size) -> None:
        self.start, self.end = start, end
        self.left = size.label_width + 3 * size.dot
        self.right = size.width - _RIGHT_PAD
        self.span = (end - start).total_seconds()

    def x(self, at: datetime) -> float:
        if self.span <= 0:
            return (self.left + self.right) / 2
        share = (at - self.start).total_seconds() / self.span
        return round(self.left + share * (self.right - self.left), 1)


def _level(stance: str, top: int, size: _Size) -> float:
    middle = top + size.lane_height / 2
    offset = STANCE_ORDER.index(stance) - 1 if stance in STANCE_ORDER else 0
    return middle + offset * size.spread


def _lane(
    lane: Lane,
    top: int,
    scale: _Scale,
    size: _Size,
    shift_url: Callable[[int], str] | None,
) -> str:
    parts = [f'<g class="lane" data-actor="{escape(lane.actor_id)}">']
    if size.label_width:
        parts.append(
            f'<text x="4" y="{top + size.lane_height / 2 + 4}" font-weight="bold">'
            f"{escape(lane.name)}</text>"
        )
        for stance in STANCE_ORDER:  # faint guides, one per stance level
            y = _level(stance, top, size)
            parts.append(
                f'<line x1="{scale.left}" x2="{scale.right}" y1="{y}" y2="{y}" '
                f'stroke="#eee" stroke-width="1"/>'
            )
    parts += _in_force_line(lane, top, scale, size)
    parts += [_dot(mark, top, scale, size, shift_url) for mark in lane.marks]
    parts.append("</g>")
    return "\n".join(parts)


def _in_force_line(lane: Lane, top: int, scale: _Scale, size: _Size) -> list[str]:
    """The stance in force over time: a coloured run per stance, a step where it changed."""
    changes = [mark for mark in lane.marks if mark.sets_stance]
    parts = []
    width = size.line
    for index, mark in enumerate(changes):
        x1 = scale.x(mark.at)
        x2 = scale.x(changes[index + 1].at) if index + 1 < len(changes) else scale.right
        y = _level(mark.stance, top, size)
        parts.append(
            f'<line class="in-force" data-stance="{escape(mark.stance)}" x1="{x1}" x2="{x2}" '
            f'y1="{y}" y2="{y}" stroke="{stance_colour(mark.stance)}" stroke-width="{width}" '
            f'stroke-opacity="0.6"/>'
        )
        if index and changes[index - 1].stance != mark.stance:
            before = _level(changes[index - 1].stance, top, size)
            parts.append(
                f'<line class="step" data-from="{escape(changes[index - 1].stance)}" '
                f'data-to="{escape(mark.stance)}" x1="{x1}" x2="{x1}" y1="{before}" y2="{y}" '
                f'stroke="#333" stroke-width="{width * 0.7:.1f}"/>'
            )
    return parts


def _dot(
    mark: Mark, top: int, scale: _Scale, size: _Size, shift_url: Callable[[int], str] | None
) -> str:
    x, y = scale.x(mark.at), _level(mark.stance, top, size)
    colour = stance_colour(mark.stance)
    shift = mark.decision == "shift"
    voided = shift and mark.shift_status in VOIDED_STATUSES
    radius = size.dot * (1.4 if shift else 1)
    fill = "#fff" if voided else colour
    stroke = f' stroke="{colour if voided else "#111"}" stroke-width="2"' if shift else ""
    classes = f"mark decision-{mark.decision}" + (f" status-{mark.shift_status}" if shift else "")
    parts = [
        f'<circle class="{escape(classes)}" data-stance="{escape(mark.stance)}" '
        f'cx="{x}" cy="{y}" r="{radius}" fill="{fill}"{stroke}>'
        f"<title>{escape(mark.label)}</title></circle>"
    ]
    if voided:  # crossed out: the analyst said it is wrong, or an earlier report replaced it
        d = radius + 2
        parts.append(
            f'<path class="correction" d="M{x - d},{y - d}L{x + d},{y + d}M{x - d},{y + d}'
            f'L{x + d},{y - d}" stroke="#111" stroke-width="2"/>'
        )
    elif shift and mark.shift_status == "acknowledged":  # ringed: an analyst confirmed it
        parts.append(
            f'<circle class="correction" cx="{x}" cy="{y}" r="{radius + 4}" fill="none" '
            f'stroke="#111" stroke-width="1"/>'
        )
    body = "".join(parts)
    if shift and mark.shift_id is not None and shift_url:
        return f'<a href="{escape(shift_url(mark.shift_id))}">{body}</a>'
    return body


def _axis(scale: _Scale, top: int) -> str:
    """Dates under the lanes: the first and last, and month starts between when there is room."""
    y = top + 16
    parts = [
        f'<line x1="{scale.left}" x2="{scale.right}" y1="{top + 2}" y2="{top + 2}" stroke="#999"/>'
    ]
    ticks = _month_starts(scale.start, scale.end)
    for at in ticks:
        x = scale.x(at)
        parts.append(
            f'<line x1="{x}" x2="{x}" y1="{top}" y2="{top + 5}" stroke="#999"/>'
            f'<text x="{x}" y="{y}" text-anchor="middle" fill="#555">{at:%b %Y}</text>'
        )
    if not ticks:
        parts.append(f'<text x="{scale.left}" y="{y}" fill="#555">{scale.start:%Y-%m-%d}</text>')
    return "\n".join(parts)


def _month_starts(start: datetime, end: datetime, most: int = 8) -> list[datetime]:
    """The first days of the months from ``start`` to ``end``, thinned to at most ``most``."""
    months = []
    year, month = start.year, start.month
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        at = start.replace(year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0)
        if at > end:
            break
        months.append(at)
    step = max(1, -(-len(months) // most))
    return months[::step]
