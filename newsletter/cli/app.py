"""What every command gets: the project, the settings, and a way to talk to the user."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from newsletter.config import ConfigError, Settings, load_settings
from newsletter.messages import Message, msg
from newsletter.model import normalise_language


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

    def say(self, message: Message) -> None:
        """`message` on stderr, in the user's language, as plain text (never read as markup)."""
        self.err.print(self.t(message), markup=False, soft_wrap=True)

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


def parse_languages(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
                    ) -> tuple[str, ...]:
    """Click callback for `--lang el,fr --lang es`: normalised codes, each once."""
    codes: list[str] = []
    for part in ",".join(value).split(","):
        if not part.strip():
            continue
        try:
            codes.append(normalise_language(part.strip()))
        except ValueError:
            raise click.BadParameter(
                ctx.obj.t(msg("{value!r} is not a language code such as 'el' or 'pt-BR'",
                              value=part.strip()))) from None
    return tuple(dict.fromkeys(codes))


def configured_languages(app: App, settings: Settings, requested: tuple[str, ...]
                         ) -> tuple[str, ...]:
    """`requested` if all are configured (a usage error names those that are not), else all."""
    unknown = [code for code in requested if code not in settings.languages]
    if unknown:
        raise click.UsageError(app.t(msg(
            "not a configured language: {codes} (configured: {configured})",
            codes=", ".join(unknown), configured=", ".join(settings.languages))))
    return requested or settings.languages
