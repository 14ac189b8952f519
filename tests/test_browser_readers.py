"""A reader subscribes, confirms and unsubscribes in a real Chromium, against the app served
by waitress and a real SMTP server (aiosmtpd), from the seed project's built site.

The emails carry links under the configured `base_url`; the test opens them at the
address the app is served on, which is all that differs.
"""

from __future__ import annotations

import re
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from conftest import copy_project, seed_project
from smtp_support import Sink
from web_support import SECRET, chromium, serving

from newsletter.config import Settings, load_settings
from newsletter.delivery.subscribers import SubscriberStore
from newsletter.delivery.tokens import unsubscribe_url
from newsletter.localise import stage
from newsletter.messages import load_catalog
from newsletter.render import build
from newsletter.resources import resource_dir
from newsletter.web import create_app

ENV = {"NEWSLETTER_SECRET": SECRET}
BASE = "https://news.example.org/"
CONFIG = """
[site]
base_url = "{base}"
languages = ["en", "el", "fr"]

[translation]
engines = []

[smtp]
host = "127.0.0.1"
port = {port}
sender = "City Networks Digest <digest@news.example.org>"
timeout = 5
"""
LINK = re.compile(re.escape(BASE) + r"(?:confirm|unsubscribe)\?token=\S+")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_project(tmp_path_factory.mktemp("readers"), CONFIG.format(base=BASE, port=25))


@pytest.fixture
def settings(seeded: Path, tmp_path: Path, sink: Sink) -> Settings:
    """The seed project, localised without engines and built, sending to `sink`."""
    folder = copy_project(seeded, tmp_path).project_dir
    (folder / "newsletter.toml").write_text(
        CONFIG.format(base=BASE, port=sink.port), "utf-8")
    settings = load_settings(folder)
    stage.run(settings, engines={})
    build.run(settings, today=date(2021, 6, 7), workers=1)
    return settings


def status(settings: Settings, email: str) -> str | None:
    with SubscriberStore.open(settings.subscribers_db) as store:
        found = store.get(email)
    return found.status if found else None


def served(url: str, base: str) -> str:
    """A link of the site at the address the test serves it on."""
    assert url.startswith(BASE), url
    return f"{base}/{url[len(BASE):]}"


def link_in(sink: Sink, index: int) -> str:
    found = LINK.search(sink.received[index].message.get_content())
    assert found, sink.received[index].message.get_content()
    return found.group(0)


def test_a_reader_subscribes_confirms_and_unsubscribes(settings: Settings, sink: Sink,
                                                      tmp_path: Path) -> None:
    app = create_app(settings, environ=ENV)
    with serving(app) as base, chromium(tmp_path) as browser:
        page = browser.new_page()
        # From the built site's Greek index to the form, by its link.
        page.goto(f"{base}/el/")
        href = page.locator("a.subscribe-link").get_attribute("href")
        assert href == f"{BASE}el/subscribe"
        page.goto(served(href, base))
        assert page.locator("html").get_attribute("lang") == "el"
        assert page.locator("#language option:checked").inner_text() == "Ελληνικά"

        page.fill("#email", "Maria@Example.org")
        page.select_option("#language", "fr")
        page.click("form.subscribe-form button[type=submit]")
        page.wait_for_url(f"{base}/fr/subscribe/check-your-email")
        assert page.locator("html").get_attribute("lang") == "fr"
        assert status(settings, "maria@example.org") == "pending"
        assert sink.count() == 1
        assert sink.received[0].message["Content-Language"] == "fr"

        # The link from the email, opened as the reader would: a button, then confirmed.
        response = page.goto(served(link_in(sink, 0), base))
        assert response is not None and response.status == 200
        assert page.locator("html").get_attribute("lang") == "fr"
        assert status(settings, "maria@example.org") == "pending"
        with page.expect_navigation():
            page.click("form.confirm-form button[type=submit]")
        assert page.locator("html").get_attribute("lang") == "fr"
        assert status(settings, "maria@example.org") == "confirmed"
        feeds = page.locator("main a[type='application/rss+xml']").get_attribute("href")
        assert feeds == f"{BASE}feeds/fr/rss.xml"

        # Asking again: the same page, and an email with the unsubscribe link.
        page.goto(f"{base}/fr/subscribe")
        page.fill("#email", "maria@example.org")
        page.click("form.subscribe-form button[type=submit]")
        page.wait_for_url(f"{base}/fr/subscribe/check-your-email")
        assert sink.count() == 2
        unsubscribe_link = link_in(sink, 1)
        assert "/unsubscribe?token=" in unsubscribe_link
        assert status(settings, "maria@example.org") == "confirmed"

        # Opening the unsubscribe link only shows the button; the button unsubscribes.
        page.goto(served(unsubscribe_link, base))
        assert page.locator("html").get_attribute("lang") == "fr"
        assert status(settings, "maria@example.org") == "confirmed"
        with page.expect_navigation():
            page.click("form.unsubscribe-form button[type=submit]")
        french = load_catalog(resource_dir("locales"), "fr")
        assert page.locator("h1").inner_text() == french.gettext("You are unsubscribed")
        assert status(settings, "maria@example.org") == "unsubscribed"


def test_a_mail_providers_one_click_post_unsubscribes(settings: Settings,
                                                      tmp_path: Path) -> None:
    with SubscriberStore.open(settings.subscribers_db) as store:
        sam = store.add("sam@example.org", "en", status="confirmed")
    url = unsubscribe_url(settings, SECRET.encode(), sam.id)
    with serving(create_app(settings, environ=ENV)) as base:
        # As Gmail sends it: no cookie, no CSRF token, the RFC 8058 body.
        request = urllib.request.Request(
            served(url, base), data=b"List-Unsubscribe=One-Click", method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200
            assert answer.read()
    assert status(settings, "sam@example.org") == "unsubscribed"
