"""The history users query: timelines, shifts, search, export, Atom feed, OPML, Datasette.

Readers take a plain ``sqlite3.Connection`` (read-only ones from :mod:`watcher.history.readonly`
work) and read the documented views, not the tables, so they keep working when the tables change.
"""
