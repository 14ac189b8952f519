"""The `newsletter` command: one sub-command per stage, wiring only.

Commands parse options, load the settings, call one stage entry point and
show its report. Messages are rendered in the language of the person at the
terminal. Each command lives in its own module here.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from newsletter import __version__
from newsletter.cli.app import App
from newsletter.cli.build import build_command
from newsletter.cli.imports import import_command
from newsletter.cli.issue import issue_command
from newsletter.cli.localise import localise_command
from newsletter.cli.models import models_group
from newsletter.cli.send import send_command
from newsletter.cli.serve import serve_command
from newsletter.cli.show import show_command
from newsletter.cli.subscribers import subscribers_group
from newsletter.messages import load_catalog, user_language
from newsletter.resources import resource_dir


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-p", "--project", "project_dir", default=".", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Project folder: holds newsletter.toml (optional) and the content, "
                   "feeds and data folders.")
@click.option("-c", "--config", "config_file", default=None,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Configuration file to use instead of PROJECT/newsletter.toml.")
@click.version_option(__version__, prog_name="newsletter")
@click.pass_context
def cli(ctx: click.Context, project_dir: Path, config_file: Path | None) -> None:
    """Turn city-network news pages into localised feeds and weekly digests."""
    ctx.obj = App(
        project_dir=project_dir,
        config_file=config_file,
        catalog=load_catalog(resource_dir("locales"), user_language()),
        out=Console(highlight=False),
        err=Console(stderr=True, highlight=False),
    )


cli.add_command(import_command)
cli.add_command(localise_command)
cli.add_command(show_command)
cli.add_command(models_group)
cli.add_command(build_command)
cli.add_command(issue_command)
cli.add_command(subscribers_group)
cli.add_command(send_command)
cli.add_command(serve_command)


def main() -> None:
    cli(prog_name="newsletter")
