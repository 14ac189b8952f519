"""The editor's issue pages through Flask's test client, on the seed pages localised with no
engines, sending test messages to a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import copy_project, seed_project
from smtp_support import Sink, free_port
from web_support import SECRET

from newsletter.config import Settings, load_settings
from newsletter.content import load_item
from newsletter.delivery.approvals import ApprovalStore
from newsletter.delivery.send import SendError, send_issue
from newsletter.delivery.sendlog import SendLog
from newsletter.delivery.subscribers import SubscriberStore
from newsletter.digest import issue_weeks
from newsletter.localise import stage
from newsletter.localise.human import save_human_field
from newsletter.render.email import EXAMPLE_UNSUBSCRIBE_URL, PERSONAL_UNSUBSCRIBE
from newsletter.render.views import load_items
from newsletter.web import create_app

ENV = {"NEWSLETTER_SECRET": SECRET}
WEEK = "2021-W24"
WORKSHOP = "online-workshop-for-local-and-regional-authorities-setting-up-a-local"
WORKSHOP_TITLE = ("Online Workshop for Local and Regional Authorities: Setting Up a Local "
                  "Integration Strategy – Stakeholder Involvement and Ownership")
GREEK_SUBJECT = "City Networks Digest — εβδομάδα 24, 14–20 Ιουν 2021"
NOW = datetime(2021, 6, 15, 9, 0, tzinfo=UTC)
CONFIG = """
[site]
base_url = "https://news.example.org/"
languages = ["en", "el", "ar", "es"]

[translation]
engines = []

[smtp]
host = "127.0.0.1"
port = {port}
sender = "City Networks Digest <digest@news.example.org>"
retries = 0
timeout = 5

[serve]
test_send_limit = "{limit}"
"""
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FINGERPRINT = re.compile(r'name="fingerprint" value="([0-9a-f]{64})"')


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = seed_project(tmp_path_factory.mktemp("seeded"),
                          CONFIG.format(port=25, limit="100 per minute"))
    stage.run(load_settings(folder))  # no engines: every other language is 'missing'
    return folder


def make_settings(seeded: Path, tmp_path: Path, port: int,
                  limit: str = "100 per minute") -> Settings:
    folder = copy_project(seeded, tmp_path).project_dir
    (folder / "newsletter.toml").write_text(CONFIG.format(port=port, limit=limit), "utf-8")
    return load_settings(folder)


@pytest.fixture
def settings(seeded: Path, tmp_path: Path, sink: Sink) -> Settings:
    return make_settings(seeded, tmp_path, sink.port)


@pytest.fixture
def client(settings: Settings):  # type: ignore[no-untyped-def]
    return create_app(settings, environ=ENV, clock=lambda: NOW).test_client()


def page(client, path: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def form_values(text: str) -> dict[str, str]:
    values = {"csrf_token": CSRF.search(text)[1]}  # type: ignore[index]
    found = FINGERPRINT.search(text)
    if found:
        values["fingerprint"] = found[1]
    return values


def flashes(text: str) -> list[str]:
    return [html.unescape(found) for found in re.findall(r'<p class="flash \w+" role="status">(.*?)</p>',
                                                         text, re.DOTALL)]


def state_cells(text: str, week: str) -> dict[str, str]:
    """language -> approval state class of `week`'s row in the issue list."""
    return dict((language, state) for state, language in re.findall(
        rf'<td class="approval-([\w-]+)">\s*<a href="/editor/{week}/([\w-]+)"', text))


# -- the list ------------------------------------------------------------------------------

def test_the_list_shows_every_week_with_items_newest_first(settings: Settings, client) -> None:
    text = page(client, "/editor/")
    weeks = re.findall(r'<span class="issue-week">(\d{4}-W\d{2})</span>', text)
    assert weeks == issue_weeks(load_items(settings))
    assert weeks[0] == "2022-W35" and WEEK in weeks and weeks == sorted(weeks, reverse=True)
    row = text.split(f'<span class="issue-week">{WEEK}</span>')[1].split("</tr>")[0]
    assert "<td>1</td>" in row  # the workshop alone
    assert state_cells(text, WEEK) == {language: "not-approved"
                                       for language in ("en", "el", "ar", "es")}
    # Each language is named in its own words in the heading.
    assert '<th scope="col" lang="el" dir="ltr">Ελληνικά</th>' in text
    assert '<th scope="col" lang="ar" dir="rtl">العربية</th>' in text


