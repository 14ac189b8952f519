"""The readers' pages through Flask's test client, sending to a real SMTP server (aiosmtpd
on 127.0.0.1) and storing in a real subscribers database."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from markupsafe import escape
from smtp_support import Sink, running_sink
from web_support import SECRET

from newsletter.config import Settings, load_settings
from newsletter.delivery.subscribers import Subscriber, SubscriberStore
from newsletter.delivery.tokens import CONFIRM, read_token, unsubscribe_url
from newsletter.messages import load_catalog
from newsletter.resources import resource_dir
from newsletter.web import create_app

ENV = {"NEWSLETTER_SECRET": SECRET}
BASE = "https://news.example.org/"
T0 = datetime(2021, 6, 7, 9, 30, tzinfo=UTC)
CONFIG = """
[site]
base_url = "{base}"
languages = ["en", "el", "fr", "ar"]

[smtp]
host = "127.0.0.1"
port = {port}
sender = "City Networks Digest <digest@news.example.org>"
timeout = 5

[serve]
subscribe_limit = "{limit}"
"""
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CONFIRM_LINK = re.compile(re.escape(BASE) + r"confirm\?token=(\S+)")


class Clock:
    """The application's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def make_settings(folder: Path, port: int, limit: str = "100 per minute") -> Settings:
    (folder / "newsletter.toml").write_text(
        CONFIG.format(base=BASE, port=port, limit=limit), "utf-8")
    return load_settings(folder)


@pytest.fixture
def settings(tmp_path: Path, sink: Sink) -> Settings:
    return make_settings(tmp_path, sink.port)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(settings: Settings, clock: Clock):
    return create_app(settings, environ=ENV, clock=clock)


def add(settings: Settings, email: str, language: str, status: str) -> Subscriber:
    with SubscriberStore.open(settings.subscribers_db) as store:
        return store.add(email, language, status=status)  # type: ignore[arg-type]


def everyone(settings: Settings) -> list[Subscriber]:
    with SubscriberStore.open(settings.subscribers_db) as store:
        return store.list()


def status(settings: Settings, email: str) -> str | None:
    with SubscriberStore.open(settings.subscribers_db) as store:
        found = store.get(email)
    return found.status if found else None


def csrf_token(client, path: str = "/el/subscribe") -> str:
    page = client.get(path)
    assert page.status_code == 200
    return CSRF.search(page.get_data(as_text=True)).group(1)


def subscribe(client, email: str, language: str = "el", lang: str = "el", token: str | None = None):
    token = token or csrf_token(client, f"/{lang}/subscribe")
    return client.post(f"/{lang}/subscribe",
                       data={"csrf_token": token, "email": email, "language": language})


def local(url: str) -> str:
    """A link of the site as a path of the test client."""
    assert url.startswith(BASE)
    return "/" + url[len(BASE):]


def catalog_word(language: str, msgid: str) -> str:
    """`msgid` as `language`'s catalog has it; a test of real translation only when it is."""
    word = load_catalog(resource_dir("locales"), language).gettext(msgid)
    assert word != msgid, f"the {language} catalog does not translate {msgid!r}"
    return word


# -- the form -----------------------------------------------------------------------------


def test_the_form_speaks_the_language_of_its_address(app) -> None:
    page = app.test_client().get("/el/subscribe")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="el" dir="ltr">' in text
    assert catalog_word("el", "Subscribe") in text  # the button, from the Greek catalog
    assert CSRF.search(text)
    # Each language named in itself, the page's own chosen.
    assert '<option value="el" lang="el" dir="ltr" selected>Ελληνικά</option>' in text
    assert '<option value="fr" lang="fr" dir="ltr">français</option>' in text
    assert '<option value="ar" lang="ar" dir="rtl">العربية</option>' in text
    assert '<html lang="ar" dir="rtl">' in app.test_client().get("/ar/subscribe").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/de/subscribe", "/xx/subscribe", "/el-GR/subscribe",
                                  "/de/subscribe/check-your-email"])
def test_a_language_the_site_does_not_publish_has_no_form(app, path: str) -> None:
    assert app.test_client().get(path).status_code == 404


def test_a_post_without_the_csrf_token_is_refused_and_stores_and_sends_nothing(
        app, settings: Settings, sink: Sink) -> None:
    client = app.test_client()
    client.get("/el/subscribe")  # a session, but no token in the form
    refused = client.post("/el/subscribe", data={"email": "maria@example.org", "language": "el"})
    assert refused.status_code == 400
    assert "did not come from this site" in refused.get_data(as_text=True)
    forged = client.post("/el/subscribe", data={"email": "maria@example.org", "language": "el",
                                                "csrf_token": "forged"})
    assert forged.status_code == 400
    assert everyone(settings) == []
    assert sink.count() == 0


