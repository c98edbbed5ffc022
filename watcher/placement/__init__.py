"""Placing a new position in an actor's timeline in event time (when it was said), whatever
order the feeds arrive in. The entry point is :func:`place_position`; see docs/alerts.md."""

from watcher.placement.place import Placed, place_position

__all__ = ["Placed", "place_position"]
