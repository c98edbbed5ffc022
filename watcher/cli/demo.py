"""``watcher demo``: the bundled offline scenario, end to end."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from watcher.demo import find_seeds, run_demo


@click.command("demo")
@click.option(
    "--seeds",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Seeds directory (default: ./seeds or the source checkout's).",
)
@click.option(
    "--workdir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("data/demo"),
    show_default=True,
    help="Where the demo database and alert file go (recreated on each run).",
)
def command(seeds: Path | None, workdir: Path) -> None:
    """Replay the bundled feed snapshots through the real pipeline and print the shifts.

    Serves the snapshots from a local HTTP server on 127.0.0.1, so it works offline.
    """
    try:
        seeds = find_seeds(seeds)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    result = run_demo(seeds, workdir, sys.stdout)
    if not result.shift_ids:
        raise click.ClickException(
            "the demo detected no shift; the stance engine is not doing its job"
        )
