"""RSS and Atom feeds, from the seed pages through import and localise, read back twice.

feedparser reads each feed as a feed reader would (and must see no error); lxml
reads the XML itself, for what feedparser forgives or hides: link attributes,
RFC 4287's required elements, escaping, and every date in the file.
"""

from __future__ import annotations

import gettext
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import feedparser
import lxml.html
import pytest
from conftest import EXAMPLE_PAGES
from lxml import etree

from newsletter import importers
from newsletter.config import Settings, load_settings
from newsletter.content import item_path
from newsletter.localise import stage
from newsletter.localise.formatting import format_event_when, format_event_where
from newsletter.messages import load_catalog, msg
from newsletter.model import NewsItem
from newsletter.render.feeds import FeedInfo, render_atom, render_rss
from newsletter.render.views import EPOCH, ItemView, SiteLayout, build_views, load_views
from newsletter.resources import resource_dir

CONFIG = """
[site]
base_url = "https://news.example.org/"
languages = ["en", "el"]
"""
LANGUAGES = ("en", "el")
CoR_ID = "online-workshop-for-local-and-regional-authorities-setting-up-a-local"
GREEK_TITLE = "Διαδικτυακό εργαστήριο για τοπικές και περιφερειακές αρχές"
ATOM = "{http://www.w3.org/2005/Atom}"
RENDERERS = {"rss": render_rss, "atom": render_atom}
FILES = {"rss": "rss.xml", "atom": "atom.xml"}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The seed pages imported and localised without engines, with an editor's Greek title.

    Feeds only read the project, so one copy serves every test of the module.
    """
    folder = tmp_path_factory.mktemp("feeds")
    (folder / "newsletter.toml").write_text(CONFIG, "utf-8")
    settings = load_settings(folder)
    importers.run(settings, importers.page_files([EXAMPLE_PAGES]))
    item_path(settings.content_dir, CoR_ID, "el").write_text(
        f"---\ntitle: {GREEK_TITLE}\n---\n", encoding="utf-8")
    stage.run(settings, engines={})
    return settings


def catalog(language: str) -> gettext.NullTranslations:
    return load_catalog(resource_dir("locales"), language)


def info(settings: Settings, language: str, dialect: str, name: str = "") -> FeedInfo:
    """What the build step says about a feed (see newsletter/render/build.py)."""
    layout = SiteLayout(settings.base_url)
    file_name = f"{name}/{FILES[dialect]}" if name else FILES[dialect]
    return FeedInfo(
        language=language, title=f"News & views <{language}>",
        description=msg("News on migrant integration, equality and local democracy "
                        "from European cities and regions").render(catalog(language)),
        self_url=layout.feed_url(language, file_name), site_url=layout.index_url(language),
        alternates={lang: layout.feed_url(lang, file_name) for lang in settings.languages})


def render(settings: Settings, language: str, dialect: str,
           views: Sequence[ItemView] | None = None) -> bytes:
    views = load_views(settings, language) if views is None else views
    return RENDERERS[dialect](info(settings, language, dialect), views, catalog(language))


def parse(data: bytes) -> Any:
    """The feed as feedparser reads it; it must find nothing wrong."""
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def xml(data: bytes) -> etree._Element:
    """The feed's root, read by a strict parser (no recovery, no entities, no network)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
    return etree.fromstring(data, parser)


def content_html(element: etree._Element) -> lxml.html.HtmlElement:
    """The HTML of an Atom <content> or RSS <description>, as one element."""
    return content_html_of(element.text)


def content_html_of(text: str) -> lxml.html.HtmlElement:
    return lxml.html.fragment_fromstring(text, create_parent="div")


def date_of(entry: Any, dialect: str) -> tuple[int, int, int]:
    """An entry's (year, month, day) as feedparser reads it: Atom's updated, RSS's pubDate."""
    parsed = entry.updated_parsed if dialect == "atom" else entry.published_parsed
    return tuple(parsed[:3])


def alternates(entry: etree._Element) -> list[dict[str, str]]:
    return [dict(link.attrib) for link in entry.findall(f"{ATOM}link")
            if link.get("rel") == "alternate"]


