"""What the history-reading commands share: a read-only database, --since, --json / --csv."""

from __future__ import annotations

import functools
import io
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from watcher.cli.common import Context
from watcher.history.connection import NotAWatcherDatabase, open_readonly
from watcher.history.filters import parse_since
from watcher.history.output import Column, render_table, write_csv, write_json


def database_path(context: Context) -> Path:
    """The database --db names, else the config's (a config is only needed without --db)."""
    return context.database or context.config().watcher.database


def history_connection(context: Context) -> sqlite3.Connection:
    """A read-only connection to the history, or exit with what is wrong."""
    try:
        return open_readonly(database_path(context))
    except NotAWatcherDatabase as exc:
        raise click.ClickException(str(exc)) from None


class SinceType(click.ParamType):
    """A date (2025-06-01), a time (2025-06-01T18:00) or an age (12h, 30d)."""

    name = "DATE|AGE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        if isinstance(value, datetime):
            return value
        try:
            return parse_since(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


since_option = click.option(
    "--since",
    type=SinceType(),
    help="Only from this date (2025-06-01, 2025-06-01T18:00, UTC) or age (12h, 30d) on.",
)


def output_option(help: str = "File to write (default: standard output).") -> Any:
    """``-o/--output FILE`` ("-" for standard output); the command receives ``output``."""
    return click.option(
        "-o",
        "--output",
        type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
        default="-",
        help=help,
    )


def format_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Add --json and --csv; the command receives ``fmt``: "table", "json" or "csv"."""

    @click.option("--json", "as_json", is_flag=True, help="Print a JSON array, for scripts.")
    @click.option("--csv", "as_csv", is_flag=True, help="Print CSV with a header, for scripts.")
    @functools.wraps(function)
    def wrapper(*args: Any, as_json: bool, as_csv: bool, **kwargs: Any) -> Any:
        if as_json and as_csv:
            raise click.UsageError("--json and --csv exclude each other")
        fmt = "json" if as_json else "csv" if as_csv else "table"
        return function(*args, fmt=fmt, **kwargs)

    return wrapper


def emit(
    rows: list[dict[str, Any]],
    fmt: str,
    table: Sequence[Column],
    columns: Sequence[str] | None = None,
) -> None:
    """Print ``rows`` as a table (``table`` picks and shapes its columns), JSON or CSV.

    JSON and CSV carry every column; ``columns`` gives the CSV header when there may be no rows.
    """
    if fmt == "table":
        click.echo(render_table(rows, table))
        return
    out = io.StringIO()
    if fmt == "json":
        write_json(rows, out)
    else:
        write_csv(rows, out, list(rows[0]) if rows else list(columns or ()))
    click.echo(out.getvalue(), nl=False)
