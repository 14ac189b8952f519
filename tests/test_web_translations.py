"""The side-by-side page and its forms, through Flask's test client: what is shown,
what a save does, and what is refused (no CSRF token, a stale version, unknown
items, fields and languages, a broken editor's file)."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

pytest.importorskip("ctranslate2", reason="ctranslate2 missing: pip install argos-translate-lt")

from conftest import copy_project
from review_support import HUMAN_BODY, TITLE_EL, CoR_ID
from web_support import SECRET

from newsletter.config import Settings
from newsletter.content import item_path
from newsletter.localise.human import read_human_edit
from newsletter.localise.store import load_localised, localised_path
from newsletter.web import create_app

PAGE = f"/editor/items/{CoR_ID}/el"
NEW_TITLE = "Εργαστήριο για τοπικές αρχές: στρατηγική ένταξης"


@pytest.fixture
def settings(review_seeds: Path, tmp_path: Path) -> Settings:
    return copy_project(review_seeds, tmp_path)


@pytest.fixture
def client(settings: Settings):
    return create_app(settings, environ={"NEWSLETTER_SECRET": SECRET}).test_client()


def page(client, url: str = PAGE, status: int = 200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    return lxml.html.fromstring(response.get_data(as_text=True))


def form_of(document, field: str):
    """The field's form, as a browser would submit it (every named control)."""
    form = document.get_element_by_id(f"field-{field}").find(".//form")
    data = {name: value for name, value in form.form_values()}
    return form.get("action"), data


def test_the_page_puts_source_and_translation_side_by_side(client) -> None:
    document = page(client)
    title = document.get_element_by_id("field-title")
    source, translation = title.findall(".//tbody/tr/td")
    assert (source.get("lang"), source.get("dir")) == ("en", "ltr")
    assert "Setting Up a Local Integration Strategy" in source.text_content()
    assert (translation.get("lang"), translation.get("dir")) == ("el", "ltr")
    assert "provenance-machine" in translation.get("class")
    assert "Machine translation (argos, en-el@1.0)" in translation.text_content()
    box = translation.find(".//textarea")
    assert (box.get("name"), box.get("lang"), box.get("dir"), box.text) == (
        "segment-0", "el", "ltr", TITLE_EL)

    body = document.get_element_by_id("field-body").findall(".//tbody/tr")
    cells = [row.findall("td")[1] for row in body]
    assert [c.get("class").split()[-1] for c in cells[:3]] == [
        "provenance-human", "provenance-missing", "provenance-machine"]
    assert "Human translation" in cells[0].text_content()
    assert cells[0].find(".//textarea").text == HUMAN_BODY[0]
    assert "Missing" in cells[1].text_content()
    assert cells[1].find(".//textarea").text in (None, "")  # never the English as a translation
    assert [c.find(".//textarea").get("name") for c in cells[:3]] == [
        "segment-0", "segment-1", "segment-2"]

    action, data = form_of(document, "title")
    assert action == f"{PAGE}/title"
    assert data["based_on"] == "" and data["csrf_token"]
    assert document.get_element_by_id("field-event-agenda-4") is not None
    switcher = {a.get("hreflang"): (a.get("href"), a.text_content())
                for a in document.xpath("//nav[@class='language-switcher']//a")}
    assert switcher == {"en": (f"/editor/items/{CoR_ID}/en", "English"),
                        "fr": (f"/editor/items/{CoR_ID}/fr", "français"),
                        "es": (f"/editor/items/{CoR_ID}/es", "español")}
    assert document.xpath("//nav[@class='language-switcher']//*[@aria-current='page']")[0].text == "Ελληνικά"
    assert f"/en/{CoR_ID}.html" in [a.get("href") for a in document.iter("a")]
    legend = document.xpath("//dl[@class='legend']")[0].text_content()
    assert "Human translation" in legend and "Machine translation" in legend


def test_a_save_needs_the_forms_csrf_token(client, settings: Settings) -> None:
    action, data = form_of(page(client), "title")
    data["segment-0"] = NEW_TITLE
    del data["csrf_token"]
    refused = client.post(action, data=data)
    assert refused.status_code == 400
    assert not item_path(settings.content_dir, CoR_ID, "el").exists()


