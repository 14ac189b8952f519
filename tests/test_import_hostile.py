"""Hostile and broken pages through the real import stage and the `newsletter import` command.

Every batch mixes one bad page with a real example page: the bad page is
named and reported (or imported with a warning), the good one still imports,
and nothing crashes.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter import importers
from newsletter.cli import cli
from newsletter.config import load_settings
from newsletter.content import load_item, source_item_paths

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "pages"
GOOD_PAGE = "cor-workshop-el.txt"
GOOD_ID = "online-workshop-for-local-and-regional-authorities-setting-up-a-local"
BILBAO_ID = "migrant-integration-in-an-interconnected-world-bilbao-session-focus"
MILAN_ID = "milan-is-the-19th-city-to-sign-pledge-to-the-eu-pillar-of-social-rights"
REFUGEE_ID = "get-inspired-with-cemr-s-sessions-at-refugee-week"
EDITED_MESSAGE = ("the file was edited since it was imported; it was not overwritten "
                  "(move it away to import the page again)")


def example(name: str) -> str:
    return (EXAMPLES / name).read_text(encoding="utf-8")


def replaced(name: str, old: str, new: str) -> str:
    text = example(name)
    assert text.count(old) == 1, f"{old!r} is not once in {name}"
    return text.replace(old, new)


@dataclass(frozen=True)
class Case:
    """One hostile page and what the import must make of it."""

    name: str
    """File name of the hostile page."""
    data: bytes
    error: str | None = None
    """The exact reason the page fails; None when it imports."""
    item_id: str | None = None
    """For a page that imports: the id of the item to check."""
    warnings: tuple[str, ...] = ()
    """For a page that imports: the item's warnings, rendered as `field: message`."""
    items: int = 0
    """How many items the page yields."""
    page_warnings: int = 0
    """How many warnings all items of the page carry."""


def make_cases() -> list[Case]:
    cemr_prefix = "Council of European Municipalities and Regions (CEMR)\n"
    bilbao = example("cemr-bilbao-2018.txt")
    return [
        Case("empty.txt", b"", error="the file is empty"),
        Case("blank.txt", b" \r\n\t\n\n", error="the file is empty"),
        Case("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
             error="the file is binary, not a text page"),
        Case("latin1.txt", (cemr_prefix + "Café et communes\n").encode("latin-1"),
             error="the file is not UTF-8 text (invalid byte at offset 57); "
                   "convert it with 'iconv -t UTF-8'"),
        Case("cut.txt", "\n".join(bilbao.split("\n")[:6]).encode("utf-8"),
             error="the page ends before its section line; it may have been cut off"),
        Case("huge.txt", (cemr_prefix.encode("utf-8") + b"a" * (10 * 1024 * 1024)),
             error="the file is larger than 2 MB; a news page is a few kilobytes of text, "
                   "so this is not one"),
        Case("notes.txt", "Shopping list\n\n• milk\n• bread\n".encode(),
             error="not a page the importer recognises (expected a CEMR news page, a "
                   "EUROCITIES listing or a Committee of the Regions event page)"),
        Case("no-date.txt",
             replaced("cemr-bilbao-2018.txt", "Bilbao 2018 - 15.05.2018", "Bilbao 2018")
             .encode("utf-8"),
             error="the line after the section, 'Bilbao 2018', is not 'Tag - DD.MM.YYYY'"),
        Case("feb31.txt",
             replaced("cemr-bilbao-2018.txt", "Bilbao 2018 - 15.05.2018",
                      "Bilbao 2018 - 31.02.2021").encode("utf-8"),
             item_id=BILBAO_ID, items=1, page_warnings=1,
             warnings=("published: '31.02.2021' is not a date in the calendar",)),
        Case("no-year.txt",
             replaced("cemr-bilbao-2018.txt", "Bilbao 2018 - 15.05.2018", "Bilbao 2018 - 15.05")
             .encode("utf-8"),
             item_id=BILBAO_ID, items=1, page_warnings=1,
             warnings=("published: '15.05' has no year, so the date is unknown",)),
        Case("listing-empty-date.txt",
             replaced("eurocities-migration-listing.txt", "publication date: 13-02-2019",
                      "publication date:").encode("utf-8"),
             item_id=MILAN_ID, items=10, page_warnings=3,
             warnings=("published: the date is empty",)),
        Case("listing-no-year.txt",
             replaced("eurocities-migration-listing.txt", "publication date: 13-02-2019",
                      "publication date: 13-02").encode("utf-8"),
             item_id=MILAN_ID, items=10, page_warnings=3,
             warnings=("published: '13-02' has no year, so the date is unknown",)),
        Case("script.txt",
             replaced("cemr-refugee-week-2021.txt", "Save the date and register:",
                      "<script>alert(1)</script>\n\n"
                      "See <img src=x onerror=alert(1)> and register:").encode("utf-8"),
             item_id=REFUGEE_ID, items=1),
    ]