def test_a_request_redirects_to_check_your_email_in_the_chosen_language(
        app, settings: Settings, sink: Sink) -> None:
    client = app.test_client()
    answer = subscribe(client, "layla@example.org", language="ar", lang="el")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/ar/subscribe/check-your-email"
    page = client.get(answer.headers["Location"])
    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl">' in page.get_data(as_text=True)

    (stored,) = everyone(settings)
    assert (stored.email, stored.language, stored.status) == ("layla@example.org", "ar", "pending")
    assert sink.count() == 1
    message = sink.received[0].message
    assert message["Content-Language"] == "ar"
    assert "العربية" in message.get_content()
    token = CONFIRM_LINK.search(message.get_content()).group(1)
    assert read_token(SECRET.encode(), CONFIRM, token, T0) == stored.id


def test_the_answer_is_the_same_whatever_the_address_state(app, settings: Settings,
                                                          sink: Sink) -> None:
    add(settings, "pending@example.org", "en", "pending")
    confirmed = add(settings, "confirmed@example.org", "en", "confirmed")
    gone = add(settings, "gone@example.org", "fr", "unsubscribed")
    answers = {}
    for address in ("new@example.org", "pending@example.org", "confirmed@example.org",
                    "gone@example.org"):
        client = app.test_client()
        answer = subscribe(client, address, language="el")
        follow = client.get(answer.headers["Location"])
        answers[address] = (answer.status_code, answer.headers["Location"],
                            answer.get_data(), follow.status_code, follow.get_data())
    assert len(set(answers.values())) == 1, answers
    assert sink.count() == 4  # one email each: the time taken tells nothing either
    now = {subscriber.email: subscriber for subscriber in everyone(settings)}
    assert now["confirmed@example.org"] == confirmed  # not even its language changed
    assert (now["gone@example.org"].id, now["gone@example.org"].status) == \
        (gone.id, "unsubscribed")
    assert now["new@example.org"].status == "pending"


def test_requests_beyond_the_limit_are_refused(tmp_path: Path, sink: Sink) -> None:
    settings = make_settings(tmp_path, sink.port, limit="2 per minute")
    client = create_app(settings, environ=ENV).test_client()
    token = csrf_token(client)
    assert subscribe(client, "one@example.org", token=token).status_code == 303
    assert subscribe(client, "two@example.org", token=token).status_code == 303
    third = subscribe(client, "three@example.org", token=token)
    assert third.status_code == 429
    text = third.get_data(as_text=True)
    assert '<html lang="el"' in text and "Πάρα πολλά αιτήματα" in text  # in the page's language
    assert status(settings, "three@example.org") is None
    assert sink.count() == 2


@pytest.mark.parametrize("typed", ['"<script>"@example.org', "<b>maria</b>@example.org",
                                   "maria@", ""])
def test_a_malformed_address_shows_the_form_again_with_the_field_named(
        app, settings: Settings, sink: Sink, typed: str) -> None:
    client = app.test_client()
    answer = subscribe(client, typed, language="fr")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert '<html lang="el"' in text
    error = re.search(r'<p class="flash error field-error" id="email-error" role="alert">'
                      r'<strong>([^<]+)</strong>: ([^<]*)</p>', text)
    assert error, text
    label = re.search(r'<label for="email">([^<]+)</label>', text).group(1)
    assert error.group(1) == label  # the field named as the form names it
    assert 'aria-describedby="email-error"' in text
    assert f'value="{escape(typed)}"' in text  # what was typed, escaped
    assert "<script>" not in text and "<b>" not in text
    assert '<option value="fr" lang="fr" dir="ltr" selected>' in text  # the choice kept
    assert everyone(settings) == []
    assert sink.count() == 0


def test_a_language_that_is_no_code_is_named_and_escaped(app, settings: Settings) -> None:
    answer = subscribe(app.test_client(), "maria@example.org", language="<b>el</b>")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert 'id="language-error"' in text
    assert "&lt;b&gt;el&lt;/b&gt;" in text and "<b>" not in text
    assert everyone(settings) == []


def test_an_email_that_cannot_be_sent_gets_the_same_polite_page_for_every_address(
        tmp_path: Path) -> None:
    with running_sink() as sink:
        port = sink.port
    settings = make_settings(tmp_path, port)  # nothing listens there now
    add(settings, "confirmed@example.org", "en", "confirmed")
    app = create_app(settings, environ=ENV)
    pages = set()
    for address in ("new@example.org", "confirmed@example.org"):
        answer = subscribe(app.test_client(), address)
        assert answer.status_code == 503
        text = answer.get_data(as_text=True)
        assert address not in text and str(port) not in text
        pages.add(text)
    assert len(pages) == 1
    assert status(settings, "confirmed@example.org") == "confirmed"


# -- confirming ------------------------------------------------------------------------------


