"""Fixtures shared by the test modules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from feedserver import FeedServer

from watcher.config import load_config
from watcher.models import Topic
from watcher.store import Store

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
# Evaluation data shared next to the repository; tests that need it skip when it is absent.
SHARED = ROOT.parent / "shared"


def require_shared(*parts: str) -> Path:
    """The path under ../shared, or skip the calling test with the reason."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs the shared evaluation data at {path} (not part of the repository)")
    return path


@pytest.fixture
def server() -> Iterator[FeedServer]:
    """A real HTTP server on 127.0.0.1 serving the feeds a test sets."""
    with FeedServer() as running:
        yield running


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A fresh SQLite store in a temporary directory."""
    with Store(tmp_path / "watcher.db") as opened:
        yield opened


@pytest.fixture(scope="session")
def demo_topic() -> Topic:
    """The demo's coalition-air-cover topic, as configured in seeds/demo.toml."""
    return load_config(SEEDS / "demo.toml").topic_list()[0]


# The tests' tracked topic, as a config's [[topics]] table.
AIR_COVER_TOPIC = {
    "id": "air-cover",
    "claim": "The US will provide air cover for European forces in Ukraine",
    "terms": ["air cover", "air defence", "Coalition of the Willing", "backstop"],
    "actors": [{"id": "US", "aliases": ["United States", "Washington", "White House"]}],
}
