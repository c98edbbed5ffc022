"""Schema for the daemon (migration 3): per-feed schedule and politeness, and the heartbeat."""

DAEMON_SCHEMA = """
-- where the feed is fetched from after a permanent redirect (NULL: its configured url). The
-- configured url stays the feed's identity, so story ids, sources and errors keep their key
ALTER TABLE feeds ADD COLUMN location TEXT;
ALTER TABLE feeds ADD COLUMN moved_at TEXT;
ALTER TABLE feeds ADD COLUMN configured INTEGER NOT NULL DEFAULT 1;  -- in the last config used
ALTER TABLE feeds ADD COLUMN disabled_at TEXT;                       -- with disabled_reason (410)
ALTER TABLE feeds ADD COLUMN ttl_minutes INTEGER;                    -- RSS <ttl>/sy:updatePeriod
ALTER TABLE feeds ADD COLUMN next_poll_at TEXT;
ALTER TABLE feeds ADD COLUMN next_poll_reason TEXT;

-- one row: the running daemon's proof of life, read by `watcher status` from any process
CREATE TABLE daemon_heartbeat (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    version TEXT NOT NULL,
    state TEXT NOT NULL,          -- running | stopped
    started_at TEXT NOT NULL,
    beat_at TEXT NOT NULL,
    stale_after REAL NOT NULL,    -- seconds without a beat after which the daemon counts as dead
    feeds INTEGER NOT NULL,       -- feeds scheduled
    config_loaded_at TEXT NOT NULL,
    reload_error TEXT             -- why the last SIGHUP's config was rejected, if it was
);
"""
