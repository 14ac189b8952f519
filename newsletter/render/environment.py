"""The Jinja2 environment every renderer uses, for one reader language.

Templates live in the top-level `templates/` folder (in a wheel:
`newsletter/templates`). Interface words go through gettext (`{{ _("...") }}`,
Jinja2's i18n extension, extracted by `make messages`); placeholders are
`{name}` filled with `.format()`, like the messages of the code. Dates, times
and places use the Babel formatting of `newsletter.localise.formatting`.
"""

from __future__ import annotations

import gettext

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from newsletter.localise import formatting
from newsletter.resources import resource_dir


def template_environment(language: str, catalog: gettext.NullTranslations, *,
                         html: bool) -> Environment:
    """Templates for readers of `language`; `html` turns autoescaping on."""
    environment = Environment(
        loader=FileSystemLoader(resource_dir("templates")),
        extensions=["jinja2.ext.i18n"],
        autoescape=html,
        undefined=StrictUndefined,
        auto_reload=False,  # templates do not change during a build; saves a stat per render
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_translations(catalog, newstyle=False)  # type: ignore[attr-defined]
    environment.globals.update(language=language,
                               direction=formatting.text_direction(language))
    environment.filters.update(
        event_when=lambda event: formatting.format_event_when(event, language, catalog),
        event_where=lambda event: formatting.format_event_where(event, language, catalog),
        published=lambda day: formatting.format_published(day, language),
        render=lambda message: message.render(catalog),
    )
    return environment