def test_a_save_is_published_and_shown_after_a_redirect(client, settings: Settings) -> None:
    action, data = form_of(page(client), "title")
    data["segment-0"] = NEW_TITLE
    saved = client.post(action, data=data)
    assert saved.status_code == 303
    assert saved.headers["Location"] == f"{PAGE}#field-title"

    document = page(client)
    assert "Saved." in document.xpath("//p[@class='flash success']")[0].text_content()
    cell = document.get_element_by_id("field-title").findall(".//tbody/tr/td")[1]
    assert "provenance-human" in cell.get("class")
    assert cell.find(".//textarea").text == NEW_TITLE
    assert read_human_edit(settings.content_dir, CoR_ID, "el").fields["title"] == NEW_TITLE
    greek = load_localised(localised_path(settings.data_dir, "el", CoR_ID))
    assert greek.text("title") == NEW_TITLE
    assert NEW_TITLE in (settings.site_dir / "el" / f"{CoR_ID}.html").read_text("utf-8")
    assert form_of(document, "title")[1]["based_on"]  # the next save is based on this one

    action, data = form_of(document, "title")
    data["action"] = "clear"
    assert client.post(action, data=data).status_code == 303
    cell = page(client).get_element_by_id("field-title").findall(".//tbody/tr/td")[1]
    assert "provenance-machine" in cell.get("class")
    assert cell.find(".//textarea").text == TITLE_EL


def test_a_stale_form_is_a_conflict_that_keeps_the_typed_text(client,
                                                               settings: Settings) -> None:
    document = page(client)
    first_action, first = form_of(document, "title")
    second_action, second = form_of(document, "event-agenda-0")
    first["segment-0"] = NEW_TITLE
    assert client.post(first_action, data=first).status_code == 303
    stored = item_path(settings.content_dir, CoR_ID, "el").read_bytes()

    second["segment-0"] = "Αρχή της εκδήλωσης"
    conflict = client.post(second_action, data=second)

    assert conflict.status_code == 409
    shown = lxml.html.fromstring(conflict.get_data(as_text=True))
    alert = shown.xpath("//*[contains(@class, 'flash error')]")[0].text_content()
    assert "someone else changed this translation" in alert
    assert form_of(shown, "event-agenda-0")[1]["segment-0"] == "Αρχή της εκδήλωσης"
    assert form_of(shown, "event-agenda-0")[1]["based_on"] != second["based_on"]
    assert form_of(shown, "title")[1]["segment-0"] == NEW_TITLE  # the other save, shown
    assert item_path(settings.content_dir, CoR_ID, "el").read_bytes() == stored


def test_a_partly_empty_field_is_refused_with_the_text_kept(client, settings: Settings) -> None:
    action, data = form_of(page(client), "body")
    data["segment-0"] = "Μόνο η πρώτη πρόταση."
    data["segment-1"] = ""
    refused = client.post(action, data=data)
    assert refused.status_code == 400
    shown = lxml.html.fromstring(refused.get_data(as_text=True))
    assert "sentences are empty" in shown.xpath("//*[contains(@class, 'flash error')]")[0].text_content()
    assert form_of(shown, "body")[1]["segment-0"] == "Μόνο η πρώτη πρόταση."
    assert not item_path(settings.content_dir, CoR_ID, "el").exists()


def test_unknown_items_fields_and_languages(client) -> None:
    for url in ("/editor/items/no-such-item/el", f"/editor/items/{CoR_ID}/de",
                f"/editor/items/{CoR_ID}/el-XX"):
        assert client.get(url).status_code == 404, url
    data = form_of(page(client), "title")[1]
    assert client.post(f"{PAGE}/source_url", data=data).status_code == 404
    assert client.post("/editor/items/no-such-item/el/title", data=data).status_code == 404
    english = page(client, f"/editor/items/{CoR_ID}/en")
    assert not english.xpath("//form//textarea")  # the original is not translated
    assert client.post(f"/editor/items/{CoR_ID}/en/title", data=data).status_code == 400


def test_hostile_text_is_shown_as_text(client) -> None:
    action, data = form_of(page(client), "title")
    data["segment-0"] = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    assert client.post(action, data=data).status_code == 303
    html = client.get(PAGE).get_data(as_text=True)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img" in html
    cell = lxml.html.fromstring(html).get_element_by_id("field-title").findall(".//td")[1]
    assert cell.find(".//textarea").text == data["segment-0"]


def test_a_broken_editors_file_is_named_and_nothing_is_saved(client,
                                                             settings: Settings) -> None:
    action, data = form_of(page(client), "title")
    path = item_path(settings.content_dir, CoR_ID, "el")
    path.write_text("---\nlanguage: el\nagenda: oops\n---\n", "utf-8")
    document = page(client)
    alert = document.xpath("//*[contains(@class, 'flash error')]")[0].text_content()
    assert str(path) in alert and "agenda" in alert
    assert not document.xpath("//form//textarea")
    data["segment-0"] = NEW_TITLE
    refused = client.post(action, data=data)
    assert refused.status_code == 409
    assert str(path) in refused.get_data(as_text=True)
    assert path.read_text("utf-8") == "---\nlanguage: el\nagenda: oops\n---\n"

    path.unlink()
    item_path(settings.content_dir, CoR_ID).write_text("---\nid: [\n", "utf-8")
    broken = client.get(PAGE)
    assert broken.status_code == 500
    assert f"{CoR_ID}.md" in broken.get_data(as_text=True)