def test_an_empty_content_folder_has_no_issues(tmp_path: Path, sink: Sink) -> None:
    (tmp_path / "newsletter.toml").write_text(
        CONFIG.format(port=sink.port, limit="5 per minute"), "utf-8")
    client = create_app(load_settings(tmp_path), environ=ENV).test_client()
    assert "There are no issues yet" in page(client, "/editor/")


# -- one language of an issue ----------------------------------------------------------------

def test_the_greek_issue_page_shows_the_email_as_it_will_be_sent(client) -> None:
    text = page(client, f"/editor/{WEEK}/el")
    assert '<html lang="en" dir="ltr">' in text  # the editor's interface
    assert f'<dd class="issue-subject" lang="el" dir="ltr">{GREEK_SUBJECT}</dd>' in text
    frame = re.search(r"<iframe ([^>]+)>", text)
    assert frame is not None
    assert re.search(r'\bsandbox\b(?!=)', frame[1])
    assert f'src="/editor/{WEEK}/el/email.html"' in frame[1] and 'title="' in frame[1]
    text_part = re.search(r'<pre class="issue-text" lang="el" dir="ltr"[^>]*>(.*?)</pre>', text,
                          re.DOTALL)
    assert text_part is not None
    assert "Εβδομάδα 24, 14–20 Ιουν 2021" in html.unescape(text_part[1])
    assert EXAMPLE_UNSUBSCRIBE_URL in html.unescape(text_part[1])
    # The switcher: every language in its own words, this one current.
    assert (f'<a href="/editor/{WEEK}/el" aria-current="page" hreflang="el" lang="el" '
            'dir="ltr">Ελληνικά</a>') in text
    assert f'<a href="/editor/{WEEK}/ar" hreflang="ar" lang="ar" dir="rtl">العربية</a>' in text
    assert f'<a href="/editor/{WEEK}/es" hreflang="es" lang="es" dir="ltr">español</a>' in text
    # The feed entry: its English title marked as such, its page, the side-by-side link.
    assert (f'<a href="https://news.example.org/el/{WORKSHOP}.html" lang="en" dir="ltr">'
            f"{WORKSHOP_TITLE}</a>") in html.unescape(text)
    assert f'href="/editor/items/{WORKSHOP}/el"' in text
    assert '<span class="badge provenance-missing" title="">title: not translated</span>' in text
    assert 'href="/feeds/el/rss.xml"' in text and 'href="/feeds/el/atom.xml"' in text


def test_the_warnings_of_the_language_are_listed(client) -> None:
    text = html.unescape(page(client, f"/editor/{WEEK}/el"))
    warnings = text.split('<ul class="issue-warnings">')[1].split("</ul>")[0]
    assert "15 fields not yet translated (title, body, event.agenda (8), links (5))" in warnings
    assert f'<a href="/editor/items/{WORKSHOP}/el">{WORKSHOP_TITLE}</a>' in warnings
    assert "no publication date; feeds and pages date it by the event's start" in warnings
    english = html.unescape(page(client, f"/editor/{WEEK}/en"))
    assert "not yet translated" not in english.split('<ul class="issue-warnings">')[1]
    zone = html.unescape(page(client, "/editor/2019-W20/en"))
    assert "the page gave no time zone, so Europe/Brussels was assumed" in zone


def test_an_arabic_issue_is_right_to_left(client) -> None:
    text = page(client, f"/editor/{WEEK}/ar")
    assert re.search(r'<dd class="issue-subject" lang="ar" dir="rtl">[^<]*14–20 يونيو 2021</dd>',
                     text)
    assert '<pre class="issue-text" lang="ar" dir="rtl"' in text


def test_the_email_frame_is_served_under_a_strict_policy(client) -> None:
    response = client.get(f"/editor/{WEEK}/el/email.html")
    assert response.status_code == 200 and response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split("; ")}
    assert directives["default-src"] == ["'none'"] and "sandbox" in directives
    assert "script-src" not in directives and directives["form-action"] == ["'none'"]
    assert "https:" in directives["img-src"]
    body = response.get_data(as_text=True)
    assert body.startswith('<!doctype html><html lang="el" dir="ltr"')
    assert f"<title>{GREEK_SUBJECT}</title>" in body
    assert html.escape(EXAMPLE_UNSUBSCRIBE_URL) in body and PERSONAL_UNSUBSCRIBE not in body
    plain = client.get(f"/editor/{WEEK}/el/email.txt")
    assert plain.mimetype == "text/plain" and plain.headers["Content-Language"] == "el"
    assert "Εβδομάδα 24" in plain.get_data(as_text=True)


def test_an_empty_week_says_so(client) -> None:
    text = page(client, "/editor/2021-W01/en")
    assert "Nothing in this issue" in text
    assert "nothing new in 2021-W01" in text


