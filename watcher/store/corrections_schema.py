"""Schema version 6: analysts' corrections of shifts, mutes, and the views that show them.

``shifts.status`` says where a shift stands (open, acknowledged, rejected, or superseded when a
report published earlier re-decided the timeline); ``corrections`` keeps every analyst's action
on a shift (who, when, what, why); ``mutes`` silences a topic or one actor on it for a while.
``position_timeline`` and ``shift_log`` are replaced to carry the status (and ``shift_log`` the
corrections and whether each source is second-hand). ``migrations.py`` runs this script as
migration 6; never edit it once released.
"""

from __future__ import annotations

from watcher.store.history_schema import FIRST_SOURCE_ROWID

CORRECTIONS_SCHEMA = f"""
-- open | acknowledged | rejected | superseded; only open and acknowledged shifts set a stance
ALTER TABLE shifts ADD COLUMN status TEXT NOT NULL DEFAULT 'open';

-- every analyst action on a shift, oldest first; the latest one sets shifts.status
CREATE TABLE corrections (
    id INTEGER PRIMARY KEY,
    shift_id INTEGER NOT NULL REFERENCES shifts(id),
    action TEXT NOT NULL,             -- ack | reject
    reason TEXT NOT NULL DEFAULT '',  -- why (required to reject)
    made_by TEXT NOT NULL,
    made_at TEXT NOT NULL
);
CREATE INDEX corrections_by_shift ON corrections(shift_id, id);

-- shifts on a muted topic (or one actor on it) are recorded but not sent until ``until``
CREATE TABLE mutes (
    topic_id TEXT NOT NULL,
    actor_id TEXT NOT NULL DEFAULT '',  -- '' mutes every actor on the topic
    until TEXT NOT NULL,
    made_by TEXT NOT NULL,
    made_at TEXT NOT NULL,
    PRIMARY KEY (topic_id, actor_id)
);

-- channels with ``updates = true``: one follow-up per shift once its alert went out and other
-- outlets reported it too. NULL: none; queued: the delivery is pending again for it; sent.
ALTER TABLE deliveries ADD COLUMN follow_up TEXT;

DROP VIEW position_timeline;
DROP VIEW shift_log;

-- Every recorded position, with how it compared with the one before and the shift it made.
CREATE VIEW position_timeline AS
SELECT
    p.id AS position_id,
    p.topic_id,
    p.actor_id,
    COALESCE(p.published, p.recorded_at) AS said_at,
    p.stance,
    p.confidence,
    p.decision,
    p.decision_reason,
    sh.id AS shift_id,
    sh.before_stance AS shifted_from,
    (SELECT group_concat(value, ' ') FROM json_each(p.evidence)) AS statement,
    p.evidence,
    p.cues,
    p.explanation,
    p.source_title,
    p.link,
    p.story_id,
    s.title AS story_title,
    COALESCE(NULLIF(feed.name, ''), first.feed_url) AS first_source,
    COALESCE(first.published, first.seen_at) AS first_reported_at,
    p.compared_to AS previous_position_id,
    p.published,
    p.recorded_at,
    sh.status AS shift_status
FROM positions p
LEFT JOIN shifts sh ON sh.after_position_id = p.id
LEFT JOIN stories s ON s.id = p.story_id
LEFT JOIN story_sources first ON first.rowid = {FIRST_SOURCE_ROWID.format(story="p.story_id")}
LEFT JOIN feeds feed ON feed.url = first.feed_url;

-- Every shift with the statements before and after it and the outlets that reported it: the
-- story that showed the new stance and the later ones that corroborated it (shift_sources),
-- every feed entry that carried them, earliest published first.
CREATE VIEW shift_log AS
SELECT
    shift_id, topic_id, actor_id, before_stance, after_stance, shifted_at, detected_at, reason,
    similarity, before_statement, before_said_at, before_source, before_link,
    after_statement, after_published, after_source, after_link, story_id, story_title,
    json_extract(sources, '$[0].name') AS first_source,
    COALESCE(json_extract(sources, '$[0].published'), json_extract(sources, '$[0].seen_at'))
        AS first_reported_at,
    json_array_length(sources) AS source_count,
    sources, diff, before_position_id, after_position_id, status, corrections
FROM (
    SELECT
        sh.id AS shift_id,
        sh.topic_id,
        sh.actor_id,
        sh.before_stance,
        sh.after_stance,
        COALESCE(after.published, sh.detected_at) AS shifted_at,
        sh.detected_at,
        sh.reason,
        sh.similarity,
        (SELECT group_concat(value, ' ') FROM json_each(before.evidence)) AS before_statement,
        COALESCE(before.published, before.recorded_at) AS before_said_at,
        before.source_title AS before_source,
        before.link AS before_link,
        (SELECT group_concat(value, ' ') FROM json_each(after.evidence)) AS after_statement,
        after.published AS after_published,
        after.source_title AS after_source,
        after.link AS after_link,
        after.story_id,
        story.title AS story_title,
        (SELECT json_group_array(json_object(
            'feed', feed_url, 'name', name, 'title', title, 'link', link,
            'published', published, 'seen_at', seen_at, 'corroborating', corroborating,
            'second_hand', second_hand))
         FROM (
            SELECT ss.feed_url, COALESCE(NULLIF(f.name, ''), ss.feed_url) AS name, st.title,
                   ss.link, ss.published, ss.seen_at, r.corroborating,
                   r.explanation LIKE '%second-hand%' AS second_hand
            FROM (SELECT after.story_id AS story_id, 0 AS corroborating,
                         after.explanation AS explanation
                  UNION ALL
                  SELECT source.story_id, 1, reported.explanation FROM shift_sources source
                  JOIN positions reported ON reported.id = source.position_id
                  WHERE source.shift_id = sh.id) r
            JOIN stories st ON st.id = r.story_id
            JOIN story_sources ss ON ss.story_id = r.story_id
            LEFT JOIN feeds f ON f.url = ss.feed_url
            ORDER BY COALESCE(ss.published, ss.seen_at), second_hand, r.corroborating,
                     ss.seen_at, ss.rowid
         )) AS sources,
        sh.diff,
        sh.before_position_id,
        sh.after_position_id,
        sh.status,
        (SELECT json_group_array(json_object(
            'action', action, 'reason', reason, 'made_by', made_by, 'made_at', made_at))
         FROM (SELECT * FROM corrections WHERE shift_id = sh.id ORDER BY id)) AS corrections
    FROM shifts sh
    JOIN positions after ON after.id = sh.after_position_id
    LEFT JOIN positions before ON before.id = sh.before_position_id
    LEFT JOIN stories story ON story.id = after.story_id
);
"""
