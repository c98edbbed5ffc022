"""`watcher topics list` and `watcher topics test`: a topic tried on a text, nothing stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from feedserver import FeedServer
from historystore import demo_database

from watcher.cli import cli

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "seeds" / "demo.toml"
TOPIC = "coalition-air-cover"
# An inline topic, given on the command line only.
TAURUS = (
    "--claim",
    "Germany will deliver Taurus missiles to Ukraine",
    "--term",
    "Taurus",
    "--actor",
    "DE:Germany,Berlin",
)
TURNS = (
    "Washington will provide air cover for the European deterrent force in Ukraine, the White "
    "House said on Monday."
)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_list_shows_each_topics_claim_terms_and_actors() -> None:
    result = run("-c", str(DEMO), "topics", "list")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        f"{TOPIC} (air cover for the European force in Ukraine)\n  claim: The US will provide"
    )
    assert "  actor US: United States (also: US, U.S., Washington" in result.output
    assert "terms: Coalition of the Willing, reassurance force" in result.output


def test_a_configured_topic_against_the_history_would_shift(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    database = demo_database(tmp_path_factory)
    before = database.read_bytes()
    result = run("-c", str(DEMO), "--db", str(database), "topics", "test", TOPIC, "--text", TURNS)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Match: score 90 with terms air cover, deterrent force" in out
    us = out[out.index("United States (US)") : out.index("United Kingdom (UK)")]
    assert 'attributed ("Washington will provide"):' in us
    assert f'    "{TURNS}"' in us
    assert "  stance: for" in us
    assert "  in force: against" in us  # the demo's US refusal
    assert "  would be: shift (stance flipped from against to for: the new statement commits" in us
    assert "France (France)\n  nothing attributed to it about the claim" in out
    assert database.read_bytes() == before  # nothing stored


def test_an_inline_topic_before_it_is_in_the_config(tmp_path: Path) -> None:
    text = tmp_path / "story.txt"
    text.write_text("Berlin ruled out delivering Taurus missiles to Ukraine.", encoding="utf-8")
    result = run(
        "-c",
        str(tmp_path / "none.toml"),
        "topics",
        "test",
        "taurus",
        "--claim",
        "Germany will deliver Taurus missiles to Ukraine",
        "--term",
        "Taurus",
        "--actor",
        "DE:Germany,Berlin,Scholz",
        "--file",
        str(text),
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Topic taurus: Germany will deliver Taurus missiles")
    assert 'attributed ("Berlin ruled out"):' in result.output
    assert "stance: against" in result.output and "cues: ruled out" in result.output
    assert "in force: unknown (no history given)" in result.output
    assert "would be: baseline" in result.output


def test_a_text_without_the_terms_says_the_pipeline_would_stop() -> None:
    result = run(
        "topics",
        "test",
        *TAURUS,
        "--text",
        "Berlin ruled out delivering long-range missiles to Ukraine.",
    )
    assert "Match: none of the terms (Taurus) found" in result.output


def test_a_page_is_read_like_an_article() -> None:
    page = (
        "<html><head><title>Taurus</title></head><body><nav>Home | World | Related: Berlin "
        "agrees to send Taurus</nav><article><h1>Germany and the Taurus</h1><p>"
        + "Berlin ruled out delivering Taurus missiles to Ukraine on Tuesday. "
        * 3
        + "</p><p>The decision surprised allies who had hoped for a change of course.</p>"
        "</article><footer>Contact us</footer></body></html>"
    )
    with FeedServer() as server:
        server.set("/story", body=page, headers={"Content-Type": "text/html; charset=utf-8"})
        result = run(
            "topics",
            "test",
            *TAURUS,
            "--url",
            server.url("/story"),
        )
    assert result.exit_code == 0, result.output
    assert "stance: against" in result.output
    assert "agrees to send" not in result.output  # the navigation is not the article


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--text", "x", "--file", "pyproject.toml"), "exactly one of --text, --file and --url"),
        (("--text", "x"), "name a configured TOPIC, or give one inline with --claim"),
        (("--claim", "Germany will deliver", "--actor", "DE", "--text", "x"), "terms"),
    ],
)
def test_usage_errors(args: tuple[str, ...], message: str) -> None:
    result = CliRunner().invoke(cli, ["topics", "test", *args])
    assert result.exit_code == 2
    assert message in result.output
