"""`newsletter models`: the Argos translation models the localise stage uses.

The commands only wire options to `newsletter.localise.models` and show what
it reports; why the package index is read in a child process is explained
there.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich import box
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from newsletter.cli.app import App, pass_app
from newsletter.localise.engines.base import EngineError
from newsletter.messages import Message, msg

if TYPE_CHECKING:  # the stage modules load lazily, per command
    from newsletter.localise.models import Installed, Transfer


@click.group("models")
def models_group() -> None:
    """List, install and remove the Argos translation models."""


@models_group.command("list")
@click.option("--available", is_flag=True,
              help="List the models the Argos package index offers instead (needs the network).")
@pass_app
def list_command(app: App, available: bool) -> None:
    """List the installed Argos models (language pair and version)."""
    from newsletter.localise import models

    settings = app.settings()
    folder = app.show_path(settings.argos_dir)
    try:
        installed = models.installed(settings)
        if available:
            with _progress(app) as progress:
                index = models.available(settings, _show_transfers(app, progress))
    except EngineError as error:
        raise click.ClickException(app.t(error.message)) from None

    if not available:
        if not installed:
            app.say(msg("No Argos models are installed in {folder}; install one with "
                        "'newsletter models install FROM TO'.", folder=folder))
            return
        table = _table(app, msg("Argos models in {folder}", folder=folder), msg("Folder"))
        for package in installed:
            table.add_row(package.source, package.target, escape(package.version),
                          escape(package.path.name))
        app.out.print(table)
        return

    versions = {(p.source, p.target): p.version for p in installed}
    table = _table(app, msg("Argos package index {url}", url=index.url), msg("Languages"),
                   msg("Installed"))
    for entry in index.packages:
        table.add_row(escape(entry.source), escape(entry.target), escape(entry.version),
                      escape(f"{entry.source_name} → {entry.target_name}"),
                      escape(versions.get((entry.source, entry.target), "")))
    app.out.print(table)


@models_group.command("install")
@click.argument("source", metavar="FROM", required=False)
@click.argument("target", metavar="TO", required=False)
@click.option("--file", "archive", default=None,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Install this .argosmodel file instead of downloading from the index.")
@pass_app
def install_command(app: App, source: str | None, target: str | None,
                    archive: Path | None) -> None:
    """Download the model for FROM -> TO from the Argos package index and install it."""
    from newsletter.localise import models

    if archive is not None and (source or target):
        raise click.UsageError(app.t(msg("give either FROM TO or --file PATH, not both")))
    if archive is None and not (source and target):
        raise click.UsageError(app.t(msg("give the language pair (FROM TO) or --file PATH")))
    settings = app.settings()
    try:
        if archive is not None:
            result = models.install_file(settings, archive)
        else:
            assert source and target
            label = msg("Downloading {source} → {target}", source=source, target=target)
            with _progress(app) as progress:
                result = models.install_from_index(settings, source, target,
                                                   _show_transfers(app, progress, label))
    except EngineError as error:
        raise click.ClickException(app.t(error.message)) from None
    app.say(_installed_message(app, result, settings.argos_dir))


@models_group.command("remove")
@click.argument("source", metavar="FROM")
@click.argument("target", metavar="TO")
@pass_app
def remove_command(app: App, source: str, target: str) -> None:
    """Remove the installed model for FROM -> TO."""
    from newsletter.localise import models

    settings = app.settings()
    try:
        removed = models.remove(settings, source, target)
    except EngineError as error:
        raise click.ClickException(app.t(error.message)) from None
    for package in removed:
        app.say(msg("Removed {source} → {target} {version} from {folder}.",
                    source=package.source, target=package.target, version=package.version,
                    folder=app.show_path(settings.argos_dir)))


def _installed_message(app: App, result: Installed, packages_dir: Path) -> Message:
    package = result.package
    where = app.show_path(packages_dir)
    if result.up_to_date:
        return msg("{source} → {target} {version} is already installed in {folder}.",
                   source=package.source, target=package.target, version=package.version,
                   folder=where)
    if result.replaced:
        return msg("Installed {source} → {target} {version} in {folder}, replacing {old}.",
                   source=package.source, target=package.target, version=package.version,
                   folder=where, old=", ".join(p.version for p in result.replaced))
    return msg("Installed {source} → {target} {version} in {folder}.", source=package.source,
               target=package.target, version=package.version, folder=where)


def _table(app: App, title: Message, *extra: Message) -> Table:
    table = Table(title=app.t(title), title_justify="left", box=box.SIMPLE_HEAD)
    for heading in (msg("From"), msg("To"), msg("Version"), *extra):
        table.add_column(app.t(heading), no_wrap=True)
    return table


def _progress(app: App) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                    TransferSpeedColumn(), console=app.err, transient=True,
                    disable=not app.err.is_terminal)


def _show_transfers(app: App, progress: Progress, package_label: Message | None = None
                    ) -> Callable[[Transfer], None]:
    """A bar for the index from the start (the helper takes a moment), one per package file."""
    index_task = progress.add_task(app.t(msg("Reading the Argos package index")), total=None)
    tasks: dict[str, TaskID] = {}

    def show(transfer: Transfer) -> None:
        task = tasks.get(transfer.url)
        if task is None:
            task = index_task if transfer.what == "index" or package_label is None else \
                progress.add_task(app.t(package_label), total=transfer.total)
            tasks[transfer.url] = task
        progress.update(task, completed=transfer.done, total=transfer.total)

    return show
