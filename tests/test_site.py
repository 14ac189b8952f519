"""The archive pages, rendered from the seed pages through the real import and localise stages.

The project serves English, Greek and Arabic (right to left). Greek has an editor's
title for the CoR workshop and nothing else translated; Arabic has a machine
translation of the Milan item; a hostile item tries to get markup into the page.
Pages are parsed with lxml and checked element by element.
"""

from __future__ import annotations

import dataclasses
import gettext
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import lxml.html
import pytest
from conftest import EXAMPLE_PAGES
from jinja2 import Environment

from newsletter import importers
from newsletter.config import Settings, load_settings
from newsletter.content import fingerprint, item_path, load_item, save_item
from newsletter.localise import stage
from newsletter.localise.store import save_localised
from newsletter.messages import load_catalog, msg
from newsletter.model import LocalisedField, LocalisedItem, Provenance
from newsletter.render.environment import template_environment
from newsletter.render.site import render_index_page, render_item_page
from newsletter.render.views import ItemView, SiteLayout, load_views
from newsletter.resources import resource_dir

CONFIG = """
[site]
name = "City Networks Digest"
base_url = "https://news.example.org/digest/"
languages = ["en", "el", "ar"]
"""
LANGUAGES = ("en", "el", "ar")
OWN_NAMES = {"en": "English", "el": "Ελληνικά", "ar": "العربية"}
COR_ID = "online-workshop-for-local-and-regional-authorities-setting-up-a-local"
MILAN_ID = "milan-is-the-19th-city-to-sign-pledge-to-the-eu-pillar-of-social-rights"
HOSTILE_ID = "hostile-item"
GREEK_TITLE = ("Διαδικτυακό εργαστήριο για τοπικές και περιφερειακές αρχές: "
               "κατάρτιση τοπικής στρατηγικής ένταξης")
ARABIC_TITLE = "ميلانو هي المدينة التاسعة عشرة التي توقّع تعهد الركيزة الأوروبية للحقوق الاجتماعية"
HOSTILE_TITLE = '<script>alert(1)</script> & "quotes"'
HOSTILE_LEAD = "<img src=x onerror=alert(2)> Tom & Jerry's <b>lead</b>"
HOSTILE_BODY = "Fish & chips, **bold** and <script>alert(3)</script> <a href=\"javascript:alert(4)\">x</a>"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The seeds imported and localised without engines, plus the editor's, machine and hostile items."""
    folder = tmp_path_factory.mktemp("site")
    (folder / "newsletter.toml").write_text(CONFIG, "utf-8")
    settings = load_settings(folder)
    importers.run(settings, importers.page_files([EXAMPLE_PAGES]))

    bilbao = load_item(item_path(settings.content_dir,
                                 "migrant-integration-in-an-interconnected-world-bilbao-session-focus"))
    save_item(dataclasses.replace(bilbao, id=HOSTILE_ID, title=HOSTILE_TITLE, lead=HOSTILE_LEAD,
                                  body=HOSTILE_BODY, links=(), imported=None),
              settings.content_dir)
    item_path(settings.content_dir, COR_ID, "el").write_text(
        f"---\nlanguage: el\ntitle: '{GREEK_TITLE}'\n---\n", "utf-8")
    stage.run(settings, engines={})

    milan = load_item(item_path(settings.content_dir, MILAN_ID))
    machine = Provenance("machine", engine="argos", model_version="en-ar@1.0")
    save_localised(LocalisedItem(MILAN_ID, "ar", "en", fingerprint(milan), {
        "title": LocalisedField(ARABIC_TITLE, machine),
        "lead": LocalisedField("وقّعت ميلانو تعهداً بالالتزام بالركيزة الأوروبية.", machine),
        "body": LocalisedField("نص المقال.", machine),
    }), settings.data_dir)
    return settings


@pytest.fixture(scope="module")
def catalogs() -> dict[str, gettext.NullTranslations]:
    return {language: load_catalog(resource_dir("locales"), language) for language in LANGUAGES}


@pytest.fixture(scope="module")
def views(project: Settings) -> dict[str, list[ItemView]]:
    return {language: load_views(project, language) for language in LANGUAGES}


@pytest.fixture(scope="module")
def environments(catalogs: dict[str, gettext.NullTranslations]) -> dict[str, Environment]:
    return {language: template_environment(language, catalog, html=True)
            for language, catalog in catalogs.items()}


