"""`newsletter import`: pages -> content files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich import box
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from newsletter.cli.app import App, pass_app
from newsletter.content import item_to_dict
from newsletter.messages import msg

if TYPE_CHECKING:  # the stage modules load lazily, per command
    from newsletter.importers import ImportReport
    from newsletter.model import NewsItem


@click.command("import")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the items as a JSON array instead of a table.")
@click.option("--strict", is_flag=True,
              help="Fail (exit 1) on warnings and conflicts too, not only on failed pages.")
@pass_app
def import_command(app: App, paths: tuple[Path, ...], dry_run: bool, as_json: bool,
                   strict: bool) -> None:
    """Import news pages (files or folders of them) into the content folder."""
    from newsletter import importers

    settings = app.settings()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=app.err, transient=True) as progress:
        files = importers.page_files(paths)
        task = progress.add_task(app.t(msg("Importing pages")), total=len(files))

        def advance(path: Path) -> None:
            progress.update(task, advance=1, description=path.name)

        report = importers.run(settings, files, dry_run=dry_run, on_page=advance)

    if as_json:
        click.echo(json.dumps([_item_json(app, r.item, r.path) for r in report.items],
                              ensure_ascii=False, indent=2))
    else:
        _show_import_table(app, report)
    for page in report.failed_pages:
        assert page.error is not None
        app.complain(msg("error"), "red", f"{app.show_path(page.path)}: {app.t(page.error)}")
    for result in report.items:
        where = app.show_path(result.path)
        if result.problem:
            app.complain(msg("conflict"), "yellow", f"{where}: {app.t(result.problem)}")
        for warning in result.item.warnings:
            app.complain(msg("warning"), "yellow",
                         f"{where}: field '{warning.field}': {app.t(warning.message)}")
    summary = msg(
        "{pages} pages read, {failed} failed; items: {new} new, {updated} updated, "
        "{unchanged} unchanged, {conflicts} conflicts; {warnings} warnings.",
        pages=len(report.pages), failed=len(report.failed_pages), new=report.count("new"),
        updated=report.count("updated"), unchanged=report.count("unchanged"),
        conflicts=report.count("conflict"), warnings=report.warning_count)
    app.say(summary)
    if dry_run:
        app.say(msg("Dry run: nothing was written."))
    if report.failed_pages or (strict and (report.warning_count or report.count("conflict"))):
        raise SystemExit(1)


def _item_json(app: App, item: NewsItem, path: Path) -> dict[str, Any]:
    data = item_to_dict(item)
    data["warnings"] = [{"field": w.field, "message": app.t(w.message)} for w in item.warnings]
    data["path"] = app.show_path(path)
    return data


def _show_import_table(app: App, report: ImportReport) -> None:
    """One row per item; warnings and conflicts are listed in full below the table."""
    table = Table(title=app.t(msg("Imported items")), title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column(app.t(msg("Title")), overflow="ellipsis", no_wrap=True, max_width=30)
    for heading, width in ((msg("Kind"), 11), (msg("Date"), 10), (msg("Language"), 8),
                           (msg("Status"), 9)):
        table.add_column(app.t(heading), no_wrap=True, min_width=width)
    for result in report.items:
        item = result.item
        when = item.published or (item.event.start if item.event else None)
        language = item.language
        if item.page_language and item.page_language != item.language:
            language = f"{item.language}/{item.page_language}"
        table.add_row(escape(item.title), item.kind, when.isoformat()[:10] if when else "-", language,
                      result.status)
    app.out.print(table)