def at_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), UTC)


@pytest.mark.parametrize("dialect", ["rss", "atom"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_reader_gets_every_item_in_order_in_their_language(seeded: Settings, language: str,
                                                             dialect: str) -> None:
    views = load_views(seeded, language)
    parsed = parse(render(seeded, language, dialect))
    assert parsed.version == ("rss20" if dialect == "rss" else "atom10")
    assert parsed.feed.language == language
    assert parsed.feed.title == f"News & views <{language}>"
    assert parsed.feed.link == f"https://news.example.org/{language}/"
    assert len(parsed.entries) == len(views) == 14
    assert [e.id for e in parsed.entries] == [v.guid for v in views]
    assert [e.title for e in parsed.entries] == [v.title for v in views]
    # The entry's address is the reader's page, whichever alternate a reader takes.
    assert [e.link for e in parsed.entries] == [v.url for v in views]
    for entry, view in zip(parsed.entries, views, strict=True):
        assert entry.author == view.item.source_org_name
        terms = [tag.term for tag in entry.get("tags", [])]
        assert terms == list(dict.fromkeys(t for t in (view.item.section, *view.item.tags) if t))


def test_atom_entries_link_every_language_with_all_attributes(seeded: Settings) -> None:
    """feedgen 1.0.0 writes entry links with `href` only (python-feedgen #135)."""
    for language in LANGUAGES:
        root = xml(render(seeded, language, "atom"))
        assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == language
        feed_links = {(link.get("rel"), link.get("type"), link.get("hreflang")): link.get("href")
                      for link in root.findall(f"{ATOM}link")}
        others = [lang for lang in LANGUAGES if lang != language]
        assert feed_links == {
            ("alternate", "text/html", language): f"https://news.example.org/{language}/",
            ("self", "application/atom+xml", None):
                f"https://news.example.org/feeds/{language}/atom.xml",
            **{("alternate", "application/atom+xml", other):
               f"https://news.example.org/feeds/{other}/atom.xml" for other in others},
        }
        views = load_views(seeded, language)
        entries = root.findall(f"{ATOM}entry")
        assert len(entries) == len(views)
        for entry, view in zip(entries, views, strict=True):
            found = alternates(entry)
            assert found[0] == {"href": view.url, "rel": "alternate", "type": "text/html"}
            by_language = {link["hreflang"]: link for link in found[1:]}
            assert set(by_language) == set(LANGUAGES)
            for lang, link in by_language.items():
                assert link == {"href": view.alternates[lang], "rel": "alternate",
                                "type": "text/html", "hreflang": lang}
            assert found[-1]["hreflang"] == language  # feedparser takes the last alternate
            related = {link.get("type"): link.get("href") for link in entry.findall(f"{ATOM}link")
                       if link.get("rel") == "related"}
            expected = {"text/html": view.item.source_url, "text/calendar": view.event_url}
            assert related == {kind: url for kind, url in expected.items() if url}


def test_the_rss_channel_links_the_site_and_items_their_pages(seeded: Settings) -> None:
    """feedgen takes the RSS channel link from the last link added; it must be the site."""
    for language in LANGUAGES:
        channel = xml(render(seeded, language, "rss")).find("channel")
        assert channel.findtext("link") == f"https://news.example.org/{language}/"
        assert channel.findtext("language") == language
        links = [dict(link.attrib) for link in channel.findall(f"{ATOM}link")]
        other = next(lang for lang in LANGUAGES if lang != language)
        assert links == [
            {"href": f"https://news.example.org/feeds/{language}/rss.xml", "rel": "self",
             "type": "application/rss+xml"},
            {"href": f"https://news.example.org/feeds/{other}/rss.xml", "rel": "alternate",
             "type": "application/rss+xml", "hreflang": other},
        ]
        views = load_views(seeded, language)
        items = channel.findall("item")
        for item, view in zip(items, views, strict=True):
            assert item.findtext("link") == view.url
            guid = item.find("guid")
            assert (guid.text, guid.get("isPermaLink")) == (view.guid, "true")
            assert item.findtext("{http://purl.org/dc/elements/1.1/}creator") == \
                view.item.source_org_name
            assert item.find("author") is None  # RSS wants an email address there


@pytest.mark.parametrize("dialect", ["rss", "atom"])
def test_the_greek_entry_has_its_title_notice_and_event_in_greek(seeded: Settings,
                                                                 dialect: str) -> None:
    greek = catalog("el")
    view = next(v for v in load_views(seeded, "el") if v.item.id == CoR_ID)
    assert view.title == GREEK_TITLE and view.notice is not None and view.item.event
    root = xml(render(seeded, "el", dialect))
    if dialect == "atom":
        entry = next(e for e in root.findall(f"{ATOM}entry") if e.findtext(f"{ATOM}id") == view.guid)
        assert entry.findtext(f"{ATOM}title") == GREEK_TITLE
        content = entry.find(f"{ATOM}content")
        assert content.get("type") == "html"
    else:
        entry = next(i for i in root.iter("item") if i.findtext("guid") == view.guid)
        assert entry.findtext("title") == GREEK_TITLE
        content = entry.find("description")
    page = content_html(content)
    wrapper = page.find("div")
    assert wrapper.get("dir") == "ltr"
    first, second = wrapper.findall("p")[:2]
    # The notice comes first, in Greek, with its link to the original.
    notice = view.notice.text.render(greek)
    assert notice.startswith("Δεν έχει μεταφραστεί ακόμη")
    assert first.find("em").text_content() == notice
    link = first.find("a")
    assert link.get("href") == view.original_url == f"https://news.example.org/en/{CoR_ID}.html"
    assert link.text_content() == msg("Read the original").render(greek) == "Διαβάστε το πρωτότυπο"
    # Then when and where, as a Greek reader writes them, and the calendar file.
    when = format_event_when(view.item.event, "el", greek)
    assert "Ιουνίου 2021" in when
    assert second.text_content().startswith(msg("When: {when}", when=when).render(greek))
    where = format_event_where(view.item.event, "el", greek)
    assert where == "Διαδικτυακά"  # the online event, in Greek
    assert msg("Where: {where}", where=where).render(greek) in second.text_content()
    calendar = second.find("a")
    assert calendar.get("href") == view.event_url == f"https://news.example.org/el/{CoR_ID}.ics"
    assert calendar.text_content() == msg("Add to calendar").render(greek)
    # The body and the programme follow.
    assert "Stakeholder Participatory Approach" in page.text_content()
    assert msg("Programme").render(greek) in page.text_content()
    assert all(text in page.text_content() for _, text in view.agenda)


def test_summaries_are_the_lead_or_the_first_paragraph(seeded: Settings) -> None:
    views = load_views(seeded, "en")
    entries = parse(render(seeded, "en", "atom")).entries
    for entry, view in zip(entries, views, strict=True):
        if view.lead:
            assert entry.summary == view.lead
        elif view.body_html:
            first = lxml.html.fragment_fromstring(view.body_html, create_parent="div").find("p")
            assert entry.summary == " ".join(first.text_content().split())
    assert any(not view.lead and view.body_html for view in views)  # the CoR event


@pytest.mark.parametrize("language", LANGUAGES)
def test_dates_come_from_the_content_never_the_clock(seeded: Settings, language: str) -> None:
    views = load_views(seeded, language)
    newest = max(view.updated for view in views)
    content_dates = {view.updated for view in views} | {
        at_midnight(view.item.published) for view in views if view.item.published}

    atom = xml(render(seeded, language, "atom"))
    assert datetime.fromisoformat(atom.findtext(f"{ATOM}updated")) == newest
    for entry, view in zip(atom.findall(f"{ATOM}entry"), views, strict=True):
        assert datetime.fromisoformat(entry.findtext(f"{ATOM}updated")) == view.updated
        published = entry.findtext(f"{ATOM}published")
        if view.item.published:
            assert datetime.fromisoformat(published) == at_midnight(view.item.published)
        else:
            assert published is None
    found = {datetime.fromisoformat(e.text) for e in atom.iter(f"{ATOM}updated", f"{ATOM}published")}
    assert found <= content_dates

    channel = xml(render(seeded, language, "rss")).find("channel")
    assert parsedate_to_datetime(channel.findtext("lastBuildDate")) == newest
    assert parsedate_to_datetime(channel.findtext("pubDate")) == newest
    for item, view in zip(channel.findall("item"), views, strict=True):
        expected = at_midnight(view.item.published) if view.item.published else view.updated
        assert parsedate_to_datetime(item.findtext("pubDate")) == expected
    found = {parsedate_to_datetime(e.text) for e in channel.iter("pubDate", "lastBuildDate")}
    assert found <= content_dates


@pytest.mark.parametrize("language", LANGUAGES)
def test_atom_feeds_have_what_rfc_4287_requires(seeded: Settings, language: str) -> None:
    root = xml(render(seeded, language, "atom"))
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert (root.findtext(f"{ATOM}{name}") or "").strip(), f"feed has no {name}"
    feed_has_author = root.find(f"{ATOM}author/{ATOM}name") is not None
    ids = []
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert (entry.findtext(f"{ATOM}{name}") or "").strip(), f"entry has no {name}"
        ids.append(entry.findtext(f"{ATOM}id"))
        assert feed_has_author or (entry.findtext(f"{ATOM}author/{ATOM}name") or "").strip()
        assert entry.find(f"{ATOM}content") is not None or alternates(entry)
        # At most one alternate per (type, hreflang).
        pairs = [(link.get("type"), link.get("hreflang")) for link in alternates(entry)]
        assert len(pairs) == len(set(pairs))
        for name in ("updated", "published"):
            stamp = entry.findtext(f"{ATOM}{name}")
            if stamp is not None:
                assert datetime.fromisoformat(stamp).tzinfo is not None
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("dialect", ["rss", "atom"])
def test_the_same_input_gives_the_same_bytes(seeded: Settings, dialect: str) -> None:
    first = render(seeded, "el", dialect)
    second = render(seeded, "el", dialect, load_views(seeded, "el"))
    assert first == second
    assert b"python-feedgen" not in first  # nor feedgen's version
    generator = xml(first).find(f".//{ATOM}generator" if dialect == "atom" else "channel/generator")
    assert generator.text == "newsletter" and not generator.attrib


@pytest.mark.parametrize("dialect", ["rss", "atom"])
def test_an_empty_feed_is_dated_at_the_epoch(seeded: Settings, dialect: str) -> None:
    data = render(seeded, "en", dialect, [])
    parsed = parse(data)
    assert parsed.entries == []
    assert data == render(seeded, "en", dialect, [])
    root = xml(data)
    if dialect == "atom":
        assert datetime.fromisoformat(root.findtext(f"{ATOM}updated")) == EPOCH
    else:
        assert parsedate_to_datetime(root.findtext("channel/lastBuildDate")) == EPOCH


HOSTILE_TITLE = '<script>alert("x")</script> Tom & Jerry\'s "best" </title>]]>'
HOSTILE_BODY = ('Text <img src="https://example.org/x.png" onerror="alert(1)"> '
                '<script>alert(2)</script> <a href="javascript:alert(3)">link</a>\n\n')


def hostile_items() -> list[NewsItem]:
    return [
        NewsItem(id="hostile", kind="news", title=HOSTILE_TITLE + "\x00\x0b\ufffe",
                 source_org="X&Y <Org>", language="en", lead='Lead with <b>tags</b> & "quotes"',
                 body=HOSTILE_BODY, section="<Section & co>", tags=("a&b", "</category>"),
                 published=date(2024, 1, 2), source_url="https://example.org/?a=1&b=<2>"),
        NewsItem(id="huge", kind="news", title="Huge", source_org="X", language="en",
                 body="A paragraph of text that goes on. " * 30 + "\n\n" + (
                     "Another paragraph, with *emphasis* & an ampersand. " * 40 + "\n\n") * 100,
                 published=date(2024, 1, 1)),
        NewsItem(id="undated", kind="news", title="No date at all", source_org="X",
                 language="en"),
    ]


def test_a_title_xml_cannot_carry_falls_back_to_the_id(seeded: Settings) -> None:
    item = NewsItem(id="control", kind="news", title="\x01\x02", source_org="X", language="en")
    for dialect in RENDERERS:
        parsed = parse(render(seeded, "en", dialect, build_views(seeded, "en", [item], {})))
        assert parsed.entries[0].title == "control"


@pytest.mark.parametrize("dialect", ["rss", "atom"])
def test_hostile_text_stays_text_and_the_feed_well_formed(seeded: Settings, dialect: str) -> None:
    views = build_views(seeded, "en", hostile_items(), {})
    huge = next(v for v in views if v.item.id == "huge")
    assert len(huge.body_html) > 200_000
    data = render(seeded, "en", dialect, views)
    parsed = parse(data)
    root = xml(data)
    assert not [e for e in root.iter() if etree.QName(e).localname.lower() == "script"]
    assert {e.title for e in parsed.entries} >= {HOSTILE_TITLE}  # control characters dropped

    entries = root.findall(f"{ATOM}entry") if dialect == "atom" else root.findall("channel/item")
    assert len(entries) == 3
    title_tag, content_tag = (f"{ATOM}title", f"{ATOM}content") if dialect == "atom" else \
        ("title", "description")
    by_title = {entry.findtext(title_tag): entry for entry in entries}
    entry = by_title[HOSTILE_TITLE]
    page = content_html(entry.find(content_tag))
    assert not page.xpath("//script")
    assert not [name for e in page.iter() for name in e.attrib if name.startswith("on")]
    assert not [a for a in page.iter("a") if a.get("href", "").startswith("javascript:")]
    assert 'Lead with <b>tags</b> & "quotes"' in page.text_content()
    if dialect == "atom":
        assert entry.findtext(f"{ATOM}author/{ATOM}name") == "X&Y <Org>"
        assert [c.get("term") for c in entry.findall(f"{ATOM}category")] == [
            "<Section & co>", "a&b", "</category>"]
        related = [link.get("href") for link in entry.findall(f"{ATOM}link")
                   if link.get("rel") == "related"]
        assert related == ["https://example.org/?a=1&b=<2>"]
    else:
        assert entry.findtext("{http://purl.org/dc/elements/1.1/}creator") == "X&Y <Org>"
        assert [c.text for c in entry.findall("category")] == [
            "<Section & co>", "a&b", "</category>"]

    big = content_html(by_title["Huge"].find(content_tag)).text_content()
    assert content_html_of(huge.body_html).text_content() in big
    # The undated item takes the newest date of the others, as every renderer shows it.
    undated = parsed.entries[[e.title for e in parsed.entries].index("No date at all")]
    assert date_of(undated, dialect) == (2024, 1, 2)
    if dialect == "atom":
        assert "published" not in undated


@pytest.mark.parametrize("dialect", ["rss", "atom"])
def test_a_feed_of_undated_items_is_dated_at_the_epoch(seeded: Settings, dialect: str) -> None:
    views = build_views(seeded, "en", hostile_items()[2:], {})
    data = render(seeded, "en", dialect, views)
    parsed = parse(data)
    assert date_of(parsed.entries[0], dialect) == (1970, 1, 1)
    assert data == render(seeded, "en", dialect, views)


def test_right_to_left_readers_get_right_to_left_content(seeded: Settings) -> None:
    views = build_views(seeded, "ar", hostile_items()[:1], {})
    feed = replace(info(seeded, "en", "atom"), language="ar")
    root = xml(render_atom(feed, views, catalog("ar")))
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "ar"
    page = content_html(root.find(f"{ATOM}entry/{ATOM}content"))
    assert page.find("div").get("dir") == "rtl"


def test_feeds_leave_the_disk_alone(seeded: Settings, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for dialect in RENDERERS:
        render(seeded, "en", dialect)
    assert list(tmp_path.iterdir()) == []