def view_of(views: dict[str, list[ItemView]], language: str, item_id: str) -> ItemView:
    return next(view for view in views[language] if view.item.id == item_id)


def item_page(project: Settings, environments: dict[str, Environment], view: ItemView) -> str:
    return render_item_page(environments[view.language], view, site_name=project.site_name,
                            layout=SiteLayout(project.base_url), languages=project.languages)


def index_page(project: Settings, environments: dict[str, Environment],
               views: dict[str, list[ItemView]], language: str) -> str:
    return render_index_page(environments[language], views[language], language=language,
                             site_name=project.site_name, layout=SiteLayout(project.base_url),
                             languages=project.languages)


def parse(page: str) -> lxml.html.HtmlElement:
    """The page as lxml reads it; any parse error fails the test."""
    parser = lxml.html.HTMLParser(recover=True)
    document = lxml.html.document_fromstring(page, parser=parser)
    assert not [str(error) for error in parser.error_log]
    return document


def text(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


@pytest.mark.parametrize(("language", "direction"), [("en", "ltr"), ("el", "ltr"), ("ar", "rtl")])
def test_pages_carry_the_reader_language_and_direction(
        project: Settings, environments: dict[str, Environment],
        views: dict[str, list[ItemView]], language: str, direction: str) -> None:
    for page in (item_page(project, environments, view_of(views, language, COR_ID)),
                 index_page(project, environments, views, language)):
        assert page.startswith("<!doctype html>\n")
        root = parse(page)
        assert (root.get("lang"), root.get("dir")) == (language, direction)
        assert root.xpath("/html/head/meta[@charset='utf-8']")
        assert root.xpath("/html/head/meta[@name='viewport']")


@pytest.mark.parametrize("language", LANGUAGES)
def test_item_page_names_every_language_version(
        project: Settings, environments: dict[str, Environment],
        views: dict[str, list[ItemView]], language: str) -> None:
    view = view_of(views, language, COR_ID)
    root = parse(item_page(project, environments, view))

    hreflang = {link.get("hreflang"): link.get("href")
                for link in root.xpath("/html/head/link[@rel='alternate'][@hreflang]")}
    assert hreflang == {**view.alternates, "x-default": view.alternates["en"]}
    assert len(root.xpath("/html/head/link[@rel='alternate'][@hreflang]")) == len(LANGUAGES) + 1
    assert hreflang[language] == view.url
    assert root.xpath("/html/head/link[@rel='canonical']/@href") == [view.url]

    switcher = root.xpath("//nav[contains(@class, 'languages')]//a")
    assert [a.text for a in switcher] == [OWN_NAMES[code] for code in LANGUAGES]
    assert [a.get("href") for a in switcher] == [view.alternates[code] for code in LANGUAGES]
    assert [a.get("hreflang") for a in switcher] == list(LANGUAGES)
    assert [a.get("lang") for a in switcher] == list(LANGUAGES)
    assert [a.get("dir") for a in switcher] == ["ltr", "ltr", "rtl"]
    assert [a.get("aria-current") for a in switcher] == [
        "page" if code == language else None for code in LANGUAGES]
    label = root.xpath("//nav[contains(@class, 'languages')]/@aria-label")
    assert label == [gettext_for(language)("Languages")]


def gettext_for(language: str) -> Callable[[str], str]:
    return load_catalog(resource_dir("locales"), language).gettext


def test_item_page_links_the_language_feeds(project: Settings, environments: dict[str, Environment],
                                            views: dict[str, list[ItemView]]) -> None:
    root = parse(item_page(project, environments, view_of(views, "el", COR_ID)))
    feeds = {link.get("type"): link.get("href")
             for link in root.xpath("/html/head/link[@rel='alternate'][@type]")}
    assert feeds == {"application/rss+xml": "https://news.example.org/digest/feeds/el/rss.xml",
                     "application/atom+xml": "https://news.example.org/digest/feeds/el/atom.xml"}


def test_greek_event_page(project: Settings, environments: dict[str, Environment],
                          views: dict[str, list[ItemView]],
                          catalogs: dict[str, gettext.NullTranslations]) -> None:
    view = view_of(views, "el", COR_ID)
    root = parse(item_page(project, environments, view))

    (title,) = root.xpath("//h1")
    assert title.text == GREEK_TITLE
    assert title.get("lang") is None, "the editor's title is in the reader's language"
    assert root.xpath("/html/head/title")[0].text == f"{GREEK_TITLE} – City Networks Digest"

    # Only the title is translated: the notice says so in Greek and links to the English page.
    (notice,) = root.xpath("//*[contains(@class, 'notice')]")
    assert notice.get("role") == "note"
    expected = msg("Not yet translated. Original language: {source}.", source="Αγγλικά")
    assert text(notice).startswith(expected.render(catalogs["el"]))
    (original,) = notice.xpath(".//a")
    assert original.get("href") == view.original_url == view.alternates["en"]
    assert original.text == "Διαβάστε το πρωτότυπο"

    (when,) = root.xpath("//time[@datetime='2021-06-18T10:00+02:00']")
    assert "18 Ιουνίου 2021" in when.text
    assert when.text == "Παρασκευή 18 Ιουνίου 2021, 10:00\u202fπ.μ. – 12:30\u202fμ.μ. CEST"
    assert when.getparent().text_content() == f"Πότε: {when.text}"
    (calendar,) = root.xpath("//a[@type='text/calendar'][@download]")
    assert calendar.get("href") == (
        f"https://news.example.org/digest/el/{COR_ID}.ics") == view.event_url

    # Text still in English is marked as English, so it is read and laid out as English.
    (body,) = root.xpath("//div[contains(@class, 'body')]")
    assert (body.get("lang"), body.get("dir")) == ("en", "ltr")
    assert body.xpath("./p")
    programme = root.xpath("//ul[contains(@class, 'programme')]/li")
    assert len(programme) == len(view.agenda) == 8
    assert text(programme[0]) == "10:00 Start of event"
    assert programme[0].xpath("./span[@lang='en']")

    related = [(a.get("href"), a.text) for a in root.xpath("//section[h2='Σχετικοί σύνδεσμοι']//a")]
    assert related == list(view.links)
    assert len(related) == 5
    assert related[0][0] == ("https://cor.europa.eu/EL/EVENTS/PAGES/"
                             "WORLD-CHILDREN-DAY-PROTECTING-EMPOWERING-MIGRANT-REFUGEE-CHILDREN.ASPX")

    (source,) = root.xpath("//article/footer//a")
    assert source.get("href") == view.item.source_url
    assert source.text == "European Committee of the Regions"
    assert text(source.getparent()) == "Πηγή: European Committee of the Regions"


def test_english_page_of_an_english_item_has_no_notice(
        project: Settings, environments: dict[str, Environment],
        views: dict[str, list[ItemView]]) -> None:
    view = view_of(views, "en", COR_ID)
    root = parse(item_page(project, environments, view))
    assert view.notice is None
    assert not root.xpath("//*[contains(@class, 'notice')]")
    assert not root.xpath("//*[@lang!='en'][not(ancestor::nav)]")
    assert root.xpath("//h1")[0].text == view.item.title
    (when,) = root.xpath("//time")
    assert "June 18, 2021" in when.text


def test_arabic_machine_translation_is_announced(
        project: Settings, environments: dict[str, Environment],
        views: dict[str, list[ItemView]], catalogs: dict[str, gettext.NullTranslations]) -> None:
    view = view_of(views, "ar", MILAN_ID)
    root = parse(item_page(project, environments, view))
    assert root.get("dir") == "rtl"
    (title,) = root.xpath("//h1")
    assert title.text == ARABIC_TITLE
    assert title.get("lang") is None

    (notice,) = root.xpath("//*[contains(@class, 'notice')]")
    expected = msg("Machine translation ({engine}). Original language: {source}.",
                   engine="Argos Translate", source="الإنجليزية").render(catalogs["ar"])
    (link,) = notice.xpath(".//a")
    assert text(notice) == f"{expected} {link.text}"
    assert "Argos Translate" in text(notice) and "الإنجليزية" in text(notice)
    assert link.text == msg("Read the original").render(catalogs["ar"])
    assert re.search("[\u0600-\u06ff]", link.text)
    assert link.get("href") == view.alternates["en"]
    (published,) = root.xpath("//time")
    assert published.get("datetime") == "2019-02-13"
    assert published.text == "13 فبراير 2019"


def test_hostile_text_renders_inert(project: Settings, environments: dict[str, Environment],
                                    views: dict[str, list[ItemView]]) -> None:
    for language in LANGUAGES:
        view = view_of(views, language, HOSTILE_ID)
        for page in (item_page(project, environments, view),
                     index_page(project, environments, views, language)):
            root = parse(page)
            assert not root.xpath("//script | //img | //*[@onerror]")
            assert not root.xpath("//@href[starts-with(., 'javascript')]")
            assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;quotes&#34;" in page
            assert "&amp;amp;" not in page and "&amp;lt;" not in page
            (heading,) = [h for h in root.xpath("//h1 | //h2")
                          if "alert(1)" in h.text_content()]
            assert heading.text_content() == HOSTILE_TITLE
            leads = [p for p in root.xpath("//p") if p.text_content() == HOSTILE_LEAD]
            assert len(leads) == 1

    root = parse(item_page(project, environments, view_of(views, "el", HOSTILE_ID)))
    assert root.xpath("/html/head/title")[0].text == f"{HOSTILE_TITLE} – City Networks Digest"
    assert root.xpath("/html/head/meta[@name='description']/@content") == [HOSTILE_LEAD]
    (body,) = root.xpath("//div[contains(@class, 'body')]")
    (paragraph,) = body.xpath("./p")
    assert paragraph.xpath("./strong")[0].text == "bold", "body_html is markup, not text"
    assert paragraph.text == "Fish & chips, "
    assert "Fish &amp; chips, <strong>bold</strong>" in lxml.html.tostring(body, encoding="unicode")


@pytest.mark.parametrize("language", LANGUAGES)
def test_index_lists_items_newest_first(project: Settings, environments: dict[str, Environment],
                                        views: dict[str, list[ItemView]], language: str) -> None:
    root = parse(index_page(project, environments, views, language))
    entries = root.xpath("//ol[contains(@class, 'items')]/li")
    assert len(entries) == len(views[language]) == 15
    links = [entry.xpath(".//h2/a")[0] for entry in entries]
    assert [a.get("href") for a in links] == [view.url for view in views[language]]
    assert [a.text_content() for a in links] == [view.title for view in views[language]]
    updated = [view.updated for view in views[language]]
    assert updated == sorted(updated, reverse=True)
    assert all(entry.xpath(".//time/@datetime") for entry in entries), "every seed has a date"

    hreflang = {link.get("hreflang"): link.get("href")
                for link in root.xpath("/html/head/link[@rel='alternate'][@hreflang]")}
    base = "https://news.example.org/digest/"
    assert hreflang == {"en": f"{base}en/", "el": f"{base}el/", "ar": f"{base}ar/",
                        "x-default": f"{base}en/"}
    current = root.xpath("//nav[contains(@class, 'languages')]//a[@aria-current='page']/@href")
    assert current == [f"{base}{language}/"]

    (subscribe,) = root.xpath("//section[contains(@class, 'subscribe')]")
    assert subscribe.xpath("./h2")[0].text == gettext_for(language)("Subscribe")
    assert subscribe.xpath(".//a/@href") == [f"{base}feeds/{language}/rss.xml",
                                            f"{base}feeds/{language}/atom.xml",
                                            f"{base}feeds/{language}/events.ics"]
    assert subscribe.xpath(".//a/@type") == ["application/rss+xml", "application/atom+xml",
                                            "text/calendar"]


def test_index_marks_machine_and_untranslated_items(
        project: Settings, environments: dict[str, Environment],
        views: dict[str, list[ItemView]], catalogs: dict[str, gettext.NullTranslations]) -> None:
    def markers(language: str) -> dict[str, str]:
        root = parse(index_page(project, environments, views, language))
        found = {}
        for entry in root.xpath("//ol[contains(@class, 'items')]/li"):
            item_id = entry.xpath(".//h2/a/@href")[0].rsplit("/", 1)[1].removesuffix(".html")
            marker = entry.xpath(".//*[contains(@class, 'marker')]")
            if marker:
                found[item_id] = text(marker[0])
        return found

    assert markers("en") == {}
    greek = markers("el")
    assert len(greek) == 15
    assert greek[COR_ID] == msg("Not yet translated. Original language: {source}.",
                                source="Αγγλικά").render(catalogs["el"])
    arabic = markers("ar")
    assert arabic[MILAN_ID] == msg("Machine translation ({engine}). Original language: {source}.",
                                   engine="Argos Translate",
                                   source="الإنجليزية").render(catalogs["ar"])

    root = parse(index_page(project, environments, views, "el"))
    (cor,) = [entry for entry in root.xpath("//ol[contains(@class, 'items')]/li")
              if entry.xpath(f".//a[contains(@href, '{COR_ID}')]")]
    assert cor.xpath(".//h2/a")[0].text == GREEK_TITLE
    assert "18 Ιουνίου 2021" in cor.xpath(".//time")[0].text
    # An untranslated title on the Arabic index is marked as English, left to right.
    root = parse(index_page(project, environments, views, "ar"))
    titles = {a.get("href").rsplit("/", 1)[1]: a for a in root.xpath("//ol//h2/a")}
    assert (titles[f"{COR_ID}.html"].get("lang"), titles[f"{COR_ID}.html"].get("dir")) == ("en", "ltr")
    assert titles[f"{MILAN_ID}.html"].get("lang") is None


def every_page(project: Settings, environments: dict[str, Environment],
               views: dict[str, list[ItemView]]) -> list[str]:
    pages = [index_page(project, environments, views, language) for language in LANGUAGES]
    pages += [item_page(project, environments, view) for language in LANGUAGES
              for view in views[language]]
    assert len(pages) == 3 + 3 * 15
    return pages


def test_every_page_is_well_formed(project: Settings, environments: dict[str, Environment],
                                   views: dict[str, list[ItemView]]) -> None:
    for page in every_page(project, environments, views):
        parse(page)
        assert balanced(page) == []


def test_every_page_is_valid_html5(project: Settings, environments: dict[str, Environment],
                                   views: dict[str, list[ItemView]]) -> None:
    html5lib = pytest.importorskip("html5lib", reason="html5lib missing: the strict HTML5 parse")
    for page in every_page(project, environments, views):
        html5lib.HTMLParser(strict=True).parse(page)  # raises on any parse error


VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "source", "track", "wbr"})