CASES = make_cases()


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    """The import services (the language model loads once for the module)."""
    return importers.make_context(load_settings(tmp_path_factory.mktemp("settings")))


def batch(tmp_path: Path, case: Case) -> Path:
    """A folder with the hostile page and a real example page."""
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / case.name).write_bytes(case.data)
    shutil.copy(EXAMPLES / GOOD_PAGE, pages / GOOD_PAGE)
    return pages


def unescaped(tag: str, markdown: str) -> list[str]:
    return re.findall(rf"(?<!\\)<{tag}", markdown, re.IGNORECASE)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_page_through_the_import_stage(tmp_path, context, case):
    settings = load_settings(tmp_path)
    assert settings.content_dir == (tmp_path / "content").resolve()
    pages = batch(tmp_path, case)

    report = importers.run(settings, [pages], context=context)

    assert sorted(p.path.name for p in report.pages) == sorted([case.name, GOOD_PAGE])
    failed = {p.path.name: p.error.render() for p in report.failed_pages if p.error}
    assert failed == ({case.name: case.error} if case.error else {})
    # The good page imported, whole.
    good = [r for r in report.items if r.page.name == GOOD_PAGE]
    assert [(r.item.id, r.item.kind, r.status) for r in good] == [(GOOD_ID, "event", "new")]
    assert load_item(good[0].path) == good[0].item
    # Every item reported was written, and nothing else.
    assert all(r.status == "new" for r in report.items)
    assert sorted(source_item_paths(settings.content_dir)) == sorted(r.path for r in report.items)
    assert sorted(p.name for p in settings.content_dir.iterdir()) == sorted(
        r.path.name for r in report.items)

    hostile = [r for r in report.items if r.page.name == case.name]
    assert len(hostile) == case.items
    assert sum(len(r.item.warnings) for r in hostile) == case.page_warnings
    if case.item_id:
        (result,) = [r for r in hostile if r.item.id == case.item_id]
        assert tuple(w.render() for w in result.item.warnings) == case.warnings
        if case.warnings and case.warnings[0].startswith("published:"):
            assert result.item.published is None
        assert load_item(result.path) == result.item


def test_markup_in_a_page_is_kept_as_escaped_text(tmp_path, context):
    case = next(c for c in CASES if c.name == "script.txt")
    settings = load_settings(tmp_path)
    report = importers.run(settings, [batch(tmp_path, case)], context=context)
    (result,) = [r for r in report.items if r.page.name == "script.txt"]

    body = result.item.body
    assert "\\<script\\>alert(1)\\</script\\>" in body
    assert "See \\<img src=x onerror=alert(1)\\> and register:" in body
    assert unescaped("script", body) == []
    assert unescaped("img", body) == []
    stored = result.path.read_text(encoding="utf-8")
    assert unescaped("script", stored) == []
    assert unescaped("img", stored) == []
    assert load_item(result.path).body == body


def test_a_file_named_twice_and_a_missing_file(tmp_path, context):
    settings = load_settings(tmp_path)
    good = EXAMPLES / GOOD_PAGE
    missing = tmp_path / "gone.txt"
    report = importers.run(settings, [good, missing, good], context=context)
    assert [p.error.render() if p.error else None for p in report.pages] == [
        None, "cannot read the file: No such file or directory", None]
    assert [(r.item.id, r.status) for r in report.items] == [(GOOD_ID, "new")]


# --------------------------------------------------------------------------- the command


def invoke(project: Path, *args: str):
    return CliRunner().invoke(cli, ["--project", str(project), "import", *args])


