"""Messages for people, kept translatable until the moment they are shown.

A stage never formats a user-facing sentence itself: it returns a `Message`
(an English gettext msgid with named placeholders, plus the values), and the
caller renders it with the reader's catalog. `pybabel extract -k msg -k
msg_plural:1,2` finds every msgid in the code.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Mapping
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from babel.core import Locale, UnknownLocaleError, default_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

DOMAIN = "messages"


@dataclass(frozen=True)
class Message:
    """A sentence for a person, not yet translated."""

    text: str
    """English msgid with `{named}` placeholders."""
    params: Mapping[str, object] = field(default_factory=dict)
    """Values for the placeholders; never translated."""
    plural: str | None = None
    """English plural msgid, when the sentence depends on `params['count']`."""

    def render(self, catalog: gettext.NullTranslations | None = None) -> str:
        """The sentence in the catalog's language (English without one)."""
        catalog = catalog or gettext.NullTranslations()
        if self.plural is None:
            template = catalog.gettext(self.text)
        else:
            count = self.params.get("count", 1)
            template = catalog.ngettext(self.text, self.plural, count if isinstance(count, int) else 1)
        values = {
            name: value.render(catalog) if isinstance(value, Message) else value
            for name, value in self.params.items()
        }
        return template.format_map(values)

    def __str__(self) -> str:
        return self.render()


class MessageError(Exception):
    """An error whose reason is a `Message`, shown in the reader's language by whoever
    catches it; `str()` gives the English."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.render())
        self.message = message


def msg(text: str, /, **params: object) -> Message:
    """Mark `text` for translation and bind its placeholders."""
    return Message(text, params)


def msg_plural(singular: str, plural: str, count: int, /, **params: object) -> Message:
    """Like `msg`, choosing the plural form by `count` (also a placeholder)."""
    return Message(singular, {"count": count, **params}, plural)


@functools.lru_cache(maxsize=64)
def load_catalog(locales_dir: Path, language: str | None) -> gettext.NullTranslations:
    """The catalog for `language`, or English when there is none; loaded once per process
    (a source checkout compiles the `.po` in memory, tens of milliseconds each time).

    Language codes use the BCP 47 form of the config (`pt-BR`); catalogs use
    the gettext form (`pt_BR`) and fall back to the base language (`pt`).
    A wheel ships compiled `.mo` files; a source checkout has only the `.po`
    sources, which are compiled in memory.
    """
    if not language:
        return gettext.NullTranslations()
    try:
        locale = Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return gettext.NullTranslations()
    for candidate in dict.fromkeys([str(locale), locale.language]):
        folder = locales_dir / candidate / "LC_MESSAGES"
        compiled, source = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
        if compiled.is_file():
            with compiled.open("rb") as fp:
                return Translations(fp, DOMAIN)
        if source.is_file():
            return _compile_po(source, candidate)
    return gettext.NullTranslations()


def _compile_po(path: Path, locale: str) -> Translations:
    """A `.po` catalog compiled in memory, as `pybabel compile` would (fuzzy entries left out)."""
    with path.open("rb") as fp:
        catalog = read_po(fp, locale=locale, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, DOMAIN)


def user_language() -> str | None:
    """The language of the person at the terminal (LANGUAGE, LC_ALL, LC_MESSAGES, LANG)."""
    return default_locale(("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"))