def balanced(page: str) -> list[str]:
    """Problems with the page's tags: every element the page opens it closes, in order,
    and no attribute is given twice (lxml mends both without a word)."""
    problems: list[str] = []
    open_tags: list[str] = []

    class Checker(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            names = [name for name, _ in attrs]
            if len(names) != len(set(names)):
                problems.append(f"line {self.getpos()[0]}: <{tag}> repeats an attribute")
            if tag not in VOID:
                open_tags.append(tag)

        def handle_endtag(self, tag: str) -> None:
            if not open_tags or open_tags[-1] != tag:
                problems.append(f"line {self.getpos()[0]}: </{tag}> closes {open_tags[-1:]}")
            else:
                open_tags.pop()

    checker = Checker(convert_charrefs=True)
    checker.feed(page)
    checker.close()
    return problems + [f"<{tag}> never closed" for tag in open_tags]


def test_environment_must_match_the_page_language(
        project: Settings, environments: dict[str, Environment],
        views: dict[str, list[ItemView]]) -> None:
    layout = SiteLayout(project.base_url)
    with pytest.raises(ValueError, match="a page for el readers needs the el template"):
        render_item_page(environments["en"], view_of(views, "el", COR_ID),
                         site_name=project.site_name, layout=layout, languages=project.languages)
    with pytest.raises(ValueError, match="the en index was given views in el"):
        render_index_page(environments["en"], views["el"], language="en",
                          site_name=project.site_name, layout=layout, languages=project.languages)


TEMPLATES = sorted((resource_dir("templates") / "site").glob("*.html"))
HUMAN_ATTRIBUTES = ("title", "aria-label", "alt", "placeholder")


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
def test_templates_say_nothing_outside_gettext(path: Path) -> None:
    """Every word a reader sees in a template goes through `_()`: with the template's
    own expressions blanked out, no text and no human-facing attribute has a letter."""
    environment = template_environment("en", gettext.NullTranslations(), html=True)
    source = path.read_text("utf-8")
    markup = "".join(value if kind == "data" else " " if "comment" not in kind else ""
                     for _, kind, value in environment.lex(source))
    words: list[str] = []

    class Reader(HTMLParser):
        in_style = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.in_style = tag == "style"
            words.extend(value for name, value in attrs
                         if name in HUMAN_ATTRIBUTES and value and re.search(r"[^\W\d_]", value))

        def handle_endtag(self, tag: str) -> None:
            self.in_style = False

        def handle_data(self, data: str) -> None:
            if not self.in_style and re.search(r"[^\W\d_]", data):
                words.append(data.strip())

    Reader().feed(markup)
    assert words == []