@pytest.mark.parametrize("path", ["/editor/2021-W99/el", "/editor/2021-W4/el", "/editor/week-24/el",
                                  "/editor/2021-w24/el", f"/editor/{WEEK}/fr",
                                  f"/editor/{WEEK}/xx/email.html", "/editor/2021-W54/en/email.txt"])
def test_unknown_weeks_and_languages_are_not_found(client, path: str) -> None:
    assert client.get(path).status_code == 404


# -- approval ------------------------------------------------------------------------------

def greek_reader(settings: Settings) -> None:
    with SubscriberStore.open(settings.subscribers_db) as store:
        store.add("maria@example.org", "el", status="confirmed")


def test_approving_needs_a_csrf_token_and_lets_send_go(settings: Settings, client, sink: Sink) -> None:
    greek_reader(settings)
    with pytest.raises(SendError, match=r"\(el not approved\)"):
        send_issue(settings, WEEK, environ=ENV)

    text = page(client, f"/editor/{WEEK}/el")
    values = form_values(text)
    refused = client.post(f"/editor/{WEEK}/el/approve",
                          data={"fingerprint": values["fingerprint"], "editor": "Maria"})
    assert refused.status_code == 400
    with ApprovalStore.open(settings.subscribers_db) as store:
        assert store.approval(WEEK, "el") is None

    approved = client.post(f"/editor/{WEEK}/el/approve", data={**values, "editor": " Maria  K. "})
    assert approved.status_code == 303
    assert approved.headers["Location"] == f"/editor/{WEEK}/el"
    text = page(client, f"/editor/{WEEK}/el")
    assert flashes(text) == ["Greek approved for sending as shown."]
    assert re.search(r'<p class="issue-state approval-approved" id="state">\s*<strong>Approval:'
                     r"</strong> approved\s*<span class=\"muted\">– Maria K\., ", text)
    with ApprovalStore.open(settings.subscribers_db) as store:
        approval = store.approval(WEEK, "el")
    assert approval is not None and approval.editor == "Maria K." and approval.approved_at == NOW
    assert state_cells(page(client, "/editor/"), WEEK) == {
        "en": "not-approved", "el": "approved", "ar": "not-approved", "es": "not-approved"}

    report = send_issue(settings, WEEK, environ=ENV)
    assert report.languages["el"].sent == 1 and sink.by_recipient()["maria@example.org"] == 1


def test_a_translation_saved_after_approval_unapproves_the_language(
        settings: Settings, client, sink: Sink) -> None:
    greek_reader(settings)
    client.post(f"/editor/{WEEK}/el/approve", data=form_values(page(client, f"/editor/{WEEK}/el")))
    stale = form_values(page(client, f"/editor/{WEEK}/el"))

    item = load_item(settings.content_dir / f"{WORKSHOP}.md")
    save_human_field(settings.content_dir, item, "el", "title", "Διαδικτυακό εργαστήριο",
                     based_on=None)
    stage.run(settings, ["el"])

    text = page(client, f"/editor/{WEEK}/el")
    assert "Διαδικτυακό εργαστήριο" in text  # shown at once, from the files
    assert re.search(r"<strong>Approval:</strong> changed since it was approved", text)
    assert state_cells(page(client, "/editor/"), WEEK)["el"] == "changed"
    with pytest.raises(SendError, match=r"\(el changed since it was approved\)"):
        send_issue(settings, WEEK, environ=ENV)
    assert sink.count() == 0

    # A form from before the change cannot approve what its editor did not see.
    client.post(f"/editor/{WEEK}/el/approve", data=stale)
    text = page(client, f"/editor/{WEEK}/el")
    assert flashes(text) == ["This language of the issue changed since the page was opened, so "
                             "it was not approved. Read it again below, then approve it."]
    assert "changed since it was approved" in text
    client.post(f"/editor/{WEEK}/el/approve", data=form_values(text))
    assert send_issue(settings, WEEK, environ=ENV).languages["el"].sent == 1
    received = sink.messages()["maria@example.org"].message
    assert "Διαδικτυακό εργαστήριο" in next(received.iter_parts()).get_content()


