"""What every command gets: the project, the settings, and a way to talk to the user."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from newsletter.config import ConfigError, Settings, load_settings
from newsletter.messages import Message


@dataclass
class App:
    """What every command gets: where the project is, and how to talk to the user."""

    project_dir: Path
    config_file: Path | None
    catalog: gettext.NullTranslations
    out: Console
    err: Console

    def t(self, message: Message) -> str:
        return message.render(self.catalog)

    def settings(self) -> Settings:
        try:
            return load_settings(self.project_dir, self.config_file)
        except ConfigError as error:
            raise click.ClickException(error.render(self.catalog)) from None

    def complain(self, label: Message, colour: str, text: str) -> None:
        """`label: text` on stderr; `text` holds page content, so it is never read as markup."""
        self.err.print(f"[{colour}]{self.t(label)}:[/{colour}] " + escape(text), soft_wrap=True)

    def show_path(self, path: Path) -> str:
        """A path as short as it can be said from the current folder."""
        try:
            return str(path.resolve().relative_to(Path.cwd()))
        except ValueError:
            return str(path)


pass_app = click.make_pass_decorator(App)
