"""Schema version 4: full-text search over stories and the documented history views.

The views (``position_timeline``, ``shift_log``, ``story_log``) are the stable surface users,
``watcher query`` and Datasette read; the tables behind them may change, the views' columns stay
(new ones may be added). ``docs/history.md`` documents them for users. ``migrations.py`` runs
this script as migration 4; never edit it once released: add a migration that replaces views.
"""

from __future__ import annotations

# The first feed entry that carried a story: the earliest published, then the earliest seen.
# Used as "(SELECT ... )" in the views below, where ``{story}`` names the story id column.
FIRST_SOURCE_ROWID = """(
    SELECT rowid FROM story_sources WHERE story_id = {story}
    ORDER BY COALESCE(published, seen_at), seen_at, rowid LIMIT 1
)"""

HISTORY_SCHEMA = f"""
-- Full-text index over stories. It keeps its own copy of the text, keyed by story id rather than
-- by rowid: ``stories`` has a text primary key, so VACUUM may renumber its rowids, which would
-- silently detach an external-content index.
CREATE VIRTUAL TABLE stories_fts USING fts5(
    story_id UNINDEXED,
    title,
    text,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO stories_fts (story_id, title, text) SELECT id, title, text FROM stories;

CREATE TRIGGER stories_fts_after_insert AFTER INSERT ON stories BEGIN
    INSERT INTO stories_fts (story_id, title, text) VALUES (new.id, new.title, new.text);
END;
CREATE TRIGGER stories_fts_after_delete AFTER DELETE ON stories BEGIN
    DELETE FROM stories_fts WHERE story_id = old.id;
END;
CREATE TRIGGER stories_fts_after_update AFTER UPDATE OF id, title, text ON stories BEGIN
    DELETE FROM stories_fts WHERE story_id = old.id;
    INSERT INTO stories_fts (story_id, title, text) VALUES (new.id, new.title, new.text);
END;

-- One row per story: who carried it first, how many feeds carried it, which topics it matched.
CREATE VIEW story_log AS
SELECT
    s.id AS story_id,
    s.title,
    s.link,
    s.published,
    s.first_seen_at,
    first.feed_url AS first_feed_url,
    COALESCE(NULLIF(feed.name, ''), first.feed_url) AS first_source,
    COALESCE(first.published, first.seen_at) AS first_reported_at,
    (SELECT COUNT(*) FROM story_sources WHERE story_id = s.id) AS source_count,
    (SELECT json_group_array(topic_id) FROM
        (SELECT topic_id FROM story_topics WHERE story_id = s.id ORDER BY topic_id)) AS topics,
    s.text
FROM stories s
LEFT JOIN story_sources first ON first.rowid = {FIRST_SOURCE_ROWID.format(story="s.id")}
LEFT JOIN feeds feed ON feed.url = first.feed_url;

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
    p.recorded_at
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
    sources, diff, before_position_id, after_position_id
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
            'published', published, 'seen_at', seen_at, 'corroborating', corroborating))
         FROM (
            SELECT ss.feed_url, COALESCE(NULLIF(f.name, ''), ss.feed_url) AS name, st.title,
                   ss.link, ss.published, ss.seen_at, r.corroborating
            FROM (SELECT after.story_id AS story_id, 0 AS corroborating
                  UNION ALL
                  SELECT story_id, 1 FROM shift_sources WHERE shift_id = sh.id) r
            JOIN stories st ON st.id = r.story_id
            JOIN story_sources ss ON ss.story_id = r.story_id
            LEFT JOIN feeds f ON f.url = ss.feed_url
            ORDER BY COALESCE(ss.published, ss.seen_at), r.corroborating, ss.seen_at, ss.rowid
         )) AS sources,
        sh.diff,
        sh.before_position_id,
        sh.after_position_id
    FROM shifts sh
    JOIN positions after ON after.id = sh.after_position_id
    LEFT JOIN positions before ON before.id = sh.before_position_id
    LEFT JOIN stories story ON story.id = after.story_id
);
"""
