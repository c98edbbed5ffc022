"""OPML import and export of the watched feeds, with feed readers' real export layouts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from watcher.cli import cli
from watcher.config import ConfigError, FeedSettings, load_config
from watcher.history.opml import OpmlError, import_opml, opml_document, read_opml

ROOT = Path(__file__).resolve().parents[1]
OPML = Path(__file__).parent / "data" / "opml"
EXAMPLE_CONFIG = ROOT / "config" / "watcher.example.toml"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A copy of the example config: comments, three feeds (BBC World among them), topics."""
    path = tmp_path / "watcher.toml"
    shutil.copy(EXAMPLE_CONFIG, path)
    return path


def test_feedly_export_is_read_with_its_folders_and_each_feed_once() -> None:
    feeds = read_opml((OPML / "feedly.opml").read_bytes())
    by_url = {feed.url: feed for feed in feeds}
    assert len(feeds) == len(by_url) == 7
    kyiv = by_url["https://kyivindependent.com/news-archive/rss/"]
    assert (kyiv.title, kyiv.categories) == (
        "The Kyiv Independent",
        ("Ukraine", "Europe & Defence"),
    )
    assert by_url["https://www.politico.eu/section/defense/feed/"].title == (
        "Politico Europe – Defense"  # a character reference, decoded
    )
    assert by_url["https://meduza.io/rss/en/all"].categories == ()  # outside any folder


def test_nested_folders_and_odd_attribute_case_are_read() -> None:
    rusi, euronews = read_opml((OPML / "thunderbird.opml").read_bytes())
    assert rusi.categories == ("Europe/Defence",)
    assert euronews.url == "https://www.euronews.com/rss?level=theme&name=news"  # XMLURL
    assert euronews.title == 'Euronews "Europe" \\ Top stories'


def test_import_appends_new_feeds_and_keeps_the_file_as_written(config: Path) -> None:
    original = config.read_text(encoding="utf-8")
    plan = import_opml(config, OPML / "feedly.opml")
    assert [feed.title for feed in plan.added] == [
        "The Kyiv Independent",
        "Ukrainska Pravda",
        "Defense News - Europe",
        "Politico Europe – Defense",
        "Meduza",
    ]
    assert [feed.url for feed in plan.present] == ["https://feeds.bbci.co.uk/news/world/rss.xml"]
    ((unusable, reason),) = plan.invalid
    assert unusable.url.startswith("feed://") and "not an http(s) URL" in reason
    text = config.read_text(encoding="utf-8")
    assert text.startswith(original)  # every comment and line of the user's file is still there
    assert "# OPML folder: Ukraine, Europe & Defence\n[[feeds]]\n" in text
    loaded = load_config(config)
    assert len(loaded.feeds) == 3 + 5
    assert loaded.feeds[-1] == FeedSettings(url="https://meduza.io/rss/en/all", name="Meduza")
    assert loaded.topics  # the rest of the config is untouched


def test_importing_again_or_from_another_reader_skips_known_urls(config: Path) -> None:
    import_opml(config, OPML / "feedly.opml")
    once = config.read_text(encoding="utf-8")
    again = import_opml(config, OPML / "feedly.opml")
    assert again.added == [] and len(again.present) == 6
    assert config.read_text(encoding="utf-8") == once  # nothing to add: file not rewritten
    other = import_opml(config, OPML / "netnewswire.opml")
    assert [feed.title for feed in other.added] == ["Daring Fireball"]
    # The Guardian's feed is in the example config; Meduza is listed as HTTPS://Meduza.io/...:
    # the same feed as Feedly's, whatever the letter case.
    assert [feed.url for feed in other.present] == [
        "https://www.theguardian.com/world/ukraine/rss",
        "HTTPS://Meduza.io/rss/en/all",
    ]


def test_names_with_quotes_and_backslashes_survive_as_toml(config: Path) -> None:
    import_opml(config, OPML / "thunderbird.opml")
    names = [feed.name for feed in load_config(config).feeds[-2:]]
    assert names == ["RUSI Commentary", 'Euronews "Europe" \\ Top stories']
    assert "# OPML folder: Europe/Defence\n" in config.read_text(encoding="utf-8")


def test_dry_run_changes_nothing(config: Path) -> None:
    before = config.read_text(encoding="utf-8")
    plan = import_opml(config, OPML / "netnewswire.opml", dry_run=True)
    assert [feed.title for feed in plan.added] == ["Daring Fireball", "Meduza"]
    assert config.read_text(encoding="utf-8") == before


def test_a_config_whose_feeds_are_an_inline_array_is_left_alone(tmp_path: Path) -> None:
    config = tmp_path / "watcher.toml"
    config.write_text('feeds = [{ url = "https://a.example/rss" }]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="inline array"):
        import_opml(config, OPML / "feedly.opml")
    assert config.read_text(encoding="utf-8") == 'feeds = [{ url = "https://a.example/rss" }]\n'


def test_an_invalid_config_or_a_file_that_is_not_opml_is_refused(
    config: Path, tmp_path: Path
) -> None:
    rss = tmp_path / "feed.xml"
    rss.write_text('<?xml version="1.0"?><rss version="2.0"><channel/></rss>', encoding="utf-8")
    with pytest.raises(OpmlError, match="not an OPML subscription list"):
        import_opml(config, rss)
    broken = tmp_path / "broken.toml"
    broken.write_text("[watcher]\ndatabse = 'x.db'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"watcher\.databse: unknown key"):
        import_opml(broken, OPML / "feedly.opml")


def test_export_then_import_gives_the_same_feeds(config: Path, tmp_path: Path) -> None:
    feeds = load_config(config).feeds
    exported = tmp_path / "feeds.opml"
    exported.write_bytes(opml_document(feeds))
    assert [feed.url for feed in read_opml(exported.read_bytes())] == [
        feed.url
        for feed in feeds
        if feed.enabled  # the disabled briefing file is not watched
    ]
    empty = tmp_path / "empty.toml"
    empty.write_text("# my feeds\n", encoding="utf-8")
    import_opml(empty, exported)
    assert [(f.url, f.name) for f in load_config(empty).feeds] == [
        (f.url, f.name) for f in feeds if f.enabled
    ]


def test_feeds_commands(config: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["-c", str(config), "feeds", "import", str(OPML / "feedly.opml")])
    assert result.exit_code == 0, result.output
    assert "added: https://meduza.io/rss/en/all  Meduza" in result.stdout
    assert "already configured: https://feeds.bbci.co.uk/news/world/rss.xml" in result.stdout
    assert "skipped: feed://www.example-defence-blog.com/rss" in result.stderr
    assert "added 5 feeds, 1 already there, 1 unusable" in result.stderr
    result = runner.invoke(cli, ["-c", str(config), "feeds", "export"])
    assert result.exit_code == 0
    assert len(read_opml(result.stdout_bytes)) == 2 + 5
    broken = tmp_path / "broken.toml"
    broken.write_text("[fetch]\ntimeout = 'soon'\n", encoding="utf-8")
    result = runner.invoke(cli, ["-c", str(broken), "feeds", "import", str(OPML / "feedly.opml")])
    assert result.exit_code == 2
    assert "fetch.timeout" in result.stderr
