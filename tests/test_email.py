"""The digest email, rendered from the seed pages through the real import and localise stages.

The project serves English, Greek and Arabic (right to left). Greek has an editor's title
for the CoR workshop and nothing else translated; Arabic has a machine translation of the
CEMR towns item (2022-W35); a hostile item of the same week tries to get markup, and the
unsubscribe marker, into the email. The HTML is parsed with lxml, the messages with the
email package, as a mail client would read them.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import gettext
import re
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import lxml.html
import pytest
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.frontend import parse_mapping_cfg
from click.testing import CliRunner
from conftest import REPO, seed_project

import newsletter.render.email as email_module
from newsletter.config import Settings, load_settings
from newsletter.content import fingerprint, item_path, save_item
from newsletter.digest import DigestIssue, select_issue
from newsletter.localise import stage
from newsletter.localise.store import save_localised
from newsletter.messages import load_catalog, msg, msg_plural
from newsletter.model import LocalisedField, LocalisedItem, NewsItem, Provenance
from newsletter.render.email import (
    CLIP_LIMIT,
    EXAMPLE_UNSUBSCRIBE_URL,
    PERSONAL_UNSUBSCRIBE,
    RenderedIssue,
    build_message,
    personalise,
    render_issue,
    write_review_files,
)
from newsletter.render.views import load_items
from newsletter.resources import resource_dir

CONFIG = """
[site]
name = "City Networks Digest"
base_url = "https://news.example.org/digest/"
languages = ["en", "el", "ar"]

[smtp]
sender = "Ψηφιακό Δελτίο <digest@news.example.org>"
"""
LANGUAGES = ("en", "el", "ar")
DIRECTIONS = {"en": "ltr", "el": "ltr", "ar": "rtl"}
BASE = "https://news.example.org/digest/"
COR_ID = "online-workshop-for-local-and-regional-authorities-setting-up-a-local"
TOWNS_ID = "european-towns-exchange-good-practices-to-boost-migrants-integration"
HOSTILE_ID = "hostile-item"
GREEK_TITLE = ("Διαδικτυακό εργαστήριο για τοπικές και περιφερειακές αρχές: "
               "κατάρτιση τοπικής στρατηγικής ένταξης")
ARABIC_TITLE = "البلدات الأوروبية تتبادل الممارسات الجيدة لتعزيز إدماج المهاجرين"
HOSTILE_TITLE = '<script>alert(1)</script> & "quotes" </mj-text></mjml> @@unsubscribe_url@@'
HOSTILE_LEAD = "<img src=x onerror=alert(2)> Tom & Jerry's <b>lead</b>"
GREEK_WHEN = "Παρασκευή 18 Ιουνίου 2021, 10:00\u202fπ.μ. – 12:30\u202fμ.μ. CEST"
SUBSCRIBER_URL = "https://news.example.org/unsubscribe?token=abc&lang=el"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The seeds imported and localised without engines, the Greek editor's title, an
    Arabic machine translation and a hostile item published the same week as it."""
    settings = load_settings(seed_project(tmp_path_factory.mktemp("email"), CONFIG))
    towns = next(item for item in load_items(settings) if item.id == TOWNS_ID)
    save_item(dataclasses.replace(towns, id=HOSTILE_ID, title=HOSTILE_TITLE, lead=HOSTILE_LEAD,
                                  section="Zoning & <b>planning</b>", published=date(2022, 9, 1),
                                  imported=None), settings.content_dir)
    item_path(settings.content_dir, COR_ID, "el").write_text(
        f"---\nlanguage: el\ntitle: '{GREEK_TITLE}'\n---\n", "utf-8")
    stage.run(settings, engines={})
    machine = Provenance("machine", engine="argos", model_version="en-ar@1.0")
    save_localised(LocalisedItem(TOWNS_ID, "ar", "en", fingerprint(towns), {
        "title": LocalisedField(ARABIC_TITLE, machine),
        "lead": LocalisedField("يمكن للتعاون بين البلدات الأوروبية أن يؤدي دوراً رئيسياً.", machine),
        "body": LocalisedField("نص المقال.", machine),
    }), settings.data_dir)
    return settings


@pytest.fixture(scope="module")
def issues(project: Settings) -> dict[str, DigestIssue]:
    return {week: select_issue(project, week) for week in ("2021-W24", "2022-W35", "2020-W10")}


