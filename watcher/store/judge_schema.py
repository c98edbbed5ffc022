"""Schema version 8: the language-model judge's answers, its calls, and its ruling on shifts.

``migrations.py`` runs this script as migration 8; never edit it once released.
"""

from __future__ import annotations

JUDGE_SCHEMA = """
-- the judge's ruling on a shift, asked before its alerts are first sent
ALTER TABLE shifts ADD COLUMN judge_outcome TEXT; -- NULL (not judged), confirmed, disputed, failed
ALTER TABLE shifts ADD COLUMN judge_model TEXT;
ALTER TABLE shifts ADD COLUMN judge_before TEXT;    -- the stance before, as the model read it
ALTER TABLE shifts ADD COLUMN judge_after TEXT;
ALTER TABLE shifts ADD COLUMN judge_reason TEXT;    -- its one sentence; for failed, the error
ALTER TABLE shifts ADD COLUMN judged_at TEXT;
ALTER TABLE shifts ADD COLUMN judge_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE shifts ADD COLUMN judge_error TEXT;     -- the last failure, while held or after

-- answers by a hash of (model, claim, actor, evidence): a restart or a re-decision pays once
CREATE TABLE judge_answers (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    before_stance TEXT NOT NULL,
    after_stance TEXT NOT NULL,
    shifted INTEGER NOT NULL,
    reason TEXT NOT NULL,
    answered_at TEXT NOT NULL
);

-- every request sent to the model: the hourly cap counts these, `watcher status` shows them
CREATE TABLE judge_calls (
    id INTEGER PRIMARY KEY,
    shift_id INTEGER REFERENCES shifts(id),
    model TEXT NOT NULL,
    called_at TEXT NOT NULL,
    seconds REAL NOT NULL,
    outcome TEXT NOT NULL,        -- answered | failed
    error TEXT,
    retry_at TEXT                 -- the server asked not to be called before this (429)
);
CREATE INDEX judge_calls_by_time ON judge_calls(called_at);
"""
