"""Routing: which channels a shift goes to, and the config rule that sent it there (pure)."""

from __future__ import annotations

from watcher.config import AlertSettings, RouteSettings

DEFAULT_RULE = "the default route (no [[alerts.routes]]: every shift to every channel)"


def describe_route(route: RouteSettings, index: int) -> str:
    """The rule as the alert's footer names it, e.g. ``route 'desk' (topics: air; ...)``."""
    name = route.name or f"routes[{index}]"
    topics = ", ".join(route.topics) or "every topic"
    confidence = f"; confidence >= {route.min_confidence:.2f}" if route.min_confidence else ""
    return f"route '{name}' (topics: {topics}{confidence})"


def route_shift(settings: AlertSettings, topic_id: str, confidence: float) -> dict[str, str]:
    """Channel name -> the first rule that routes a shift on ``topic_id`` to it.

    ``confidence`` is the new position's. No ``[[alerts.routes]]`` means every channel.
    """
    if not settings.routes:
        return {channel.name: DEFAULT_RULE for channel in settings.channels}
    routed: dict[str, str] = {}
    for index, route in enumerate(settings.routes):
        if route.topics and topic_id not in route.topics:
            continue
        if confidence < route.min_confidence:
            continue
        for channel in route.channels:
            routed.setdefault(channel, describe_route(route, index))
    return routed
