"""`watcher poll --once` keeps to each feed's stored state (Retry-After, 410 Gone, backoff)
unless --force; `watcher poll` alone says what to run."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from conftest import AIR_COVER_TOPIC
from feedserver import FeedServer

from watcher.cli import cli


def options(tmp_path: Path, *urls: str) -> list[str]:
    config = tmp_path / "watcher.toml"
    feeds = "".join(f'[[feeds]]\nurl = "{url}"\n' for url in urls)
    actors = "".join(
        f'  [[topics.actors]]\n  id = "{a["id"]}"\n' for a in AIR_COVER_TOPIC["actors"]
    )
    config.write_text(
        f'[watcher]\ndatabase = "{tmp_path / "w.db"}"\n{feeds}\n[[topics]]\n'
        f'id = "{AIR_COVER_TOPIC["id"]}"\nclaim = "{AIR_COVER_TOPIC["claim"]}"\n'
        f"terms = {json.dumps(AIR_COVER_TOPIC['terms'])}\n{actors}",
        encoding="utf-8",
    )
    return ["-c", str(config)]


def poll(args: list[str]) -> str:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return result.stderr


def test_retry_after_and_gone_are_respected_until_forced(
    server: FeedServer, tmp_path: Path
) -> None:
    server.set("/busy.xml", "slow down", status=429, headers={"Retry-After": "7200"})
    server.set("/gone.xml", "gone", status=410)
    base = options(tmp_path, server.url("/busy.xml"), server.url("/gone.xml"))
    poll([*base, "poll", "--once"])
    second = poll([*base, "poll", "--once"])
    assert f"skipped {server.url('/busy.xml')}: Retry-After 2h" in second
    assert "next poll at " in second
    assert f"skipped {server.url('/gone.xml')}: HTTP 410 Gone" in second
    assert (len(server.requests_to("/busy.xml")), len(server.requests_to("/gone.xml"))) == (1, 1)
    forced = poll([*base, "poll", "--once", "--force"])
    assert "skipped" not in forced
    assert (len(server.requests_to("/busy.xml")), len(server.requests_to("/gone.xml"))) == (2, 2)


def test_poll_without_once_says_what_to_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, [*options(tmp_path), "poll"])
    assert result.exit_code == 2
    assert "run `watcher poll --once`" in result.output and "`watcher run`" in result.output


def test_a_feed_backing_off_after_a_failure_is_skipped_until_forced(
    server: FeedServer, tmp_path: Path
) -> None:
    server.set("/flaky.xml", "oops", status=503)
    base = options(tmp_path, server.url("/flaky.xml"))
    poll([*base, "poll", "--once"])
    second = poll([*base, "poll", "--once"])
    assert f"skipped {server.url('/flaky.xml')}: backoff after 1 failure in a row" in second
    assert len(server.requests_to("/flaky.xml")) == 1
    assert "skipped" not in poll([*base, "poll", "--once", "--force"])
    assert len(server.requests_to("/flaky.xml")) == 2
