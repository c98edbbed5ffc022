"""`updates = true` on a channel: after a shift's alert went out, other outlets reporting it
bring one short follow-up ("now also reported by ..."), and no more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerting import TOPIC, Recorder, add_story, day, position, record, shift

from watcher.alert.dispatch import dispatch_due
from watcher.config import AlertSettings
from watcher.models import Stance
from watcher.store import Store

TOPICS = {"air": TOPIC}
LATER = datetime(2030, 1, 1, 12, tzinfo=UTC)
SETTINGS = AlertSettings.model_validate(
    {
        "settle": "2m",
        "channels": [
            {"type": "console", "name": "desk", "updates": True},
            {"type": "console", "name": "quiet"},
        ],
    }
)


def corroborate(store: Store, story: str, outlet: str) -> None:
    add_story(store, story, feed=f"https://{story}.example/feed.xml", outlet=outlet)
    said = position(Stance.AGAINST, f"{outlet} says the US refused air cover.", day(11, 15), story)
    record(store, said, SETTINGS)


def test_one_follow_up_after_the_alert_names_the_new_outlets(store: Store) -> None:
    shift(store, settings=SETTINGS)
    channels = {"desk": Recorder("desk"), "quiet": Recorder("quiet")}
    dispatch_due(store, channels, TOPICS, SETTINGS)
    [alert] = channels["desk"].sent
    sent_at = {row["channel"]: row["sent_at"] for row in store.deliveries.all()}

    corroborate(store, "second", "Second Outlet")
    corroborate(store, "third", "Third Outlet")
    dispatch_due(store, channels, TOPICS, SETTINGS)  # the follow-up settles like an alert
    assert len(channels["desk"].sent) == 1
    dispatch_due(store, channels, TOPICS, SETTINGS, now=LATER)

    [_, update] = channels["desk"].sent
    assert update.update == ("Second Outlet", "Third Outlet")
    assert update.key == f"{alert.key}-update"
    assert update.subject.endswith("now also reported by Second Outlet, Third Outlet")
    assert len(update.alerts[0].sources) == 3
    assert len(channels["quiet"].sent) == 1  # no updates there
    rows = {row["channel"]: row for row in store.deliveries.all()}
    assert rows["desk"]["follow_up"] == "sent" and rows["desk"]["sent_at"] == sent_at["desk"]

    corroborate(store, "fourth", "Fourth Outlet")  # one follow-up per shift, no more
    dispatch_due(store, channels, TOPICS, SETTINGS, now=LATER + timedelta(hours=1))
    assert len(channels["desk"].sent) == 2


def test_no_follow_up_before_the_alert_went_out(store: Store) -> None:
    shift(store, settings=SETTINGS)
    corroborate(store, "second", "Second Outlet")  # the alert will list it
    desk = Recorder("desk")
    dispatch_due(store, {"desk": desk, "quiet": Recorder("quiet")}, TOPICS, SETTINGS, now=LATER)
    [alert] = desk.sent
    assert alert.update == () and len(alert.alerts[0].sources) == 2
