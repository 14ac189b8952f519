"""What a reader is told about the text in front of them.

Wherever a reader sees machine-translated text, a notice in the reader's
language says so and links to the original; where no translation exists yet,
a notice says the text is shown in its source language. Renderers (feeds,
site, email, terminal) take the sentence from here so every output words it
the same way, in every language.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from babel.core import Locale, UnknownLocaleError

from newsletter.messages import Message, msg
from newsletter.model import LocalisedItem

ENGINE_NAMES = {"argos": "Argos Translate", "apertium": "Apertium"}
"""Engines as readers know them."""


@lru_cache(maxsize=1024)
def language_name(code: str, reader_language: str) -> str:
    """`code`'s name as the reader calls it: `en` is "αγγλικά" to a Greek reader."""
    try:
        locale = Locale.parse(code.replace("-", "_"))
        name = locale.get_display_name(reader_language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return code
    return name or code


@dataclass(frozen=True)
class Notice:
    """A sentence for the reader, and where the original can be read."""

    text: Message
    url: str | None = None

    @property
    def link_text(self) -> Message | None:
        """The words of the link to `url` ("Read the original"); None without a `url`."""
        return msg("Read the original") if self.url else None


def reader_notice(item: LocalisedItem, original_url: str | None) -> Notice | None:
    """The notice a reader of `item` must see; None when the text is the original or human.

    `original_url` is where the source-language text can be read (the site's page of
    the source language, else the source page). Sentences name languages after a
    colon ("Original language: English") so that no language has to inflect them.
    """
    source = language_name(item.source_language, item.language)
    if item.untranslated:
        text = msg("Not yet translated. Original language: {source}.", source=source)
    elif item.machine_translated:
        engines = sorted({ENGINE_NAMES.get(f.provenance.engine, f.provenance.engine)
                          for f in item.fields.values() if f.provenance.kind == "machine"})
        text = msg("Machine translation ({engine}). Original language: {source}.",
                   engine=", ".join(engines), source=source)
    else:
        return None
    return Notice(text, original_url or None)
