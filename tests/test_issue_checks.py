"""What an editor is told to check in one language of an issue, on the seed pages."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from conftest import copy_project, seed_project

from newsletter.config import Settings, load_settings
from newsletter.content import load_item
from newsletter.digest import select_issue
from newsletter.localise import stage
from newsletter.localise.human import save_human_field
from newsletter.localise.store import load_localised, localised_path, save_localised
from newsletter.messages import load_catalog
from newsletter.model import LocalisedField, Provenance
from newsletter.render.checks import IssueWarning, email_msgids, issue_warnings, untranslated_strings
from newsletter.render.email import render_issue

CONFIG = """
[site]
base_url = "https://news.example.org/"
languages = ["en", "el", "ar", "ja"]

[translation]
engines = []
"""
WORKSHOP = "online-workshop-for-local-and-regional-authorities-setting-up-a-local"
"""The CoR workshop of 2021-W24, whose page states its time zone."""
PLATFORM = "eurocities-cooperation-platform-2019"
"""The EUROCITIES event of 2019-W20: no zone on the page, and a year that disagrees."""


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = seed_project(tmp_path_factory.mktemp("seeded"), CONFIG)
    stage.run(load_settings(folder))  # no engines: every other language is 'missing'
    return folder


@pytest.fixture
def settings(seeded: Path, tmp_path: Path) -> Settings:
    return copy_project(seeded, tmp_path)


def said(warnings: list[IssueWarning]) -> list[tuple[str, str | None, str, str]]:
    return [(w.severity, w.item_id, w.field, w.message.render()) for w in warnings]


def test_the_workshop_week_in_english_has_nothing_to_fix(settings: Settings) -> None:
    """The workshop's page states its zone, so no zone is assumed; English needs no
    translation, and an event has no publication date (said for information)."""
    issue = select_issue(settings, "2021-W24")
    assert said(issue_warnings(settings, issue, "en")) == [
        ("info", WORKSHOP, "published",
         "no publication date; feeds and pages date it by the event's start")]


def test_untranslated_fields_are_named_per_item(settings: Settings) -> None:
    issue = select_issue(settings, "2021-W24")
    assert said(issue_warnings(settings, issue, "el")) == [
        ("warning", WORKSHOP, "",
         "15 fields not yet translated (title, body, event.agenda (8), links (5)); readers get "
         "the original text, with a notice"),
        ("info", WORKSHOP, "published",
         "no publication date; feeds and pages date it by the event's start")]


def test_an_assumed_zone_and_the_importers_doubts_are_shown(settings: Settings) -> None:
    issue = select_issue(settings, "2019-W20")
    assert said(issue_warnings(settings, issue, "en")) == [
        ("warning", PLATFORM, "event.start",
         "the text mentions 2018 but the start date is 2019-05-15; check which is right"),
        ("warning", PLATFORM, "event.timezone",
         "the page gave no time zone, so Europe/Brussels was assumed; check the event's times"),
        ("info", PLATFORM, "published",
         "no publication date; feeds and pages date it by the event's start")]


def test_a_language_without_interface_catalog_is_flagged(settings: Settings) -> None:
    issue = select_issue(settings, "2021-W24")
    first = issue_warnings(settings, issue, "ja")[0]
    assert (first.severity, first.item_id, first.message.render()) == (
        "warning", None, "there is no interface translation for ja: the email's headings, "
        "labels and notices are in English")
    # Greek and Arabic catalogs translate every string the email uses.
    for language in ("el", "ar"):
        assert all(w.item_id is not None for w in issue_warnings(settings, issue, language))


def test_untranslated_interface_strings_are_counted(tmp_path: Path) -> None:
    """A catalog that translates two of the email's strings (one of them a plural) leaves
    the others untranslated; English (no catalog) is no catalog at all."""
    msgids = email_msgids()
    assert "Add to calendar" in msgids and ("{count} event", "{count} events") in msgids
    assert "Week {number}, {dates}" in msgids  # from the code, not only the templates
    folder = tmp_path / "ca" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        'msgid "Add to calendar"\nmsgstr "Afegeix al calendari"\n\n'
        'msgid "{count} event"\nmsgid_plural "{count} events"\n'
        'msgstr[0] "{count} esdeveniment"\nmsgstr[1] "{count} esdeveniments"\n\n'
        'msgid "News"\nmsgstr ""\n', "utf-8")
    missing = untranslated_strings(load_catalog(tmp_path, "ca"), msgids)
    assert missing is not None and len(missing) == len(msgids) - 2
    assert "News" in missing and "Add to calendar" not in missing
    assert ("{count} event", "{count} events") not in missing
    assert untranslated_strings(load_catalog(tmp_path, "en"), msgids) is None


def test_machine_fields_and_a_source_changed_after_an_edit(settings: Settings) -> None:
    """An editor's Greek title made before the source changed: the localise stage flags it.
    A machine-translated field is counted, for information."""
    item = load_item(settings.content_dir / f"{WORKSHOP}.md")
    save_human_field(settings.content_dir, item, "el", "title", "Διαδικτυακό εργαστήριο",
                     based_on=None)
    path = settings.content_dir / f"{WORKSHOP}.md"
    path.write_text(path.read_text("utf-8").replace("Opening and welcome", "Welcome"), "utf-8")
    stage.run(settings, ["el"])
    localised = load_localised(localised_path(settings.data_dir, "el", WORKSHOP))
    fields = {**localised.fields,
              "body": LocalisedField("Κείμενο", Provenance("machine", "argos", "en-el 1.9"))}
    save_localised(replace(localised, fields=fields), settings.data_dir)

    found = said(issue_warnings(settings, select_issue(settings, "2021-W24"), "el"))
    assert found[:3] == [
        ("warning", WORKSHOP, "source_fingerprint",
         "the source item changed after this translation was edited; check it"),
        ("warning", WORKSHOP, "",
         "13 fields not yet translated (event.agenda (8), links (5)); readers get the "
         "original text, with a notice"),
        ("info", WORKSHOP, "", "1 field machine-translated (body); readers are told so")]


def test_an_empty_week_and_an_oversized_email_are_flagged(settings: Settings) -> None:
    empty = select_issue(settings, "2021-W01")
    assert said(issue_warnings(settings, empty, "en")) == [
        ("warning", None, "", "nothing new in 2021-W01: no news published from 2021-01-04 to "
         "2021-01-10 and no events starting from 2021-01-04 to 2021-02-07")]
    issue = select_issue(settings, "2021-W24")
    rendered = render_issue(settings, issue, "en")
    assert not any(w.item_id is None for w in issue_warnings(settings, issue, "en",
                                                             rendered=rendered))
    large = replace(rendered, html=rendered.html + "x" * 110_000)
    assert said(issue_warnings(settings, issue, "en", rendered=large))[0] == (
        "warning", None, "", "the HTML is over 102 KB in en, so Gmail will clip it; send "
        "fewer items")
