"""The editor's review of an item: sentences side by side with their provenance, and
saving a fix into the editor's file, the memory, the localised item and that
language's feeds and pages, never anything else."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import pytest

pytest.importorskip("ctranslate2", reason="ctranslate2 missing: pip install argos-translate-lt")

from conftest import copy_project
from review_support import (
    AGENDA_EL,
    ARGOS,
    HUMAN_BODY,
    MACHINE_BODY,
    TITLE_EL,
    CoR_ID,
)

from newsletter.config import Settings
from newsletter.content import ContentError, item_path
from newsletter.digest import select_issue
from newsletter.localise import stage
from newsletter.localise.engines.argos import ArgosEngine
from newsletter.localise.human import EditConflict, read_human_edit, save_human_field
from newsletter.localise.memory import TranslationMemory
from newsletter.localise.review import (
    InvalidEdit,
    UnknownItem,
    save_translation,
    side_by_side,
)
from newsletter.localise.store import load_localised, localised_path
from newsletter.render import build
from newsletter.render.email import render_issue

TODAY = date(2021, 5, 24)
NEW_TITLE = "Εργαστήριο για τοπικές αρχές: στρατηγική ένταξης με όλους τους φορείς"
WORKSHOP = "Εργαστήριο: «Κατάρτιση τοπικής στρατηγικής ένταξης»"
ATOM = "{http://www.w3.org/2005/Atom}"


class CountingEngine:
    """The real Argos engine, recording the sentences that reach it."""

    def __init__(self, engine: ArgosEngine) -> None:
        self.engine = engine
        self.name = engine.name
        self.sentences: list[str] = []

    def model_version(self, source: str, target: str) -> str | None:
        return self.engine.model_version(source, target)

    def translate(self, source: str, target: str, segments: Sequence[str]) -> list[str]:
        self.sentences += segments
        return self.engine.translate(source, target, segments)


@pytest.fixture
def settings(review_seeds: Path, tmp_path: Path) -> Settings:
    return copy_project(review_seeds, tmp_path)


@pytest.fixture
def engine(settings: Settings) -> CountingEngine:
    return CountingEngine(ArgosEngine(settings.argos_dir))


def save(settings: Settings, field: str, typed: list[str] | str, based_on: str | None,
         engine: CountingEngine, language: str = "el"):
    return save_translation(settings, CoR_ID, language, field, typed, based_on, today=TODAY,
                            engines={"argos": engine})


def human_memory(settings: Settings, sentences: Sequence[str]) -> dict[str, str]:
    memory = TranslationMemory.open(stage.memory_path(settings))
    try:
        return memory.lookup("en", "el", stage.HUMAN, sentences)
    finally:
        memory.close()


def snapshot(*folders: Path) -> dict[Path, tuple[bytes, int]]:
    """Every file under `folders` with its bytes and modification time."""
    return {path: (path.read_bytes(), path.stat().st_mtime_ns)
            for folder in folders if folder.exists()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def test_each_sentence_shows_where_its_translation_comes_from(settings: Settings,
                                                              engine: CountingEngine) -> None:
    save_human_field(settings.content_dir, _item(settings), "el", "event.agenda[4]",
                     "Διάλειμμα", based_on="")
    review = side_by_side(settings, CoR_ID, "el", engines={"argos": engine})

    assert [f.name for f in review.fields][:3] == ["title", "body", "event.agenda[0]"]
    assert [f.name for f in review.fields][-1] == "links[4].title"
    title = review.field("title")
    assert [(r.text, r.provenance.kind, r.provenance.engine, r.provenance.model_version)
            for r in title.segments] == [(TITLE_EL, "machine", "argos", "en-el@1.0")]
    body = review.field("body")
    kinds = [row.provenance.kind for row in body.segments]
    assert kinds[:9] == ["human", "missing", *["machine"] * 7]
    assert set(kinds[9:]) == {"missing"}
    assert body.segments[0].text == HUMAN_BODY[0]
    assert body.segments[1].text == body.segments[1].source  # readers see the English
    assert body.segments[1].source.startswith("Workshop on “Setting Up")
    assert body.segments[2].text == MACHINE_BODY[2]
    assert body.localised.provenance.kind == "missing"  # one missing sentence is enough
    assert review.field("event.agenda[1]").segments[0].text == AGENDA_EL[1]

    agenda = review.field("event.agenda[4]")  # the editor's file wins for the whole field
    assert agenda.edited == "Διάλειμμα"
    assert [(r.text, r.provenance.kind) for r in agenda.segments] == [("Διάλειμμα", "human")]
    assert agenda.localised.provenance.kind == "human"
    assert review.field("links[3].title").segments[0].provenance.kind == "missing"
    assert review.version and review.edit_path == item_path(settings.content_dir, CoR_ID, "el")
    assert all(f.published is None for f in review.fields)  # not localised yet
    assert engine.sentences == []  # reading never translates

    french = side_by_side(settings, CoR_ID, "fr", engines={"argos": engine})
    assert {r.provenance.kind for f in french.fields for r in f.segments} == {"missing"}
    english = side_by_side(settings, CoR_ID, "en", engines={"argos": engine})
    assert english.is_source
    assert {r.provenance.kind for f in english.fields for r in f.segments} == {"source"}


def test_an_editors_text_that_splits_differently_is_one_block(settings: Settings,
                                                              engine: CountingEngine) -> None:
    save_human_field(settings.content_dir, _item(settings), "el", "body",
                     "Ένα κείμενο. Σε δύο προτάσεις.\n", based_on="")
    body = side_by_side(settings, CoR_ID, "el", engines={"argos": engine}).field("body")
    assert body.whole
    assert [(r.source, r.text, r.provenance.kind) for r in body.segments] == [
        (body.source_text, "Ένα κείμενο. Σε δύο προτάσεις.\n", "human")]


def test_a_saved_sentence_reaches_file_memory_item_and_that_languages_feeds_only(
        settings: Settings, engine: CountingEngine) -> None:
    others = ["en", "fr", "es"]
    stage.run(settings, others, engines={"argos": engine})
    build.run(settings, today=TODAY, languages=others)
    source_bytes = item_path(settings.content_dir, CoR_ID).read_bytes()
    before = snapshot(settings.feeds_dir, settings.site_dir, settings.data_dir / "localised")
    review = side_by_side(settings, CoR_ID, "el", engines={"argos": engine})
    body = review.field("body")
    typed = [row.text for row in body.segments]
    typed[1] = WORKSHOP  # a missing sentence translated
    typed[3] = "Η εκδήλωση έφερε κοντά πόλεις και περιφέρειες από όλη την ΕΕ."  # a fix
    for index, row in enumerate(body.segments):
        if row.provenance.kind == "missing" and index > 3:
            typed[index] = f"Πρόταση {index}."

    result = save(settings, "body", typed, review.version, engine)

    edit = read_human_edit(settings.content_dir, CoR_ID, "el")
    assert edit is not None and set(edit.fields) == {"body"}
    assert WORKSHOP in edit.fields["body"]
    assert result.version == side_by_side(settings, CoR_ID, "el",
                                          engines={"argos": engine}).version
    # The editor's own sentences are remembered; the machine's they kept are not.
    sources = [row.source for row in body.segments]
    remembered = human_memory(settings, sources)
    assert remembered[sources[1]] == WORKSHOP
    assert remembered[sources[3]].startswith("Η εκδήλωση έφερε κοντά")
    assert sources[2] not in remembered and remembered[sources[0]] == HUMAN_BODY[0]
    assert result.remembered == len(typed) - (len(MACHINE_BODY) - 1)  # all but kept machine ones

    greek = load_localised(localised_path(settings.data_dir, "el", CoR_ID))
    assert greek.fields["body"].provenance.kind == "human"
    assert greek.text("body") == edit.fields["body"]
    assert greek.fields["title"].text == TITLE_EL
    # The other fields were localised with the engine; the editor's field never reached it.
    assert engine.sentences and not set(engine.sentences) & set(sources)
    assert "Migrant access to healthcare: From emergency responses to sustainable solutions" \
        in engine.sentences
    assert [p.name for p in localised_path(settings.data_dir, "el", CoR_ID).parent.iterdir()] \
        == [f"{CoR_ID}.json"]  # one item, not the whole site

    rss = (settings.feeds_dir / "el" / "rss.xml").read_text("utf-8")
    assert WORKSHOP in rss
    page = (settings.site_dir / "el" / f"{CoR_ID}.html").read_text("utf-8")
    assert WORKSHOP in page
    assert snapshot(settings.feeds_dir, settings.site_dir, settings.data_dir / "localised") \
        .items() >= before.items()  # nothing of the other languages rewritten
    assert item_path(settings.content_dir, CoR_ID).read_bytes() == source_bytes
    assert not item_path(settings.content_dir, CoR_ID, "fr").exists()


def test_a_save_based_on_an_old_version_is_refused_and_writes_nothing(
        settings: Settings, engine: CountingEngine) -> None:
    opened = side_by_side(settings, CoR_ID, "el", engines={"argos": engine}).version
    save(settings, "title", [NEW_TITLE], opened, engine)
    path = item_path(settings.content_dir, CoR_ID, "el")
    stored = path.read_bytes()
    localised = localised_path(settings.data_dir, "el", CoR_ID).read_bytes()
    late = "Ένας άλλος τίτλος"
    with pytest.raises(EditConflict):
        save(settings, "title", [late], opened, engine)
    with pytest.raises(EditConflict):
        save(settings, "event.agenda[0]", ["Αρχή"], opened, engine)
    assert path.read_bytes() == stored
    assert localised_path(settings.data_dir, "el", CoR_ID).read_bytes() == localised
    assert late not in human_memory(settings, [_item(settings).title]).values()


def test_emptying_a_field_brings_the_machine_text_back(settings: Settings,
                                                       engine: CountingEngine) -> None:
    title = _item(settings).title
    first = save(settings, "title", [NEW_TITLE], "", engine)
    assert human_memory(settings, [title]) == {title: NEW_TITLE}
    greek = load_localised(localised_path(settings.data_dir, "el", CoR_ID))
    assert (greek.text("title"), greek.fields["title"].provenance.kind) == (NEW_TITLE, "human")

    cleared = save(settings, "title", "", first.version, engine)

    assert cleared.forgotten == 1 and human_memory(settings, [title]) == {}
    edit = read_human_edit(settings.content_dir, CoR_ID, "el")
    assert edit is None or "title" not in edit.fields
    greek = load_localised(localised_path(settings.data_dir, "el", CoR_ID))
    assert greek.text("title") == TITLE_EL
    assert greek.fields["title"].provenance.model_version == ARGOS.model_version
    row = side_by_side(settings, CoR_ID, "el", engines={"argos": engine}).field("title")
    assert (row.segments[0].provenance.kind, row.up_to_date) == ("machine", True)


def test_every_sentence_or_none(settings: Settings, engine: CountingEngine) -> None:
    body = side_by_side(settings, CoR_ID, "el", engines={"argos": engine}).field("body")
    partly = ["Κείμενο."] + [""] * (len(body.segments) - 1)
    with pytest.raises(InvalidEdit, match="sentences are empty"):
        save(settings, "body", partly, "", engine)
    with pytest.raises(InvalidEdit, match="reload the page"):
        save(settings, "body", ["Κείμενο."], "", engine)
    assert not item_path(settings.content_dir, CoR_ID, "el").exists()


def test_what_cannot_be_reviewed(settings: Settings, engine: CountingEngine) -> None:
    # An item where "../newsletter" would lead, so only the id check can refuse it.
    (settings.project_dir / "newsletter.md").write_bytes(
        item_path(settings.content_dir, CoR_ID).read_bytes())
    for item_id, language in (("no-such-item", "el"), (CoR_ID, "de"), ("../newsletter", "el")):
        with pytest.raises(UnknownItem):
            side_by_side(settings, item_id, language, engines={"argos": engine})
    with pytest.raises(UnknownItem):
        save(settings, "imported", ["x"], "", engine)
    with pytest.raises(InvalidEdit, match="nothing to translate"):
        save(settings, "title", ["x"], "", engine, language="en")
    assert not item_path(settings.content_dir, CoR_ID, "en").exists()


def test_a_broken_editors_file_is_named_not_overwritten(settings: Settings,
                                                        engine: CountingEngine) -> None:
    path = item_path(settings.content_dir, CoR_ID, "el")
    path.write_text("---\nlanguage: el\ntitle: [not, text]\n---\n", "utf-8")
    review = side_by_side(settings, CoR_ID, "el", engines={"argos": engine})
    assert review.error is not None
    assert (review.error.path, review.error.field_name) == (str(path), "title")
    assert review.field("title").segments[0].text == TITLE_EL  # shown without the file
    with pytest.raises(ContentError) as refused:
        save(settings, "title", [NEW_TITLE], review.version, engine)
    assert (refused.value.path, refused.value.field_name) == (str(path), "title")
    assert "not, text" in path.read_text("utf-8")


def test_markup_typed_by_an_editor_stays_text_everywhere(settings: Settings,
                                                         engine: CountingEngine) -> None:
    title = "<script>alert('title')</script> Εργαστήριο & <b>συζήτηση</b>"
    body = ("Κείμενο <script>alert('body')</script> με <img src=x onerror=alert(1)>.\n\n"
            "[σύνδεσμος](javascript:alert(2))\n")
    first = save(settings, "title", [title], "", engine)
    save(settings, "body", body, first.version, engine)
    assert read_human_edit(settings.content_dir, CoR_ID, "el").fields["body"] == body

    page = (settings.site_dir / "el" / f"{CoR_ID}.html").read_text("utf-8")
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; Εργαστήριο" in page
    assert "Κείμενο" in page
    _no_active_markup(page)

    rss = ElementTree.parse(settings.feeds_dir / "el" / "rss.xml").getroot()
    entry = next(i for i in rss.iter("item") if CoR_ID in (i.findtext("link") or ""))
    assert entry.findtext("title") == title  # RSS titles are plain text
    _no_active_markup(entry.findtext("description") or "")
    atom = ElementTree.parse(settings.feeds_dir / "el" / "atom.xml").getroot()
    entry = next(e for e in atom.iter(f"{ATOM}entry")
                 if CoR_ID in (e.find(f"{ATOM}link").get("href") or ""))
    assert entry.find(f"{ATOM}title").text == title
    assert entry.find(f"{ATOM}title").get("type", "text") == "text"
    _no_active_markup(entry.findtext(f"{ATOM}content") or "")
    assert "Κείμενο" in (entry.findtext(f"{ATOM}content") or "")

    digest = render_issue(settings, select_issue(settings, "2021-W21"), "el")
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; Εργαστήριο" in digest.html
    _no_active_markup(digest.html)


def _no_active_markup(html: str) -> None:
    assert not re.search(r"<script|<img[^>]*onerror|href=[\"']?javascript:", html, re.IGNORECASE), html


def _item(settings: Settings):
    from newsletter.content import load_item

    return load_item(item_path(settings.content_dir, CoR_ID))