@pytest.fixture(scope="module")
def rendered(project: Settings, issues: dict[str, DigestIssue]
             ) -> dict[tuple[str, str], RenderedIssue]:
    items = load_items(project)
    return {(week, language): render_issue(project, issue, language, items)
            for week, issue in issues.items() for language in LANGUAGES}


def parse(page: str) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(page)


def text(element: lxml.html.HtmlElement) -> str:
    """The element's text with runs of spaces and line breaks as one space (a narrow
    no-break space, as in Babel's "10:00\u202fπ.μ.", is kept)."""
    return re.sub(r"[ \t\r\n]+", " ", element.text_content()).strip()


def catalog(language: str) -> gettext.NullTranslations:
    return load_catalog(resource_dir("locales"), language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("week", ["2021-W24", "2022-W35", "2020-W10"])
def test_html_carries_language_and_direction(rendered: dict[tuple[str, str], RenderedIssue],
                                             week: str, language: str) -> None:
    issue = rendered[week, language]
    assert (issue.language, issue.direction) == (language, DIRECTIONS[language])
    root = parse(issue.html)
    assert (root.get("lang"), root.get("dir")) == (language, DIRECTIONS[language])
    # Web mail drops <html>; the wrapper inside <body> says it again.
    (wrapper,) = root.xpath("/html/body/div[@role='article']")
    assert (wrapper.get("lang"), wrapper.get("dir")) == (language, DIRECTIONS[language])
    # Columns flow, and text aligns, the reader's way.
    start = "right" if DIRECTIONS[language] == "rtl" else "left"
    assert f"direction:{DIRECTIONS[language]}" in issue.html
    assert f"text-align:{start}" in issue.html
    assert root.xpath("/html/head/title")[0].text == issue.subject
    assert root.xpath("/html/head/meta[@name='viewport']")


@pytest.mark.parametrize("language", LANGUAGES)
def test_html_links_and_nothing_active(project: Settings,
                                       rendered: dict[tuple[str, str], RenderedIssue],
                                       language: str) -> None:
    root = parse(rendered["2021-W24", language].html)
    links = {a.get("href") for a in root.iter("a")}
    assert f"{BASE}{language}/{COR_ID}.html" in links
    assert f"{BASE}{language}/{COR_ID}.ics" in links, "the add-to-calendar link"
    assert f"{BASE}{language}/" in links, "the site index"
    assert PERSONAL_UNSUBSCRIBE in links
    assert all(href.startswith(BASE) or href == PERSONAL_UNSUBSCRIBE for href in links)
    assert not root.xpath("//script | //iframe | //object | //form | //img")
    assert not [name for element in root.iter() if isinstance(element.tag, str)
                for name in element.attrib if name.startswith("on")]
    assert "fonts.googleapis" not in rendered["2021-W24", language].html


def test_marker_only_where_the_unsubscribe_link_goes(
        rendered: dict[tuple[str, str], RenderedIssue]) -> None:
    for issue in rendered.values():
        root = parse(issue.html)
        (link,) = root.xpath(f"//a[@href='{PERSONAL_UNSUBSCRIBE}']")
        assert link.text == catalog(issue.language).gettext("Unsubscribe")
        assert issue.html.count(PERSONAL_UNSUBSCRIBE) == 1
        assert issue.text.count(PERSONAL_UNSUBSCRIBE) == 1


def test_greek_subject_and_preheader_come_from_the_greek_catalog(
        rendered: dict[tuple[str, str], RenderedIssue]) -> None:
    greek, english = rendered["2021-W24", "el"], rendered["2021-W24", "en"]
    subject = msg("{site} — week {number}, {dates}", site="City Networks Digest", number="24",
                  dates="14–20 Ιουν 2021")
    assert greek.subject == subject.render(catalog("el"))
    assert english.subject == "City Networks Digest — week 24, Jun 14\u2009–\u200920, 2021"
    assert greek.subject != english.subject
    events = msg_plural("{count} event", "{count} events", 1)
    assert greek.preheader == events.render(catalog("el"))
    assert english.preheader == "1 event"
    root = parse(greek.html)
    assert greek.preheader in text(root.xpath("/html/body/div[1]")[0]), "the hidden preview"


def test_every_interface_word_goes_through_the_catalog(
        monkeypatch: pytest.MonkeyPatch, project: Settings,
        issues: dict[str, DigestIssue]) -> None:
    """Words without a Greek translation yet are shown in Greek once the catalog has them."""
    words = {
        "{site} — week {number}, {dates}": "{site} — εβδομάδα {number}, {dates}",
        "Week {number}, {dates}": "Εβδομάδα {number}, {dates}",
        "{count} event": "{count} εκδήλωση", "{count} events": "{count} εκδηλώσεις",
        "{count} news item": "{count} είδηση", "{count} news items": "{count} ειδήσεις",
        "{news} and {events}": "{news} και {events}",
        "News": "Ειδήσεις", "Events": "Εκδηλώσεις", "Unsubscribe": "Διαγραφή",
        "All news on the website": "Όλες οι ειδήσεις στον ιστότοπο",
        "You receive this email because you subscribed to {site}.":
            "Λαμβάνετε αυτό το μήνυμα επειδή εγγραφήκατε στο {site}.",
        "Nothing new this week.": "Τίποτα νέο αυτή την εβδομάδα.",
    }
    greek = StubCatalog(words, catalog("el"))
    real = email_module.load_catalog
    monkeypatch.setattr(email_module, "load_catalog",
                        lambda folder, language: greek if language == "el" else real(folder, language))
    issue = render_issue(project, issues["2022-W35"], "el")
    assert issue.subject == "City Networks Digest — εβδομάδα 35, 29 Αυγ – 4 Σεπ 2022"
    assert issue.preheader == "2 ειδήσεις"
    events = render_issue(project, issues["2021-W24"], "el")
    assert events.preheader == "1 εκδήλωση"
    empty = render_issue(project, issues["2020-W10"], "el")
    assert empty.preheader == "Τίποτα νέο αυτή την εβδομάδα."
    for english, translated in words.items():
        if "{" not in english:
            shown = next(r for r in (issue, events, empty) if translated in text(parse(r.html)))
            assert translated in shown.text
    page = text(parse(issue.html))
    assert "Λαμβάνετε αυτό το μήνυμα επειδή εγγραφήκατε στο City Networks Digest." in page
    assert "Εβδομάδα 35, 29 Αυγ – 4 Σεπ 2022" in issue.text


class StubCatalog(gettext.NullTranslations):
    """A catalog with some translations of its own, the rest from its fallback."""

    def __init__(self, words: dict[str, str], fallback: gettext.NullTranslations) -> None:
        super().__init__()
        self.words = words
        self.add_fallback(fallback)

    def gettext(self, message: str) -> str:
        return self.words.get(message) or super().gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.words.get(singular if n == 1 else plural) or super().ngettext(singular, plural, n)


def test_greek_event_in_greek_words(rendered: dict[tuple[str, str], RenderedIssue]) -> None:
    issue = rendered["2021-W24", "el"]
    page = text(parse(issue.html))
    gr = catalog("el").gettext
    assert gr("When: {when}").format(when=GREEK_WHEN) in page
    assert "18 Ιουνίου 2021" in page
    assert gr("Where: {where}").format(where="Διαδικτυακά") in page
    assert gr("When: {when}").format(when=GREEK_WHEN) in issue.text
    (title,) = parse(issue.html).xpath(f"//a[@href='{BASE}el/{COR_ID}.html']")
    assert title.text == GREEK_TITLE
    assert title.get("lang") is None, "the editor's title is in the reader's language"
    (calendar,) = parse(issue.html).xpath(f"//a[@href='{BASE}el/{COR_ID}.ics']")
    assert calendar.text == gr("Add to calendar") == "Προσθήκη στο ημερολόγιο"


def test_notice_and_link_to_the_original(rendered: dict[tuple[str, str], RenderedIssue]) -> None:
    greek = parse(rendered["2021-W24", "el"].html)
    notice = msg("Not yet translated. Original language: {source}.", source="Αγγλικά")
    assert notice.render(catalog("el")) in text(greek)
    (original,) = greek.xpath(f"//a[@href='{BASE}en/{COR_ID}.html']")
    assert original.text == "Διαβάστε το πρωτότυπο"
    assert original.get("hreflang") == "en"
    assert f"Διαβάστε το πρωτότυπο: {BASE}en/{COR_ID}.html" in rendered["2021-W24", "el"].text

    arabic = rendered["2022-W35", "ar"]
    machine = msg("Machine translation ({engine}). Original language: {source}.",
                  engine="Argos Translate", source="الإنجليزية").render(catalog("ar"))
    assert machine in text(parse(arabic.html))
    assert machine in arabic.text
    (title,) = parse(arabic.html).xpath(f"//a[@href='{BASE}ar/{TOWNS_ID}.html']")
    assert title.text == ARABIC_TITLE and title.get("lang") is None
    # The untranslated hostile item is marked English, left to right, inside the Arabic email.
    (hostile,) = parse(arabic.html).xpath(f"//a[@href='{BASE}ar/{HOSTILE_ID}.html']")
    assert (hostile.get("lang"), hostile.get("dir")) == ("en", "ltr")

    english = rendered["2021-W24", "en"]
    assert "Read the original" not in english.html, "English readers get the original"


def test_news_in_issue_order_with_dates_and_sections(
        rendered: dict[tuple[str, str], RenderedIssue]) -> None:
    issue = rendered["2022-W35", "en"]
    root = parse(issue.html)
    titles = [text(h3) for h3 in root.iter("h3")]
    assert titles == ["European towns exchange good practices to boost migrants’ integration",
                      HOSTILE_TITLE]
    page = text(root)
    assert "Published: September 2, 2022 · Source: Council of European Municipalities and " \
           "Regions" in page
    assert page.index("Diversity and integration") < page.index("Zoning & <b>planning</b>")
    assert issue.text.index(TOWNS_ID) < issue.text.index(HOSTILE_ID)


def test_hostile_item_stays_inert_text(rendered: dict[tuple[str, str], RenderedIssue]) -> None:
    for language in LANGUAGES:
        issue = rendered["2022-W35", language]
        root = parse(issue.html)
        assert not root.xpath("//script | //img | //b")
        (title,) = root.xpath(f"//a[@href='{BASE}{language}/{HOSTILE_ID}.html']")
        assert title.text_content() == HOSTILE_TITLE
        assert HOSTILE_LEAD in text(root)
        assert HOSTILE_TITLE.replace("@@unsubscribe_url@@", "") in issue.text
    html_part, text_part = personalise(rendered["2022-W35", "en"], SUBSCRIBER_URL)
    # The marker in the title is not the link: the subscriber's URL appears once.
    assert html_part.count("token=abc") == 1 and text_part.count("token=abc") == 1
    assert "@@unsubscribe_url@@" in text(parse(html_part))


def test_empty_week_says_so(rendered: dict[tuple[str, str], RenderedIssue]) -> None:
    for language in LANGUAGES:
        issue = rendered["2020-W10", language]
        nothing = catalog(language).gettext("Nothing new this week.")
        assert issue.preheader == nothing
        assert nothing in text(parse(issue.html))
        assert nothing in issue.text


def test_seed_issues_are_far_below_the_clip_size(
        rendered: dict[tuple[str, str], RenderedIssue]) -> None:
    for issue in rendered.values():
        assert len(issue.html.encode("utf-8")) < 20 * 1024


def synthetic_items(items: list[NewsItem]) -> list[NewsItem]:
    """10 news items with long leads and bodies, 5 events with programmes, in 2022-W35."""
    bilbao = next(i for i in items if i.id.startswith("migrant-integration-in-an"))
    cor = next(i for i in items if i.id == COR_ID)
    assert cor.event is not None
    news = [dataclasses.replace(bilbao, id=f"news-{n}", section=f"Section {n % 3}",
                                published=date(2022, 8, 29) + timedelta(days=n % 7),
                                body=bilbao.body * 5,
                                imported=None) for n in range(10)]
    events = []
    for n in range(5):
        start = datetime(2022, 9, 5 + n, 10, tzinfo=ZoneInfo("Europe/Brussels"))
        events.append(dataclasses.replace(cor, id=f"event-{n}", event=dataclasses.replace(
            cor.event, start=start, end=start + timedelta(hours=2)), imported=None))
    return [*news, *events]


@pytest.mark.parametrize("language", LANGUAGES)
def test_ten_news_and_five_events_stay_under_the_clip_size(project: Settings,
                                                           language: str) -> None:
    items = synthetic_items(load_items(project))
    issue = select_issue(project, "2022-W35", items)
    assert (len(issue.news), len(issue.events)) == (10, 5)
    rendered = render_issue(project, issue, language, items)
    assert len(rendered.html.encode("utf-8")) < 50 * 1024
    assert len(parse(rendered.html).xpath("//h3")) == 15
    # Leads are shown whole at this size (the Bilbao lead is about 590 characters).
    assert "responsibility almost always comes down to local governments." in rendered.html


def test_runaway_issue_is_shortened_to_fit(project: Settings) -> None:
    items = synthetic_items(load_items(project))
    many = [dataclasses.replace(items[0], id=f"many-{n}") for n in range(60)]
    issue = select_issue(project, "2022-W35", many)
    rendered = render_issue(project, issue, "el", many)
    assert len(rendered.html.encode("utf-8")) <= CLIP_LIMIT
    assert len(parse(rendered.html).xpath("//h3")) == 60, "every item is still listed"
    assert PERSONAL_UNSUBSCRIBE in rendered.html, "the footer is never clipped"


def test_personalise_escapes_the_url_in_html(rendered: dict[tuple[str, str], RenderedIssue]
                                             ) -> None:
    html_part, text_part = personalise(rendered["2021-W24", "el"], SUBSCRIBER_URL)
    assert PERSONAL_UNSUBSCRIBE not in html_part and PERSONAL_UNSUBSCRIBE not in text_part
    assert "token=abc&amp;lang=el" in html_part
    assert parse(html_part).xpath(f"//a[@href='{SUBSCRIBER_URL}']")
    assert f": {SUBSCRIBER_URL}\n" in text_part


def read_back(message: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize("language", LANGUAGES)
def test_message_is_multipart_alternative_in_utf8(
        project: Settings, rendered: dict[tuple[str, str], RenderedIssue], language: str) -> None:
    issue = rendered["2021-W24", language]
    message = build_message(issue, sender=project.smtp.sender, recipient="Ρέα <rea@example.org>",
                            unsubscribe_url=SUBSCRIBER_URL, message_id="<w24.el.1@news.example.org>")
    raw = message.as_bytes()
    assert raw.isascii(), "7-bit: any relay can carry it"
    assert b"\r\n" in raw
    parsed = read_back(message)
    assert parsed.get_content_type() == "multipart/alternative"
    plain, html_part = parsed.iter_parts()
    assert (plain.get_content_type(), html_part.get_content_type()) == ("text/plain", "text/html")
    assert plain.get_content_charset() == html_part.get_content_charset() == "utf-8"
    # Lines end in CRLF on the wire, as SMTP wants them, and every part ends with a line end.
    html_text, plain_text = personalise(issue, SUBSCRIBER_URL)
    assert plain.get_content().replace("\r\n", "\n") == plain_text
    assert html_part.get_content().replace("\r\n", "\n") == html_text + "\n"

    assert parsed["Subject"] == issue.subject
    assert parsed["From"] == project.smtp.sender
    assert parsed["To"] == "Ρέα <rea@example.org>"
    assert parsed["Message-ID"] == "<w24.el.1@news.example.org>"
    assert parsed["Content-Language"] == language
    assert parsed["List-Unsubscribe"] == f"<{SUBSCRIBER_URL}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Id"] == "Ψηφιακό Δελτίο <digest.news.example.org>"
    assert parsed["MIME-Version"] == "1.0"
    sent = parsed["Date"].datetime
    assert sent.tzinfo is not None and abs(datetime.now(sent.tzinfo) - sent) < timedelta(minutes=5)


def test_greek_subject_round_trips_rfc2047(project: Settings,
                                           rendered: dict[tuple[str, str], RenderedIssue]) -> None:
    issue = rendered["2021-W24", "el"]
    message = build_message(issue, sender=project.smtp.sender, recipient="rea@example.org",
                            unsubscribe_url=SUBSCRIBER_URL, message_id="<1@news.example.org>")
    raw = message.as_bytes().decode("ascii")
    subject_line = next(line for line in raw.split("\r\n") if line.startswith("Subject:"))
    assert "=?utf-8?" in subject_line.lower()
    assert read_back(message)["Subject"] == issue.subject
    assert "Ιουν" in read_back(message)["Subject"]


def test_message_refuses_header_injection(project: Settings,
                                          rendered: dict[tuple[str, str], RenderedIssue]) -> None:
    with pytest.raises(ValueError):
        build_message(rendered["2021-W24", "en"], sender=project.smtp.sender,
                      recipient="rea@example.org\r\nBcc: everyone@example.org",
                      unsubscribe_url=SUBSCRIBER_URL, message_id="<1@news.example.org>")


def test_review_files(project: Settings, rendered: dict[tuple[str, str], RenderedIssue],
                      tmp_path: Path) -> None:
    paths = write_review_files(rendered["2021-W24", "ar"], tmp_path / "review",
                               sender=project.smtp.sender)
    assert [p.name for p in paths] == ["2021-W24.ar.html", "2021-W24.ar.txt", "2021-W24.ar.eml"]
    html_text, plain, eml = (p.read_bytes() for p in paths)
    assert PERSONAL_UNSUBSCRIBE.encode() not in html_text + plain + eml
    assert EXAMPLE_UNSUBSCRIBE_URL in plain.decode("utf-8")
    assert EXAMPLE_UNSUBSCRIBE_URL in html_text.decode("utf-8")
    parsed = email.message_from_bytes(eml, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    # The parts may be base64: the raw bytes cannot show what they say, their content can.
    parts = [part.get_content() for part in parsed.iter_parts()]
    assert len(parts) == 2
    for content in parts:
        assert PERSONAL_UNSUBSCRIBE not in content and EXAMPLE_UNSUBSCRIBE_URL in content
    assert parsed["List-Unsubscribe"] == f"<{EXAMPLE_UNSUBSCRIBE_URL}>"
    assert parsed["Content-Language"] == "ar"
    assert not list(tmp_path.glob("review/.newsletter-*")), "no temporary file left"


def test_issue_command(project: Settings, tmp_path: Path) -> None:
    import shutil

    from newsletter.cli import cli

    folder = tmp_path / "project"
    shutil.copytree(project.project_dir, folder)
    result = CliRunner().invoke(cli, ["-p", str(folder), "issue", "2021-W24"],
                                env={"COLUMNS": "200"}, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    written = sorted(p.name for p in (folder / ".newsletter" / "issues" / "2021-W24").iterdir())
    assert written == sorted(f"2021-W24.{lang}.{ext}" for lang in LANGUAGES
                             for ext in ("html", "txt", "eml"))
    for heading in ("Language", "Subject", "News", "Events", "HTML (KB)"):
        assert heading in result.stdout
    assert "14–20 Ιουν 2021" in result.stdout
    assert "nothing new" not in result.stderr

    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["-p", str(folder), "issue", "2020-W10", "--lang", "el",
                                      "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "2020-W10.el.eml", "2020-W10.el.html", "2020-W10.el.txt"]
    assert ("warning: nothing new in 2020-W10: no news published from 2020-03-02 to 2020-03-08 "
            "and no events starting from 2020-03-02 to 2020-04-05") in " ".join(result.stderr.split())

    result = CliRunner().invoke(cli, ["-p", str(folder), "issue", "2021W24"])
    assert result.exit_code == 2
    assert "'2021W24' is not an ISO week (expected YYYY-Www, such as 2021-W24)" in result.stderr
    result = CliRunner().invoke(cli, ["-p", str(folder), "issue", "2021-W24", "--lang", "fr"])
    assert result.exit_code == 2
    assert "not a configured language: fr (configured: en, el, ar)" in result.stderr


def test_html_template_words_are_extracted_by_make_messages() -> None:
    """`make messages` reads templates through locales/babel.cfg; a word only in
    issue.mjml would never reach the translators unless that mapping covers it."""
    with (REPO / "locales" / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    extracted = {message for _, _, message, *_ in extract_from_dir(
        str(REPO / "templates"), method_map, options_map)}
    in_mjml = {message for _, message, *_ in extract_from_file(
        "jinja2", str(REPO / "templates" / "email" / "issue.mjml"),
        options={"extensions": "jinja2.ext.i18n"})}
    assert in_mjml
    assert in_mjml <= extracted, sorted(in_mjml - extracted)


def test_a_long_unsubscribe_link_stays_a_plain_header() -> None:
    """Mail clients offer their unsubscribe button only for a readable URL, never RFC 2047."""
    from email.message import EmailMessage

    from newsletter.render.email import MESSAGE_POLICY

    url = "https://news.example.org/weekly/unsubscribe?token=" + "a" * 90
    message = EmailMessage(policy=MESSAGE_POLICY)
    message["Subject"] = "Ψηφιακή εβδομάδα " * 6
    message["List-Unsubscribe"] = f"<{url}>"
    message.set_content("x")
    lines = message.as_bytes().split(b"\r\n")
    assert f"List-Unsubscribe: <{url}>".encode() in lines
    assert all(len(line) <= 78 for line in lines if not line.startswith(b"List-Unsubscribe"))
