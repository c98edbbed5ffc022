"""The ``watcher`` command line: one module per command group, registered here."""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from watcher import __version__
from watcher.cli.common import Context, setup_logging


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="watcher")
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default="watcher.toml",
    envvar="WATCHER_CONFIG",
    show_default=True,
    help="Config file (TOML); also $WATCHER_CONFIG.",
)
@click.option(
    "--db",
    "database",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="WATCHER_DB",
    help="SQLite file, overriding [watcher] database; also $WATCHER_DB.",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, config_path: Path, database: Path | None, verbose: int) -> None:
    """Watch news feeds and alert when an actor's stance on a tracked topic shifts.

    Start with `watcher demo` (offline, bundled feeds), then write a config
    (see config/watcher.example.toml) and run `watcher poll --once`.
    """
    setup_logging(verbose)
    ctx.obj = Context(config_path=config_path, database=database)


def main() -> None:
    """Console-script entry point."""
    cli()


# One module per command (group); each defines ``command``.
_COMMAND_MODULES = (
    "alerts",
    "check",
    "demo",
    "eval",
    "export",
    "feed",
    "feeds",
    "history",
    "mute",
    "poll",
    "positions",
    "query",
    "run",
    "search",
    "serve",
    "shifts",
    "status",
    "topics",
    "unmute",
)


def _register() -> None:
    for name in _COMMAND_MODULES:
        cli.add_command(importlib.import_module(f"watcher.cli.{name}").command)


_register()
