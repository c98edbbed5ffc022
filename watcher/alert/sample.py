"""A sample alert, for ``watcher alerts test CHANNEL``: the demo's shift, built in memory."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from watcher.alert.message import Alert, Envelope, Source
from watcher.diff import similarity, word_diff
from watcher.models import Position, Stance, StanceVerdict

_BEFORE = "The White House has not ruled out providing air support for the European force."
_AFTER = "The US has refused to provide air defense for the European deterrent force."


def _position(stance: Stance, sentence: str, day: datetime, outlet: str, link: str) -> Position:
    return Position(
        topic_id="sample-topic",
        actor_id="US",
        story_id="",
        verdict=StanceVerdict(stance, 0.9, (sentence,), (), "sample: not a real detection"),
        published=day,
        link=link,
        source_title=outlet,
    )


def sample_envelope(channel: str) -> Envelope:
    """One sample alert addressed to ``channel``, with a fresh key (it is not a delivery)."""
    refused = datetime(2025, 6, 11, tzinfo=UTC)
    link = "https://example.com/watcher-sample/refusal"
    alert = Alert(
        shift_id=0,
        topic_id="sample-topic",
        topic_title="Sample topic",
        claim="The US will provide air cover for a European force in Ukraine (sample)",
        actor_id="US",
        actor_name="United States",
        before=_position(
            Stance.OBSERVING,
            _BEFORE,
            datetime(2025, 3, 3, tzinfo=UTC),
            "Sample Wire",
            "https://example.com/watcher-sample/open",
        ),
        after=_position(Stance.AGAINST, _AFTER, refused, "Sample Briefing", link),
        reason="position hardened: observing -> against (sample)",
        similarity=similarity(_BEFORE, _AFTER),
        diff=word_diff(_BEFORE, _AFTER),
        sources=(Source("https://example.com/feed.xml", link, refused, "Sample Briefing"),),
        detected_at=datetime.now(UTC).replace(microsecond=0),
    )
    return Envelope(key=f"test-{uuid.uuid4().hex}", channel=channel, alerts=(alert,), rules=())