def summary(pages: int, failed: int, new: int = 0, unchanged: int = 0, conflicts: int = 0,
            warnings: int = 0) -> str:
    return (f"{pages} pages read, {failed} failed; items: {new} new, 0 updated, "
            f"{unchanged} unchanged, {conflicts} conflicts; {warnings} warnings.")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_page_through_the_command(tmp_path, monkeypatch, case):
    monkeypatch.chdir(tmp_path)
    batch(tmp_path, case)

    result = invoke(tmp_path, "--json", "pages")

    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == (1 if case.error else 0), result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    if case.error:
        assert errors == [f"error: pages/{case.name}: {case.error}"]
    else:
        assert errors == []
    items = 1 + case.items
    assert result.stderr.splitlines()[-1] == summary(
        pages=2, failed=1 if case.error else 0, new=items, warnings=case.page_warnings)

    shown = json.loads(result.stdout)
    assert len(shown) == items
    by_id = {entry["id"]: entry for entry in shown}
    assert by_id[GOOD_ID]["path"] == f"content/{GOOD_ID}.md"
    assert (tmp_path / "content" / f"{GOOD_ID}.md").is_file()
    if case.item_id:
        entry = by_id[case.item_id]
        assert [f"{w['field']}: {w['message']}" for w in entry["warnings"]] == list(case.warnings)
        for warning in case.warnings:
            field, message = warning.split(": ", 1)
            assert (f"warning: content/{case.item_id}.md: field '{field}': {message}"
                    in result.stderr.splitlines())


def test_the_command_fails_only_for_failed_pages_unless_strict(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    case = next(c for c in CASES if c.name == "feb31.txt")
    batch(tmp_path, case)
    assert invoke(tmp_path, "--dry-run", "pages").exit_code == 0
    assert not (tmp_path / "content").exists()
    strict = invoke(tmp_path, "--strict", "pages")
    assert strict.exit_code == 1
    assert strict.stderr.splitlines()[-1] == summary(pages=2, failed=0, new=2, warnings=1)


# --------------------------------------------------------------------------- re-imports


def content_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_reimport_is_idempotent(tmp_path, context):
    settings = load_settings(tmp_path)
    first = importers.run(settings, [EXAMPLES], context=context)
    assert not first.failed_pages
    assert len(first.items) == 14
    assert {r.status for r in first.items} == {"new"}
    files = content_files(settings.content_dir)
    assert len(files) == 14

    second = importers.run(settings, [EXAMPLES], context=context)
    assert not second.failed_pages
    assert [r.status for r in second.items] == ["unchanged"] * 14
    assert [r.item.id for r in second.items] == [r.item.id for r in first.items]
    assert [r.path for r in second.items] == [r.path for r in first.items]
    assert content_files(settings.content_dir) == files


def test_reimport_leaves_an_edited_item_alone(tmp_path, context):
    settings = load_settings(tmp_path)
    first = importers.run(settings, [EXAMPLES], context=context)
    edited = settings.content_dir / f"{BILBAO_ID}.md"
    text = edited.read_text(encoding="utf-8")
    old_title = "title: 'Migrant integration in an interconnected world: Bilbao session focus'\n"
    assert old_title in text
    edited.write_text(text.replace(old_title, "title: 'Bilbao: integration of migrants'\n"),
                      encoding="utf-8")
    before = content_files(settings.content_dir)

    again = importers.run(settings, [EXAMPLES], context=context)

    statuses = {r.item.id: r.status for r in again.items}
    assert statuses == {r.item.id: "unchanged" for r in first.items} | {BILBAO_ID: "conflict"}
    (conflict,) = [r for r in again.items if r.status == "conflict"]
    assert conflict.path == edited
    assert conflict.problem is not None and conflict.problem.render() == EDITED_MESSAGE
    assert content_files(settings.content_dir) == before
    assert load_item(edited).title == "Bilbao: integration of migrants"


def test_reimport_through_the_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(EXAMPLES, tmp_path / "pages")
    first = invoke(tmp_path, "pages")
    assert first.exit_code == 0, first.output
    assert first.stderr.splitlines()[-1] == summary(pages=5, failed=0, new=14, warnings=2)
    files = content_files(tmp_path / "content")

    second = invoke(tmp_path, "pages")
    assert second.exit_code == 0, second.output
    assert second.stderr.splitlines()[-1] == summary(pages=5, failed=0, unchanged=14, warnings=2)
    assert content_files(tmp_path / "content") == files

    edited = tmp_path / "content" / f"{BILBAO_ID}.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace(
        "title: 'Migrant integration", "title: 'Integration"), encoding="utf-8")
    before = edited.read_bytes()
    third = invoke(tmp_path, "pages")
    assert third.exit_code == 0, third.output
    assert f"conflict: content/{BILBAO_ID}.md: {EDITED_MESSAGE}" in third.stderr.splitlines()
    assert third.stderr.splitlines()[-1] == summary(pages=5, failed=0, unchanged=13,
                                                    conflicts=1, warnings=2)
    assert edited.read_bytes() == before
    assert invoke(tmp_path, "--strict", "pages").exit_code == 1