def test_an_approval_can_be_withdrawn(settings: Settings, client) -> None:
    client.post(f"/editor/{WEEK}/es/approve",
                data={**form_values(page(client, f"/editor/{WEEK}/es")), "editor": "Lucía"})
    text = page(client, f"/editor/{WEEK}/es")
    assert "Withdraw the approval" in text
    withdrawn = client.post(f"/editor/{WEEK}/es/revoke", data=form_values(text))
    assert withdrawn.status_code == 303
    text = page(client, f"/editor/{WEEK}/es")
    assert flashes(text) == ["The approval of Spanish was withdrawn; it will not be sent."]
    assert re.search(r"<strong>Approval:</strong> not approved", text)
    assert '<input id="editor" name="editor" value="Lucía"' in text  # the name, offered again
    with ApprovalStore.open(settings.subscribers_db) as store:
        assert store.approval(WEEK, "es") is None


# -- test sends -----------------------------------------------------------------------------

def sent_and_people(settings: Settings) -> tuple[dict, list]:  # type: ignore[type-arg]
    with SendLog.open(settings.subscribers_db) as log, \
            SubscriberStore.open(settings.subscribers_db) as store:
        return log.records(WEEK), store.list()


def test_a_test_message_arrives_in_the_chosen_language(settings: Settings, client,
                                                      sink: Sink) -> None:
    greek_reader(settings)
    before = sent_and_people(settings)
    values = form_values(page(client, f"/editor/{WEEK}/el"))
    response = client.post(f"/editor/{WEEK}/el/test",
                           data={"csrf_token": values["csrf_token"], "address": " Editor@Example.org "})
    assert response.status_code == 303 and response.headers["Location"] == f"/editor/{WEEK}/el"
    text = page(client, f"/editor/{WEEK}/el")
    assert flashes(text) == ["A test message in Greek was sent to Editor@example.org."]
    assert 'value="Editor@example.org"' in text  # offered again

    assert sink.by_recipient() == {"Editor@example.org": 1}
    received = sink.messages()["Editor@example.org"]
    message = received.message
    assert received.sender == "digest@news.example.org"
    assert message["Subject"] == f"[Δοκιμή] {GREEK_SUBJECT}"  # the marker in Greek too
    assert message["Content-Language"] == "el" and message["To"] == "Editor@example.org"
    assert message["List-Unsubscribe"] == f"<{EXAMPLE_UNSUBSCRIBE_URL}>"
    plain, rich = (part.get_content() for part in message.iter_parts())
    assert "Εβδομάδα 24, 14–20 Ιουν 2021" in plain and '<html lang="el"' in rich
    assert sent_and_people(settings) == before  # no send log row, no subscriber added


def test_a_bad_address_or_a_refusing_server_is_told_not_crashed(settings: Settings, client,
                                                               sink: Sink) -> None:
    values = form_values(page(client, f"/editor/{WEEK}/en"))
    client.post(f"/editor/{WEEK}/en/test", data={**values, "address": "not an address"})
    said = flashes(page(client, f"/editor/{WEEK}/en"))
    assert len(said) == 1 and said[0].startswith(
        "The test message was not sent: 'not an address' is not an email address")

    sink.refuse = frozenset({"nobody@example.org"})
    client.post(f"/editor/{WEEK}/en/test", data={**values, "address": "nobody@example.org"})
    assert flashes(page(client, f"/editor/{WEEK}/en")) == [
        f"The test message was not sent: 127.0.0.1:{sink.port} refused the test message to "
        "nobody@example.org: 550 5.1.1 <nobody@example.org>: no such mailbox (after RCPT TO)"]
    assert sink.count() == 0


def test_an_unreachable_server_is_told_not_crashed(seeded: Path, tmp_path: Path) -> None:
    port = free_port()
    client = create_app(make_settings(seeded, tmp_path, port), environ=ENV).test_client()
    values = form_values(page(client, f"/editor/{WEEK}/en"))
    response = client.post(f"/editor/{WEEK}/en/test", data={**values, "address": "a@example.org"})
    assert response.status_code == 303
    said = flashes(page(client, f"/editor/{WEEK}/en"))
    assert len(said) == 1 and said[0].startswith(
        f"The test message was not sent: cannot send through 127.0.0.1:{port} (smtp.host, "
        "smtp.port): ")


def test_test_sends_are_rate_limited(seeded: Path, tmp_path: Path, sink: Sink) -> None:
    settings = make_settings(seeded, tmp_path, sink.port, limit="2 per minute")
    client = create_app(settings, environ=ENV).test_client()
    values = form_values(page(client, f"/editor/{WEEK}/en"))
    for _ in range(2):
        assert client.post(f"/editor/{WEEK}/en/test",
                           data={**values, "address": "a@example.org"}).status_code == 303
    refused = client.post(f"/editor/{WEEK}/en/test", data={**values, "address": "a@example.org"})
    assert refused.status_code == 429
    assert "Too many requests from your address" in refused.get_data(as_text=True)
    assert sink.count() == 2
