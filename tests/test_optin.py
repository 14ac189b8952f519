"""Double opt-in at the stage level: requests, confirmation emails, links, against a real
SMTP server (aiosmtpd on 127.0.0.1) and a real subscribers database."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from babel.dates import format_date
from smtp_support import Sink, running_sink

from newsletter.config import Settings, load_settings
from newsletter.delivery.optin import (
    confirm_subscription,
    request_subscription,
    unsubscribe,
    unsubscribe_link_owner,
)
from newsletter.delivery.smtp import SendError
from newsletter.delivery.subscribers import Subscriber, SubscriberError, SubscriberStore
from newsletter.delivery.tokens import CONFIRM, UNSUBSCRIBE, TokenError, read_token

SECRET = b"test-secret-0123456789abcdef"
NOW = datetime(2021, 6, 7, 9, 30, tzinfo=UTC)
SENDER = "City Networks Digest <digest@news.example.org>"
CONFIG = """
[site]
base_url = "https://news.example.org/"
languages = ["en", "el", "fr"]
default_timezone = "Europe/Brussels"

[subscribers]
confirm_days = 7

[smtp]
host = "127.0.0.1"
port = {port}
sender = "{sender}"
timeout = 5
"""
CONFIRM_LINK = re.compile(r"https://news\.example\.org/confirm\?token=(\S+)")
UNSUBSCRIBE_LINK = re.compile(r"https://news\.example\.org/unsubscribe\?token=(\S+)")


@pytest.fixture
def settings(tmp_path: Path, sink: Sink) -> Settings:
    (tmp_path / "newsletter.toml").write_text(
        CONFIG.format(port=sink.port, sender=SENDER), "utf-8")
    return load_settings(tmp_path)


def ask(settings: Settings, email: str, language: str, now: datetime = NOW):
    return request_subscription(settings, SECRET, email, language, now, password=None)


def stored(settings: Settings, email: str) -> Subscriber | None:
    with SubscriberStore.open(settings.subscribers_db) as store:
        return store.get(email)


def add(settings: Settings, email: str, language: str, status: str) -> Subscriber:
    with SubscriberStore.open(settings.subscribers_db) as store:
        return store.add(email, language, status=status)  # type: ignore[arg-type]


def body(sink: Sink, index: int = -1) -> str:
    return sink.received[index].message.get_content()


def confirm_token(sink: Sink, index: int = -1) -> str:
    found = CONFIRM_LINK.search(body(sink, index))
    assert found, body(sink, index)
    return found.group(1)


def test_a_new_address_is_pending_and_gets_one_confirmation_email_in_its_language(
        settings: Settings, sink: Sink) -> None:
    result = ask(settings, "  Maria@Example.ORG ", "el")

    subscriber = stored(settings, "maria@example.org")
    assert subscriber == result.subscriber
    assert (subscriber.email, subscriber.language, subscriber.status) == \
        ("Maria@example.org", "el", "pending")
    assert result.sent == "confirm"
    assert sink.count() == 1
    received = sink.received[0]
    assert received.recipients == ("Maria@example.org",)
    assert received.sender == "digest@news.example.org"
    message = received.message
    assert message["From"] == SENDER
    assert message["To"] == "Maria@example.org"
    assert message["Content-Language"] == "el"
    assert message["Auto-Submitted"] == "auto-generated"
    assert re.fullmatch(r"<[^<>@\s]+@news\.example\.org>", message["Message-ID"])
    assert parsedate_to_datetime(message["Date"]) == NOW
    assert "City Networks Digest" in message["Subject"]
    text = message.get_content()
    # Greek whatever the catalog holds: the language's own name and Babel's date.
    assert "Ελληνικά" in text
    last_day = format_date((NOW + timedelta(days=7)).date(), "long", locale="el")
    assert last_day in text and "Ιουνίου" in last_day
    token = confirm_token(sink)
    assert read_token(SECRET, CONFIRM, token, NOW) == subscriber.id
    with pytest.raises(TokenError):
        read_token(SECRET, UNSUBSCRIBE, token)  # a confirmation link, nothing else


def test_the_email_speaks_the_chosen_language(settings: Settings, sink: Sink) -> None:
    ask(settings, "claire@example.org", "fr")
    message = sink.received[0].message
    assert message["Content-Language"] == "fr"
    assert "français" in message.get_content()
    assert format_date((NOW + timedelta(days=7)).date(), "long", locale="fr") \
        in message.get_content()


def test_confirming_makes_a_subscriber_and_twice_is_harmless(settings: Settings,
                                                             sink: Sink) -> None:
    ask(settings, "maria@example.org", "el")
    token = confirm_token(sink)
    first = confirm_subscription(settings, SECRET, token, NOW + timedelta(days=1))
    assert first.status == "confirmed"
    again = confirm_subscription(settings, SECRET, token, NOW + timedelta(days=2))
    assert again == first
    assert stored(settings, "maria@example.org") == first


def test_an_already_confirmed_address_is_left_alone_and_told_so(settings: Settings,
                                                                sink: Sink) -> None:
    before = add(settings, "sam@example.org", "en", "confirmed")
    result = ask(settings, "SAM@example.org", "fr")

    assert result.sent == "already-subscribed"
    assert stored(settings, "sam@example.org") == before  # not even the language
    assert sink.count() == 1
    message = sink.received[0].message
    assert message["Content-Language"] == "fr"  # the language the request was made in
    text = message.get_content()
    assert not CONFIRM_LINK.search(text)
    assert "anglais" in text  # their digest's language, named in French
    link = UNSUBSCRIBE_LINK.search(text)
    assert link and read_token(SECRET, UNSUBSCRIBE, link.group(1)) == before.id


def test_an_unsubscribed_address_stays_unsubscribed_until_it_confirms(settings: Settings,
                                                                     sink: Sink) -> None:
    gone = add(settings, "jan@example.org", "en", "unsubscribed")
    result = ask(settings, "jan@example.org", "el")

    assert result.sent == "confirm"
    now = stored(settings, "jan@example.org")
    assert (now.id, now.status, now.language) == (gone.id, "unsubscribed", "el")
    assert sink.count() == 1
    confirmed = confirm_subscription(settings, SECRET, confirm_token(sink), NOW)
    assert (confirmed.status, confirmed.language) == ("confirmed", "el")


def test_a_pending_address_asking_again_gets_a_new_link_in_its_new_language(
        settings: Settings, sink: Sink) -> None:
    first = ask(settings, "lucia@example.org", "en").subscriber
    second = ask(settings, "lucia@example.org", "fr").subscriber
    assert (second.id, second.status, second.language) == (first.id, "pending", "fr")
    assert sink.count() == 2
    assert sink.received[1].message["Content-Language"] == "fr"


def test_an_unconfigured_language_falls_back_to_a_configured_one(settings: Settings,
                                                                 sink: Sink) -> None:
    assert ask(settings, "ana@example.org", "el-CY").subscriber.language == "el"
    assert ask(settings, "ben@example.org", "de").subscriber.language == "en"


def test_an_expired_link_is_refused_and_changes_nothing(settings: Settings,
                                                        sink: Sink) -> None:
    ask(settings, "maria@example.org", "el")
    token = confirm_token(sink)
    with pytest.raises(TokenError) as refused:
        confirm_subscription(settings, SECRET, token, NOW + timedelta(days=7, seconds=1))
    assert str(refused.value) == "the link has expired"
    assert stored(settings, "maria@example.org").status == "pending"


@pytest.mark.parametrize("edit", [
    lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature
    lambda token: "2" + token[1:] if token[0] != "2" else "3" + token[1:],  # subscriber id
    lambda token: token[:-5],  # cut off
])
def test_a_tampered_link_is_refused(settings: Settings, sink: Sink, edit) -> None:
    ask(settings, "maria@example.org", "el")
    ask(settings, "sam@example.org", "en")  # id 2 exists, so a changed id names someone
    with pytest.raises(TokenError) as refused:
        confirm_subscription(settings, SECRET, edit(confirm_token(sink, 0)), NOW)
    assert str(refused.value) == "the link is invalid"
    assert stored(settings, "maria@example.org").status == "pending"
    assert stored(settings, "sam@example.org").status == "pending"


def test_an_unsubscribe_link_cannot_confirm(settings: Settings, sink: Sink) -> None:
    add(settings, "sam@example.org", "en", "confirmed")
    ask(settings, "sam@example.org", "en")
    token = UNSUBSCRIBE_LINK.search(body(sink)).group(1)
    with pytest.raises(TokenError):
        confirm_subscription(settings, SECRET, token, NOW)


def test_a_link_for_an_erased_subscriber_is_invalid(settings: Settings, sink: Sink) -> None:
    ask(settings, "maria@example.org", "el")
    with SubscriberStore.open(settings.subscribers_db) as store:
        assert store.remove("maria@example.org")
    with pytest.raises(TokenError, match="invalid"):
        confirm_subscription(settings, SECRET, confirm_token(sink), NOW)


def test_unsubscribing_is_idempotent(settings: Settings, sink: Sink) -> None:
    add(settings, "sam@example.org", "en", "confirmed")
    ask(settings, "sam@example.org", "en")
    token = UNSUBSCRIBE_LINK.search(body(sink)).group(1)

    assert unsubscribe_link_owner(settings, SECRET, token).status == "confirmed"  # looks only
    first = unsubscribe(settings, SECRET, token)
    assert first.status == "unsubscribed"
    assert unsubscribe(settings, SECRET, token) == first
    assert stored(settings, "sam@example.org") == first
    with pytest.raises(TokenError):
        unsubscribe(settings, SECRET, token[:-1] + ("x" if token[-1] != "x" else "y"))

    with SubscriberStore.open(settings.subscribers_db) as store:
        store.remove("sam@example.org")
    assert unsubscribe(settings, SECRET, token) is None
    assert unsubscribe_link_owner(settings, SECRET, token) is None


@pytest.mark.parametrize("address", ["", "not an address", '"<script>"@example.org',
                                     "maria@"])
def test_a_bad_address_names_the_field_and_stores_and_sends_nothing(
        settings: Settings, sink: Sink, address: str) -> None:
    with pytest.raises(SubscriberError) as refused:
        ask(settings, address, "el")
    assert refused.value.field == "email"
    assert "email address" in str(refused.value)
    with SubscriberStore.open(settings.subscribers_db) as store:
        assert store.list() == []
    assert sink.count() == 0


def test_a_language_that_is_no_code_names_the_field(settings: Settings, sink: Sink) -> None:
    with pytest.raises(SubscriberError) as refused:
        ask(settings, "maria@example.org", "<b>el</b>")
    assert refused.value.field == "language"
    assert sink.count() == 0


def test_a_refused_email_is_a_send_error_naming_the_server(tmp_path: Path) -> None:
    with running_sink(Sink(refuse=frozenset({"maria@example.org"}))) as sink:
        (tmp_path / "newsletter.toml").write_text(
            CONFIG.format(port=sink.port, sender=SENDER), "utf-8")
        settings = load_settings(tmp_path)
        with pytest.raises(SendError) as refused:
            ask(settings, "maria@example.org", "el")
    assert f"127.0.0.1:{sink.port}" in str(refused.value)
    assert "550" in str(refused.value)
    assert sink.count() == 0


def test_an_unreachable_server_is_a_send_error(tmp_path: Path) -> None:
    with running_sink() as sink:
        port = sink.port
    (tmp_path / "newsletter.toml").write_text(CONFIG.format(port=port, sender=SENDER), "utf-8")
    settings = load_settings(tmp_path)
    with pytest.raises(SendError, match=f"127.0.0.1:{port}"):
        ask(settings, "maria@example.org", "el")
