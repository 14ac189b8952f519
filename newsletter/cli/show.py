"""`newsletter show`: one item as a reader of one language sees it."""

from __future__ import annotations

from pathlib import Path

import click

from newsletter.cli.app import App, pass_app
from newsletter.content import ContentError, item_path, load_item
from newsletter.messages import load_catalog, msg
from newsletter.model import normalise_language
from newsletter.resources import resource_dir


@click.command("show")
@click.argument("item_id")
@click.option("--lang", "language", default=None,
              help="Reader language (default: the item's own); run 'newsletter localise' first.")
@pass_app
def show_command(app: App, item_id: str, language: str | None) -> None:
    """Print an item as Markdown in a reader's language, with its notice and local dates."""
    from newsletter.localise.store import load_localised, localised_path
    from newsletter.render.text import render_item_text
    from newsletter.render.views import build_views

    settings = app.settings()
    try:
        item = load_item(item_path(settings.content_dir, item_id))
    except FileNotFoundError:
        raise click.ClickException(app.t(msg("no item {id} in {folder}", id=item_id,
                                             folder=app.show_path(settings.content_dir)))
                                   ) from None
    except ContentError as error:
        raise click.ClickException(error.render(app.catalog)) from None
    try:
        language = normalise_language(language or item.language)
    except ValueError:
        raise click.BadParameter(app.t(msg("{value!r} is not a language code such as 'el' or "
                                           "'pt-BR'", value=language))) from None
    path: Path = localised_path(settings.data_dir, language, item_id)
    try:
        localised = load_localised(path)
    except FileNotFoundError:
        raise click.ClickException(app.t(msg(
            "{id} has not been localised into {language}; run 'newsletter localise --lang "
            "{language}'", id=item_id, language=language))) from None
    except ContentError as error:
        raise click.ClickException(error.render(app.catalog)) from None
    reader_catalog = load_catalog(resource_dir("locales"), language)
    view = build_views(settings, language, [item], {item.id: localised})[0]
    click.echo(render_item_text(view, reader_catalog), nl=False)