def confirm_path(sink: Sink) -> str:
    return local(CONFIRM_LINK.search(sink.received[-1].message.get_content()).group(0))


def test_opening_the_confirmation_link_only_shows_the_button(app, settings: Settings,
                                                            sink: Sink) -> None:
    client = app.test_client()
    subscribe(client, "layla@example.org", language="ar")
    page = client.get(confirm_path(sink), headers={"Accept-Language": "fr"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl">' in text  # the subscriber's language, not the browser's
    assert 'class="stack confirm-form"' in text and "layla@example.org" in text
    assert status(settings, "layla@example.org") == "pending"  # a mail scanner subscribes no one
    without_csrf = client.post(confirm_path(sink))
    assert without_csrf.status_code == 400
    assert status(settings, "layla@example.org") == "pending"


def test_the_confirmation_button_confirms_and_shows_the_feeds(app, settings: Settings,
                                                             sink: Sink) -> None:
    client = app.test_client()
    subscribe(client, "layla@example.org", language="ar")
    form = client.get(confirm_path(sink)).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    page = client.post(confirm_path(sink), data={"csrf_token": token})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl">' in text
    assert status(settings, "layla@example.org") == "confirmed"
    assert f'href="{BASE}feeds/ar/rss.xml"' in text
    assert f'href="{BASE}ar/"' in text
    # Opened again once confirmed: the confirmed page, nothing to press.
    again = app.test_client().get(confirm_path(sink))
    assert again.status_code == 200
    assert "confirm-form" not in again.get_data(as_text=True)
    assert f'href="{BASE}feeds/ar/rss.xml"' in again.get_data(as_text=True)
    assert status(settings, "layla@example.org") == "confirmed"


def test_an_expired_link_says_so_in_the_browser_language_with_a_way_back(
        app, settings: Settings, sink: Sink, clock: Clock) -> None:
    client = app.test_client()
    subscribe(client, "maria@example.org", language="el")
    clock.now = T0 + timedelta(days=settings.confirm_days, seconds=1)
    page = client.get(confirm_path(sink), headers={"Accept-Language": "fr-BE,fr;q=0.9"})
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    assert '<html lang="fr"' in text
    assert html.escape(catalog_word("fr", "the link has expired")) in text
    assert 'href="/fr/subscribe"' in text
    assert status(settings, "maria@example.org") == "pending"


@pytest.mark.parametrize("query", ["", "?token=", "?token=1.-.abc", "?token=<script>"])
def test_an_invalid_confirmation_link_is_refused(app, settings: Settings, query: str) -> None:
    add(settings, "maria@example.org", "el", "pending")
    page = app.test_client().get(f"/confirm{query}")
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "the link is invalid" in text and "<script>" not in text
    assert status(settings, "maria@example.org") == "pending"


def test_a_tampered_confirmation_link_is_refused(app, settings: Settings, sink: Sink) -> None:
    client = app.test_client()
    subscribe(client, "maria@example.org")
    path = confirm_path(sink)
    tampered = path[:-1] + ("A" if path[-1] != "A" else "B")
    assert client.get(tampered).status_code == 400
    assert status(settings, "maria@example.org") == "pending"


# -- unsubscribing ---------------------------------------------------------------------------


def unsubscribe_path(settings: Settings, subscriber: Subscriber) -> str:
    return local(unsubscribe_url(settings, SECRET.encode(), subscriber.id))


def test_opening_the_unsubscribe_link_changes_nothing(app, settings: Settings) -> None:
    maria = add(settings, "maria@example.org", "el", "confirmed")
    path = unsubscribe_path(settings, maria)
    page = app.test_client().get(path)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="el"' in text
    assert f'<form method="post" action="{html.escape(path)}"' in text
    assert CSRF.search(text)
    assert status(settings, "maria@example.org") == "confirmed"


def test_the_button_unsubscribes_with_its_csrf_token_and_only_with_it(
        app, settings: Settings) -> None:
    maria = add(settings, "maria@example.org", "el", "confirmed")
    path = unsubscribe_path(settings, maria)
    client = app.test_client()
    token = csrf_token(client, path)

    assert client.post(path, data={}).status_code == 400
    assert client.post(path, data={"csrf_token": "forged"}).status_code == 400
    assert status(settings, "maria@example.org") == "confirmed"

    done = client.post(path, data={"csrf_token": token})
    assert done.status_code == 200
    assert '<html lang="el"' in done.get_data(as_text=True)
    assert status(settings, "maria@example.org") == "unsubscribed"
    again = client.post(path, data={"csrf_token": token})
    assert again.status_code == 200
    assert status(settings, "maria@example.org") == "unsubscribed"
    # Opening the link afterwards says it is done, with no button.
    after = client.get(path).get_data(as_text=True)
    assert "<form" not in after and 'href="/el/subscribe"' in after


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded",
                                          "multipart/form-data"])
