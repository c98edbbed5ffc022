"""watcher: watches news feeds and alerts when an actor's stance on a tracked topic shifts."""

__version__ = "0.1.0"
