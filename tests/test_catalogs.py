"""Every translation catalog is complete, current and safe to format.

The catalogs are compared with the current `locales/messages.pot`: after
`make messages` adds a string, these tests name each catalog that still
lacks it.
"""

from __future__ import annotations

import os
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from conftest import EXAMPLE_PAGES, REPO

from newsletter.messages import load_catalog, msg

LOCALES = REPO / "locales"
LANGUAGES = (
    # The official EU languages but English, the language of the msgids.
    "bg", "cs", "da", "de", "el", "es", "et", "fi", "fr", "ga", "hr", "hu", "it", "lt",
    "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
    # Also served.
    "ar", "uk",
)
"""Catalogs that must exist; any other catalog under locales/ is checked too."""
CHECKED = sorted(set(LANGUAGES) | {p.parent.parent.name for p in LOCALES.glob("*/LC_MESSAGES/messages.po")})


def po_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / "messages.po"


def read(path: Path) -> Catalog:
    with path.open("rb") as fp:
        return read_po(fp)


@pytest.fixture(scope="module")
def template() -> Catalog:
    return read(LOCALES / "messages.pot")


@pytest.fixture
def catalog(language: str) -> Catalog:
    if not po_path(language).is_file():
        pytest.skip(f"no {language} catalog (test_catalog_exists fails for it)")
    return read(po_path(language))


def entries(catalog: Catalog) -> dict[tuple[object, str | None], Message]:
    """The catalog's messages by (msgid, msgctxt), header left out."""
    return {(m.id, m.context): m for m in catalog if m.id}


def placeholders(text: str) -> set[str]:
    """`{name}`, `{name!r}`, `{name:>4}` fields of a str.format template, as written."""
    fields = set()
    for _, name, spec, conversion in string.Formatter().parse(text):
        if name is not None:
            suffix = (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            fields.add(f"{{{name}{suffix}}}")
    return fields


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_exists(language: str) -> None:
    assert po_path(language).is_file(), (
        f"{po_path(language).relative_to(REPO)} is missing; create it with "
        f"'pybabel init -i locales/messages.pot -d locales -l {language} --no-wrap'")


@pytest.mark.parametrize("language", CHECKED)
def test_header_names_the_language_and_its_plural_forms(language: str, catalog: Catalog) -> None:
    assert catalog.locale_identifier == language, "the Language header does not match the folder"
    header = po_path(language).read_text(encoding="utf-8")
    found = re.search(r'^"Plural-Forms: *nplurals=(\d+);', header, re.MULTILINE)
    assert found, "the catalog has no Plural-Forms header"
    assert int(found[1]) == get_plural(language).num_plurals
    assert not catalog.fuzzy, "the header is marked fuzzy; review it and remove the flag"


@pytest.mark.parametrize("language", CHECKED)
def test_catalog_has_exactly_the_template_messages(language: str, catalog: Catalog,
                                                   template: Catalog) -> None:
    expected, found = set(entries(template)), set(entries(catalog))
    assert not expected - found, "missing; run 'make messages' and translate them"
    assert not found - expected, "not in messages.pot; run 'make messages'"
    assert not catalog.obsolete, "obsolete entries; run 'make messages'"


@pytest.mark.parametrize("language", CHECKED)
def test_every_message_is_translated_and_reviewed(language: str, catalog: Catalog) -> None:
    forms = get_plural(language).num_plurals
    untranslated, fuzzy = [], []
    for message in entries(catalog).values():
        strings = message.string if message.pluralizable else (message.string,)
        if (message.pluralizable and len(strings) != forms) or not all(strings):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert not untranslated, f"{len(untranslated)} untranslated: {untranslated}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy: {fuzzy}"


@pytest.mark.parametrize("language", CHECKED)
def test_translations_keep_the_placeholders(language: str, catalog: Catalog) -> None:
    wrong = []
    for message in entries(catalog).values():
        try:
            ok = keeps_placeholders(message)
        except ValueError as error:  # unbalanced braces
            wrong.append(f"{message.id!r}: {error}")
            continue
        if not ok:
            wrong.append(repr(message.id))
    assert not wrong, "placeholders differ from the msgid in:\n" + "\n".join(wrong)


def keeps_placeholders(message: Message) -> bool:
    if not message.pluralizable:
        return not message.string or placeholders(message.string) == placeholders(message.id)
    expected = placeholders(message.id[0]) | placeholders(message.id[1])
    # A plural form may leave out the number ("one item"), nothing else.
    allowed = (expected, expected - {"{count}"})
    return all(placeholders(form) in allowed for form in message.string if form)


@pytest.mark.parametrize("language", CHECKED)
def test_babel_checks_pass(language: str, catalog: Catalog) -> None:
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog.check()]
    assert not problems


@pytest.mark.parametrize(("lang", "language", "script"), [
    ("el_GR.UTF-8", "el", "[\u0370-\u03ff]"),
    ("ar", "ar", "[\u0600-\u06ff]"),
])
def test_the_command_speaks_the_terminal_language(tmp_path: Path, lang: str, language: str,
                                                  script: str) -> None:
    if not po_path(language).is_file():
        pytest.skip(f"no {language} catalog (test_catalog_exists fails for it)")
    expected = msg("{file}: no such configuration file", file="nowhere.toml").render(
        load_catalog(LOCALES, language))
    assert re.search(script, expected), f"the {language} catalog leaves this message in English"
    env = {k: v for k, v in os.environ.items() if k not in {"LANGUAGE", "LC_ALL", "LC_MESSAGES"}}
    result = subprocess.run(
        [sys.executable, "-m", "newsletter", "--config", "nowhere.toml", "import", str(EXAMPLE_PAGES)],
        cwd=tmp_path, env={**env, "LANG": lang}, capture_output=True, text=True,
    )
    assert result.returncode == 1
    assert expected in result.stderr
