"""What each documented view and column means: shown by Datasette, checked against the database.

``docs/history.md`` carries the same descriptions for readers of the docs; a test keeps the two,
and the views themselves, in step.
"""

from __future__ import annotations

from dataclasses import dataclass

_TIME = "(ISO 8601, UTC)"


@dataclass(frozen=True)
class ViewDoc:
    """A view's description and its columns' descriptions, in column order."""

    description: str
    columns: dict[str, str]


VIEWS: dict[str, ViewDoc] = {
    "position_timeline": ViewDoc(
        "Every position recorded for an actor on a topic, one row each: its stance, the evidence "
        "and where it was reported. A row whose shift_id is set changed the actor's stance. "
        "Order by said_at, position_id for a timeline.",
        {
            "position_id": "The position's id.",
            "topic_id": "The tracked topic.",
            "actor_id": "The actor whose position this is.",
            "said_at": f"When it was stated: the story's date, else when recorded {_TIME}.",
            "stance": "for, against or observing (the actor's stance on the topic's claim).",
            "confidence": "How sure the stance reading is, 0 to 1.",
            "decision": "How it compared with the actor's position before it: baseline, shift, "
            "same, restated or late (older than the stored one; kept, never alerted).",
            "decision_reason": "Why the comparison decided so.",
            "shift_id": "The shift this position made (see shift_log), or empty.",
            "shifted_from": "The stance before the shift, when this position made one.",
            "statement": "The evidence sentences as one text.",
            "evidence": "The evidence sentences (JSON list).",
            "cues": "The words that decided the stance (JSON list).",
            "explanation": "One line a person can check.",
            "source_title": "Where it came from, as recorded: the story's title, or the source "
            "of an imported position.",
            "link": "The story's link.",
            "story_id": "The story it was read from (empty for imported starting positions).",
            "story_title": "That story's title.",
            "first_source": "The feed that carried that story first (its name, else its URL).",
            "first_reported_at": f"When that feed published it {_TIME}.",
            "previous_position_id": "The position it was compared with.",
            "published": f"The story's publication date {_TIME}, if known.",
            "recorded_at": f"When watcher recorded the position {_TIME}.",
            "shift_status": "The status of the shift this position made: open, acknowledged, "
            "rejected (an analyst said it is wrong; it sets no stance) or superseded (an earlier "
            "report re-decided the timeline); empty when it made none.",
        },
    ),
    "shift_log": ViewDoc(
        "Every detected change of an actor's stance: before and after, why, and the outlets that "
        "reported it, earliest first.",
        {
            "shift_id": "The shift's id.",
            "topic_id": "The tracked topic.",
            "actor_id": "The actor who shifted.",
            "before_stance": "The stance before (empty when a first position was alerted).",
            "after_stance": "The stance after.",
            "shifted_at": f"When the new position was stated, else when detected {_TIME}.",
            "detected_at": f"When watcher detected the shift {_TIME}.",
            "reason": "Why this counts as a shift.",
            "similarity": "How alike the two statements' words are, 0 to 100.",
            "before_statement": "The statement before, as one text.",
            "before_said_at": f"When it was stated {_TIME}.",
            "before_source": "Where it came from.",
            "before_link": "Its link.",
            "after_statement": "The new statement, as one text.",
            "after_published": f"When it was published {_TIME}.",
            "after_source": "Where it came from.",
            "after_link": "Its link.",
            "story_id": "The story that showed the new stance.",
            "story_title": "That story's title.",
            "first_source": "The outlet that reported the new stance first (feed name, else URL).",
            "first_reported_at": f"When it did {_TIME}.",
            "source_count": "How many feed entries reported it.",
            "sources": "Every feed entry that reported it, earliest first, first-hand before "
            "second-hand at the same time (JSON list of objects: feed, name, title, link, "
            "published, seen_at, corroborating, second_hand).",
            "diff": "The word-level diff from before to after (JSON list of [op, before, after]).",
            "before_position_id": "The position before (see position_timeline).",
            "after_position_id": "The position after.",
            "status": "open, acknowledged, rejected (an analyst said it is wrong: the stance "
            "before it is back in force) or superseded (an earlier report re-decided the "
            "timeline; it sets no stance).",
            "corrections": "What analysts did about it, oldest first (JSON list of objects: "
            "action (ack or reject), reason, made_by, made_at).",
        },
    ),
    "story_log": ViewDoc(
        "Every story watcher has read, once however many feeds carried it, with the feed that "
        "carried it first and the topics it matched. Full-text search: the stories_fts table.",
        {
            "story_id": "The story's id.",
            "title": "Its title.",
            "link": "Its link (tracking parameters removed).",
            "published": f"Its publication date {_TIME}, if the feed gave one.",
            "first_seen_at": f"When watcher first read it {_TIME}.",
            "first_feed_url": "The feed that carried it first.",
            "first_source": "That feed's name, else its URL.",
            "first_reported_at": f"When that feed published it {_TIME}.",
            "source_count": "How many feed entries carried it.",
            "topics": "The topics it matched (JSON list).",
            "text": "Its text.",
        },
    ),
}
