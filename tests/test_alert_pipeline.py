"""Alerts end to end: real feeds on 127.0.0.1, the real pipeline (stance engine included), a
real SMTP server. The demo's shift arrives by email; ten outlets make one alert."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
from pathlib import Path

from conftest import AIR_COVER_TOPIC, SEEDS
from feedserver import FeedServer
from rss import Item, rss
from test_alert import elements
from test_email import smtp_server

from watcher.config import config_from_dict
from watcher.demo import run_demo
from watcher.pipeline import Pipeline
from watcher.store import Store

# HTML a hostile or careless outlet could send: a script element, and escaped markup that
# becomes literal "<script>" text once the HTML is read.
SCRIPT_HTML = '&lt;script&gt;alert("feed")&lt;/script&gt;'
SCRIPT_TEXT = "&amp;lt;script&amp;gt;alert(2)&amp;lt;/script&amp;gt;"


def hostile_seeds(tmp_path: Path, smtp_port: int) -> Path:
    """The demo's seeds with an email channel, and script in the June seed story's page."""
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    story = seeds / "snapshots" / "3-june" / "us-refuses-aerial-cover.html"
    page = story.read_text(encoding="utf-8")
    first_paragraph = "after the war with Russia."
    assert first_paragraph in page
    page = page.replace(
        first_paragraph,
        f"after the war with Russia {SCRIPT_TEXT}.{SCRIPT_HTML}<script>x()</script>",
        1,
    )
    story.write_text(page, encoding="utf-8")
    demo = seeds / "demo.toml"
    demo.write_text(
        demo.read_text(encoding="utf-8")
        + f"""
[[alerts.channels]]
type = "email"
host = "127.0.0.1"
port = {smtp_port}
security = "none"
sender = "watcher@desk.example"
to = ["desk@desk.example"]
""",
        encoding="utf-8",
    )
    return seeds


def test_the_demo_shift_arrives_by_email_with_feed_script_inert(tmp_path: Path) -> None:
    with smtp_server() as (inbox, port):
        result = run_demo(hostile_seeds(tmp_path, port), tmp_path / "demo", io.StringIO())
    assert len(result.shift_ids) == 1
    [message] = inbox.messages
    assert message["Subject"] == (
        "[watcher] United States shifted on air cover for the European force in Ukraine: "
        "observing -> against"
    )
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Before: observing" in text and "After: against" in text
    assert "[-" in text and "{+" in text  # deletions and insertions in the text part
    assert "</del>" in html and "</ins>" in html  # ... and in the HTML part
    hrefs = {attrs.get("href") for tag, attrs in elements(html) if tag == "a"}
    assert any(
        str(href) == "https://ukraine-briefing.localhost/news/us-refuses-aerial-cover"
        for href in hrefs
    )
    assert "https://eewire.example/2025/06/11/us-refuses-aerial-cover" in hrefs  # syndicated
    assert "<script" not in html.lower()  # no script element: at most escaped text
    assert not [tag for tag, _ in elements(html) if tag == "script"]
    with Store(result.database) as store:
        [delivery] = [d for d in store.deliveries.all() if d["channel"] == "email"]
    assert message["Message-ID"] == f"<watcher.{delivery['key']}@desk.example>"


OPEN = Item(
    "wire-1",
    "Washington weighs air cover for a European force in Ukraine",
    "The White House has not ruled out providing air cover for the Coalition of the Willing, "
    "but US officials said no decision had been made.",
    "Mon, 03 Mar 2025 09:00:00 GMT",
)
REFUSAL_TITLE = "US refuses to provide air cover for European force in Ukraine"
REFUSAL_TEXT = (
    "The United States has refused to provide air cover as a security guarantee for the "
    "European reassurance force, officials said."
)
REWORDED = Item(
    "late-1",
    "Washington turns down European request for air defence backstop",
    "Washington will not give air defence to the force Britain and France plan to send to "
    "Ukraine, European officials said.",
    "Thu, 12 Jun 2025 07:00:00 GMT",
)
OUTLETS = 10


def test_ten_outlets_carrying_one_story_make_one_alert_listing_ten_sources(
    server: FeedServer, tmp_path: Path
) -> None:
    feeds = ["/wire.xml", *(f"/outlet{n}.xml" for n in range(OUTLETS)), "/late.xml"]
    for path in feeds:
        server.set(path, rss("empty", []))
    server.set("/wire.xml", rss("Wire", [OPEN]))
    config = config_from_dict(
        {
            "feeds": [{"url": server.url(p), "name": p.strip("/.xml")} for p in feeds],
            "alerts": {"channels": [{"type": "jsonl", "path": str(tmp_path / "alerts.jsonl")}]},
            "topics": [AIR_COVER_TOPIC],
        },
        source="test",
    )
    with Store(tmp_path / "w.db") as store:
        pipeline = Pipeline(config, store)
        asyncio.run(pipeline.poll())
        for n in range(OUTLETS):
            item = Item(
                f"refusal-{n}",
                REFUSAL_TITLE,
                REFUSAL_TEXT,
                "Wed, 11 Jun 2025 18:00:00 GMT",
                link=f"https://outlet{n}.example/us-refuses-air-cover",
            )
            server.set(f"/outlet{n}.xml", rss(f"Outlet {n}", [item]))
        report = asyncio.run(pipeline.poll())
        assert (len(report.shift_ids), report.duplicates) == (1, OUTLETS - 1)
        assert pipeline.dispatch().sent == 1
        [alert] = [
            json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()
        ]
        assert len(alert["sources"]) == OUTLETS
        assert {s["link"] for s in alert["sources"]} == {
            f"https://outlet{n}.example/us-refuses-air-cover" for n in range(OUTLETS)
        }
        # an eleventh outlet, in its own words, after the alert went out: recorded, not re-alerted
        server.set("/late.xml", rss("Late", [REWORDED]))
        late = asyncio.run(pipeline.poll())
        assert late.shift_ids == []
        assert pipeline.dispatch().sent == 0
        sources = store.shift_sources.sources(report.shift_ids[0])
        assert len(sources) == OUTLETS + 1 and sources[-1]["corroborating"] == 1
        assert len(store.deliveries.all()) == 1
