"""Schema version 7: the article read behind a feed entry, and where evidence came from.

A story keeps the feed's text (``text``) and the article's (``article``); the full-text index
covers both. Each feed counts the articles read and failed, for ``watcher status``.
"""

ARTICLE_SCHEMA = """
ALTER TABLE stories ADD COLUMN article TEXT NOT NULL DEFAULT '';  -- the page's main text
ALTER TABLE stories ADD COLUMN article_error TEXT;  -- why it was not read: the summary is used
ALTER TABLE stories ADD COLUMN author TEXT;          -- from the article page
ALTER TABLE positions ADD COLUMN evidence_from TEXT NOT NULL DEFAULT 'feed';  -- feed | article

ALTER TABLE feeds ADD COLUMN articles_read INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN articles_failed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN last_article_error TEXT;
ALTER TABLE feeds ADD COLUMN last_article_error_at TEXT;

-- the index's text column holds the feed's text and the article's
DROP TRIGGER stories_fts_after_insert;
DROP TRIGGER stories_fts_after_update;
CREATE TRIGGER stories_fts_after_insert AFTER INSERT ON stories BEGIN
    INSERT INTO stories_fts (story_id, title, text)
    VALUES (new.id, new.title, new.text || char(10) || new.article);
END;
CREATE TRIGGER stories_fts_after_update AFTER UPDATE OF id, title, text, article ON stories BEGIN
    DELETE FROM stories_fts WHERE story_id = old.id;
    INSERT INTO stories_fts (story_id, title, text)
    VALUES (new.id, new.title, new.text || char(10) || new.article);
END;
"""