def test_reimport_of_a_page_with_unicode_line_breaks_is_unchanged(tmp_path, context):
    # NEL (U+0085) and LINE SEPARATOR (U+2028) inside a line survive the page
    # clean-up; the item file must keep them, or the next import takes our own
    # file for an editor's change.
    pages = tmp_path / "pages"
    pages.mkdir()
    text = replaced("cemr-bilbao-2018.txt", "Migration has always existed in different forms",
                    "Migration has always\x85existed in different\u2028forms")
    text = text.replace("Join the discussion on twitter", "Join the\x85discussion on twitter")
    (pages / "nel.txt").write_text(text, encoding="utf-8")
    settings = load_settings(tmp_path)
    first = importers.run(settings, [pages], context=context)
    assert [r.status for r in first.items] == ["new"]
    stored = load_item(first.items[0].path)
    assert stored == first.items[0].item
    assert stored.lead.startswith("Migration has always\x85existed in different\u2028forms")
    assert "Join the\x85discussion on twitter" in stored.body
    second = importers.run(settings, [pages], context=context)
    assert [r.status for r in second.items] == ["unchanged"]


def test_reimport_over_an_unreadable_item_does_not_crash_or_touch_it(tmp_path, context):
    settings = load_settings(tmp_path)
    importers.run(settings, [EXAMPLES / "cemr-bilbao-2018.txt"], context=context)
    broken = settings.content_dir / f"{BILBAO_ID}.md"
    text = broken.read_text(encoding="utf-8")
    # An editor typed an impossible date; YAML itself cannot build it.
    broken.write_text(text.replace("published: '2018-05-15'", "published: 2018-02-31"),
                      encoding="utf-8")
    before = broken.read_bytes()

    report = importers.run(settings, [EXAMPLES / "cemr-bilbao-2018.txt"], context=context)

    assert not report.failed_pages
    assert broken.read_bytes() == before


def test_reimport_over_an_unreadable_item_reports_a_conflict(tmp_path, context):
    settings = load_settings(tmp_path)
    importers.run(settings, [EXAMPLES / "cemr-bilbao-2018.txt"], context=context)
    broken = settings.content_dir / f"{BILBAO_ID}.md"
    broken.write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")

    report = importers.run(settings, [EXAMPLES / "cemr-bilbao-2018.txt"], context=context)

    assert [r.status for r in report.items] == ["conflict"]
    assert sorted(p.name for p in settings.content_dir.iterdir()) == [f"{BILBAO_ID}.md"]


# ------------------------------------------------------------- once bugs, now fixed


def test_cor_page_with_two_dates_does_not_crash_the_batch(tmp_path, context):
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "cor-moved.txt").write_text(replaced(
        "cor-workshop-el.txt", "\nAgenda\n", "\nThe workshop was moved from 17 June 2021.\n\n"
        "Agenda\n"), encoding="utf-8")
    shutil.copy(EXAMPLES / "cemr-bilbao-2018.txt", pages)
    report = importers.run(load_settings(tmp_path), [pages], context=context)
    assert not report.failed_pages
    assert len(report.items) == 2


@pytest.mark.parametrize("breadcrumb", ["[bold]x[/bold]", "[/b] oops"])
def test_command_shows_page_text_verbatim(tmp_path, monkeypatch, breadcrumb):
    monkeypatch.chdir(tmp_path)
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "odd.txt").write_text(
        "Council of European Municipalities and Regions (CEMR)\nsubtitle\n\n"
        f"{breadcrumb}\nnext > < previous\n", encoding="utf-8")
    shutil.copy(EXAMPLES / GOOD_PAGE, pages)
    result = invoke(tmp_path, "pages")
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert (f"error: pages/odd.txt: expected the breadcrumb ('Home / News / ...') but found "
            f"'{breadcrumb}'") in result.stderr.splitlines()
