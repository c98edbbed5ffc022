"""``watcher feeds import|export``: move the watched feeds to and from a feed reader (OPML)."""

from __future__ import annotations

from pathlib import Path

import click

from watcher.cli.common import ConfigProblem, Context, pass_context
from watcher.cli.reading import output_option
from watcher.config import ConfigError
from watcher.history.files import replace_file
from watcher.history.opml import OpmlError, import_opml, opml_document
from watcher.redact import redact


@click.group("feeds")
def command() -> None:
    """Import and export the watched feeds as OPML."""


@command.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--dry-run", is_flag=True, help="Show what would be added; change nothing.")
@pass_context
def import_command(context: Context, file: Path, dry_run: bool) -> None:
    """Add the feeds in FILE (OPML, as feed readers export it) to the config file.

    New feeds are appended as [[feeds]] tables, so the file's comments stay; feeds whose URL is
    already configured are skipped. The file is only replaced when the result is a valid config.
    """
    try:
        plan = import_opml(context.config_path, file, dry_run=dry_run)
    except ConfigError as exc:
        raise ConfigProblem(str(exc)) from None
    except OpmlError as exc:
        raise click.ClickException(str(exc)) from None
    verb = "would add" if dry_run else "added"
    for feed in plan.added:
        click.echo(f"{verb}: {redact(feed.url)}  {feed.title}")
    for feed in plan.present:
        click.echo(f"already configured: {redact(feed.url)}")
    for feed, reason in plan.invalid:
        click.echo(f"skipped: {redact(feed.url) or '(no URL)'}: {reason}", err=True)
    where = context.config_path
    click.echo(
        f"{where}: {verb} {len(plan.added)} feeds, {len(plan.present)} already there, "
        f"{len(plan.invalid)} unusable",
        err=True,
    )


@command.command("export")
@output_option()
@pass_context
def export_command(context: Context, output: Path) -> None:
    """Write the enabled feeds of the config as OPML 2.0, for a feed reader to import."""
    document = opml_document(context.config().feeds)
    if str(output) == "-":
        click.echo(document, nl=False)
    else:
        replace_file(output, document)