def test_the_one_click_post_unsubscribes_without_cookie_or_csrf_token(
        app, settings: Settings, content_type: str) -> None:
    maria = add(settings, "maria@example.org", "el", "confirmed")
    client = app.test_client(use_cookies=False)
    if content_type == "multipart/form-data":
        answer = client.post(unsubscribe_path(settings, maria),
                             data={"List-Unsubscribe": "One-Click"}, content_type=content_type)
    else:
        answer = client.post(unsubscribe_path(settings, maria), data="List-Unsubscribe=One-Click",
                             content_type=content_type)
    assert answer.status_code == 200
    assert answer.mimetype == "text/plain"
    assert answer.get_data(as_text=True)
    assert status(settings, "maria@example.org") == "unsubscribed"


@pytest.mark.parametrize("body", ["List-Unsubscribe=One-Click&more=1",
                                  "List-Unsubscribe=Two-Clicks", "", "unsubscribe=yes"])
def test_any_other_post_needs_the_csrf_token(app, settings: Settings, body: str) -> None:
    maria = add(settings, "maria@example.org", "el", "confirmed")
    answer = app.test_client(use_cookies=False).post(
        unsubscribe_path(settings, maria), data=body,
        content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 400
    assert status(settings, "maria@example.org") == "confirmed"


def test_a_tampered_unsubscribe_link_is_refused(app, settings: Settings) -> None:
    maria = add(settings, "maria@example.org", "el", "confirmed")
    path = unsubscribe_path(settings, maria)
    tampered = path[:-1] + ("A" if path[-1] != "A" else "B")
    client = app.test_client(use_cookies=False)
    assert client.get(tampered).status_code == 400
    answer = client.post(tampered, data="List-Unsubscribe=One-Click",
                         content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 400
    assert "the link is invalid" in answer.get_data(as_text=True)
    assert status(settings, "maria@example.org") == "confirmed"


def test_an_erased_subscriber_is_told_they_get_nothing(app, settings: Settings) -> None:
    maria = add(settings, "maria@example.org", "el", "confirmed")
    with SubscriberStore.open(settings.subscribers_db) as store:
        store.remove("maria@example.org")
    client = app.test_client(use_cookies=False)
    page = client.get(unsubscribe_path(settings, maria), headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    assert '<html lang="fr"' in page.get_data(as_text=True)
    one_click = client.post(unsubscribe_path(settings, maria), data="List-Unsubscribe=One-Click",
                            content_type="application/x-www-form-urlencoded")
    assert one_click.status_code == 200
    assert everyone(settings) == []


def test_stored_addresses_are_shown_escaped(app, settings: Settings) -> None:
    odd = add(settings, "o'brien&co@example.org", "en", "confirmed")
    text = app.test_client().get(unsubscribe_path(settings, odd)).get_data(as_text=True)
    assert "o&#39;brien&amp;co@example.org" in text
    assert "o'brien&co" not in text


def test_behind_a_proxy_the_limit_counts_each_readers_address(tmp_path: Path, sink: Sink) -> None:
    settings = make_settings(tmp_path, sink.port, limit="1 per minute")
    config = settings.project_dir / "newsletter.toml"
    config.write_text(config.read_text("utf-8") + "proxies = 1\n", "utf-8")
    settings = load_settings(settings.project_dir)
    # Behind a proxy the editor pages need their token.
    environ = {**ENV, "NEWSLETTER_EDITOR_TOKEN": "editor-token-0123456789"}
    client = create_app(settings, environ=environ).test_client()
    token = csrf_token(client)

    def from_reader(address: str, reader: str) -> int:
        return client.post("/el/subscribe", data={"email": address, "language": "el",
                                                  "csrf_token": token},
                           headers={"X-Forwarded-For": reader}).status_code

    assert from_reader("one@example.org", "203.0.113.7") == 303
    assert from_reader("two@example.org", "198.51.100.9") == 303  # another reader
    assert from_reader("three@example.org", "203.0.113.7") == 429  # the first one again
    # Only the proxy's own hop is believed: a client cannot pick a fresh address.
    assert from_reader("four@example.org", "192.0.2.1, 203.0.113.7") == 429
    assert sink.count() == 2


def test_every_limit_of_a_rate_counts(tmp_path: Path, sink: Sink) -> None:
    settings = make_settings(tmp_path, sink.port, limit="5 per minute; 2 per hour")
    client = create_app(settings, environ=ENV).test_client()
    token = csrf_token(client)
    assert subscribe(client, "one@example.org", token=token).status_code == 303
    assert subscribe(client, "two@example.org", token=token).status_code == 303
    assert subscribe(client, "three@example.org", token=token).status_code == 429
    assert sink.count() == 2

