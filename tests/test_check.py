"""``watcher check`` catches bad state, one line per problem naming the file and the key, and
``watcher run`` refuses to start on the same problems."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from watcher.cli import cli
from watcher.config import load_config
from watcher.daemon.scheduler import Daemon
from watcher.store import Store

TOPIC = """
[[topics]]
id = "air"
claim = "The US will provide air cover"
terms = ["air cover"]
  [[topics.actors]]
  id = "US"
"""


def write(tmp_path: Path, text: str, database: str | None = None) -> Path:
    path = tmp_path / "watcher.toml"
    database = database or str(tmp_path / "data" / "watcher.db")
    path.write_text(f'[watcher]\ndatabase = "{database}"\n{text}', encoding="utf-8")
    return path


def invoke(config: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["-c", str(config), *args], env=env)


def problem_lines(result: Result) -> list[str]:
    return [line.removeprefix("Error: ") for line in result.output.splitlines() if line.strip()]


def check_and_run(config: Path, env: dict[str, str] | None = None) -> list[str]:
    """The lines `check` prints; `run` must refuse with the very same ones."""
    checked, ran = invoke(config, "check", env=env), invoke(config, "run", env=env)
    assert checked.exit_code == 2, checked.output
    assert ran.exit_code == 2, ran.output
    assert problem_lines(checked) == problem_lines(ran)
    return problem_lines(checked)


def test_a_missing_secret_names_the_key_and_the_variable(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        '[[alerts.channels]]\ntype = "slack"\nwebhook_url_env = "WATCHER_TEST_UNSET_HOOK"\n'
        '[[alerts.channels]]\ntype = "email"\nhost = "smtp.example"\nsender = "w@example.org"\n'
        'to = ["d@example.org"]\nusername_env = "WATCHER_TEST_USER"\n'
        'password_env = "WATCHER_TEST_UNSET_PASSWORD"\n' + TOPIC,
    )
    lines = check_and_run(config, env={"WATCHER_TEST_USER": "desk"})
    assert lines == [
        f"{config}: alerts.channels[0].webhook_url_env: environment variable "
        "WATCHER_TEST_UNSET_HOOK is not set",
        f"{config}: alerts.channels[1].password_env: environment variable "
        "WATCHER_TEST_UNSET_PASSWORD is not set",
    ]
    assert not (tmp_path / "data").exists()  # run refused before opening anything

    env = {"WATCHER_TEST_USER": "desk", "WATCHER_TEST_UNSET_HOOK": "https://hooks.example/x",
           "WATCHER_TEST_UNSET_PASSWORD": "pw"}  # fmt: skip
    checked = invoke(config, "check", env=env)
    assert checked.exit_code == 0 and ": OK - " in checked.output


def test_a_database_path_that_is_a_directory_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    config = write(tmp_path, TOPIC, database=str(tmp_path / "db"))
    assert check_and_run(config) == [
        f"{config}: watcher.database: {tmp_path / 'db'} is a directory, not a database file"
    ]
    polled = invoke(config, "poll", "--once")
    assert polled.exit_code == 1 and "Traceback" not in polled.output
    assert f"cannot open the database {tmp_path / 'db'}: is a directory" in polled.output


def test_a_file_that_is_not_a_database_is_named(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes", encoding="utf-8")
    config = write(tmp_path, TOPIC, database=str(notes))
    assert check_and_run(config) == [
        f"{config}: watcher.database: {notes} is not a SQLite database"
    ]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's read-only /proc")
def test_an_unwritable_database_directory_is_a_problem(tmp_path: Path) -> None:
    # /proc refuses new files even to root, for whom permission bits would not.
    config = write(tmp_path, TOPIC, database="/proc/watcher-test/watcher.db")
    [line] = check_and_run(config)
    assert line.startswith(
        f"{config}: watcher.database: directory /proc/watcher-test cannot be created in /proc ("
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permission bits")
def test_a_read_only_database_directory_is_a_problem(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    config = write(tmp_path, TOPIC, database=str(locked / "watcher.db"))
    [line] = check_and_run(config)
    assert line.startswith(f"{config}: watcher.database: directory {locked} is not writable (")


def test_the_db_option_is_named_when_it_gives_the_path(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["-c", str(write(tmp_path, TOPIC)), "--db", str(notes), "check"]
    )
    assert result.exit_code == 2
    assert problem_lines(result) == [
        f"{tmp_path / 'watcher.toml'}: --db: {notes} is not a SQLite database"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[fetch]\nmax_bytes = 1e18\n", "fetch.max_bytes: Input should be less than or equal to"),
        ("[fetch]\nmax_bytes = 1e20\n", "fetch.max_bytes: "),
        ("[fetch]\ntimeout = inf\n", "fetch.timeout: a duration must be a number of seconds"),
        ("[fetch]\ndefault_interval = nan\n", "fetch.default_interval: a duration must be"),
        ("[daemon]\nshutdown_grace = 1e20\n", "daemon.shutdown_grace: a duration must be"),
    ],
)
def test_numbers_too_large_to_work_with_are_rejected(
    tmp_path: Path, text: str, expected: str
) -> None:
    [line] = check_and_run(write(tmp_path, text + TOPIC))
    assert line.startswith(f"{tmp_path / 'watcher.toml'}: {expected}")


def test_feeds_differing_only_by_host_case_port_or_trailing_slash_are_duplicates(
    tmp_path: Path,
) -> None:
    feeds = [
        "https://news.example/world/feed",
        "https://NEWS.Example/world/feed/",
        "https://news.example:443/world/feed",
        "https://user:secret@news.example/world/feed",
        "https://news.example/world/feed?edition=uk",  # a different feed
    ]
    config = write(tmp_path, "".join(f'[[feeds]]\nurl = "{url}"\n' for url in feeds) + TOPIC)
    lines = check_and_run(config)
    assert [line.split(": ")[1] for line in lines] == [
        "feeds[1].url",
        "feeds[2].url",
        "feeds[3].url",
    ]
    assert all("the same feed as feeds[0]" in line for line in lines)
    assert not any("secret" in line for line in lines)


def test_topics_without_terms_or_with_empty_terms_are_rejected(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        '[[topics]]\nid = "a"\nclaim = "The US will provide air cover"\n'
        '  [[topics.actors]]\n  id = "US"\n'
        '[[topics]]\nid = "b"\nclaim = "The US will provide air cover"\n'
        'terms = ["air cover", " "]\n'
        '  [[topics.actors]]\n  id = "US"\n',
    )
    assert check_and_run(config) == [
        f"{config}: topics[0].terms: a topic needs at least one term, or no story is ever "
        "matched to it",
        f"{config}: topics[1].terms: terms[1]: an empty term matches nothing",
    ]


def test_a_reload_with_a_missing_secret_keeps_the_running_config(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """SIGHUP applies the same checks: the daemon's environment has no secret for the change."""
    path = write(tmp_path, TOPIC)
    with Store(tmp_path / "watcher.db") as store:
        daemon = Daemon(path, load_config(path), store)
        running = daemon.config
        path.write_text(
            path.read_text(encoding="utf-8")
            + '[[alerts.channels]]\ntype = "slack"\nwebhook_url_env = "WATCHER_TEST_UNSET_HOOK"\n',
            encoding="utf-8",
        )
        daemon.reload()
    assert daemon.config is running
    assert "environment variable WATCHER_TEST_UNSET_HOOK is not set" in caplog.text
