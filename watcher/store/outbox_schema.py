"""Schema version 2: the durable outbox (retries, claims, attempt log) and corroborating sources.

``migrations.py`` runs this script as migration 2; never edit it once released.
"""

from __future__ import annotations

OUTBOX_SCHEMA = """
-- A stable key per delivery: the email Message-ID and the reference shown in every alert.
ALTER TABLE deliveries ADD COLUMN key TEXT;
UPDATE deliveries SET key = lower(hex(randomblob(16)));
CREATE UNIQUE INDEX deliveries_by_key ON deliveries(key);
-- the [[alerts.routes]] rule that queued it, as shown in the alert's footer
ALTER TABLE deliveries ADD COLUMN rule TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN next_attempt_at TEXT;
UPDATE deliveries SET next_attempt_at = created_at;
-- a dispatcher claims a delivery before sending it: "host:pid", and until when the claim holds
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE deliveries ADD COLUMN claimed_until TEXT;
-- digest channels: the deliveries sent (and retried) together as one message share a batch key
ALTER TABLE deliveries ADD COLUMN batch TEXT;
ALTER TABLE deliveries ADD COLUMN dead_at TEXT;
CREATE INDEX deliveries_due ON deliveries(status, channel, next_attempt_at);
CREATE INDEX deliveries_by_shift ON deliveries(shift_id);

-- every attempt: opened when claimed (outcome NULL while in flight), closed with its outcome
CREATE TABLE delivery_attempts (
    id INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
    attempt INTEGER NOT NULL,         -- 1, 2, ... for this delivery
    worker TEXT NOT NULL,             -- host:pid of the dispatcher
    batch TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT,                     -- NULL in flight | sent | failed | dead | interrupted
    error TEXT
);
CREATE INDEX delivery_attempts_by_delivery ON delivery_attempts(delivery_id, id);

-- other outlets' stories that reported the same new stance within the corroboration window
CREATE TABLE shift_sources (
    shift_id INTEGER NOT NULL REFERENCES shifts(id),
    story_id TEXT NOT NULL REFERENCES stories(id),
    position_id INTEGER NOT NULL REFERENCES positions(id),
    added_at TEXT NOT NULL,
    PRIMARY KEY (shift_id, story_id)
);
"""
