"""An editor in a real browser (Chromium): from the list of issues into one, across
languages with the switcher, reading the email in its frame, approving it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import seed_project
from web_support import SECRET, chromium, serving

from newsletter.config import load_settings
from newsletter.localise import stage
from newsletter.web import create_app

WEEK = "2021-W24"
CONFIG = """
[site]
base_url = "https://news.example.org/"
languages = ["en", "el", "ar", "es"]

[translation]
engines = []
"""


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    folder = tmp_path / "project"
    folder.mkdir()
    settings = load_settings(seed_project(folder, CONFIG))
    stage.run(settings)
    return settings


def test_an_editor_reads_a_greek_issue_and_approves_it(settings, tmp_path: Path) -> None:
    app = create_app(settings, environ={"NEWSLETTER_SECRET": SECRET})
    with serving(app) as base, chromium(tmp_path) as browser:
        page = browser.new_page()
        page.goto(f"{base}/editor/")
        row = page.locator("tr", has=page.locator(".issue-week", has_text=WEEK))
        row.get_by_role("link", name=re.compile(r"^2021-W24, English: ")).click()
        assert page.url == f"{base}/editor/{WEEK}/en"
        english = page.frame_locator("iframe")
        assert english.locator("text=Week 24, Jun 14").first.is_visible()

        page.locator("nav.issue-languages").get_by_role("link", name="Ελληνικά").click()
        assert page.url == f"{base}/editor/{WEEK}/el"
        current = page.locator('nav.issue-languages a[aria-current="page"]')
        assert current.inner_text() == "Ελληνικά" and current.get_attribute("lang") == "el"
        assert page.locator(".issue-subject").inner_text() == (
            "City Networks Digest — εβδομάδα 24, 14–20 Ιουν 2021")
        greek = page.frame_locator("iframe")
        heading = greek.locator("text=Εβδομάδα 24, 14–20 Ιουν 2021")
        assert heading.is_visible()
        assert greek.locator("html").get_attribute("lang") == "el"
        assert greek.locator("text=Εκδηλώσεις").is_visible()  # "Events", the section heading
        # The frame is sandboxed: nothing in it could run a script even if one slipped in.
        assert page.locator("iframe").get_attribute("sandbox") == ""

        state = page.locator("#state")
        assert "not approved" in state.inner_text()
        page.get_by_label("Your name (optional)").fill("Maria")
        page.get_by_role("button", name="Approve Greek as shown").click()
        assert page.url == f"{base}/editor/{WEEK}/el"
        assert page.locator(".flash.success").inner_text() == "Greek approved for sending as shown."
        assert re.match(r"Approval: approved – Maria, ", page.locator("#state").inner_text())
        assert page.locator("#state").get_attribute("class") == "issue-state approval-approved"

        page.get_by_role("link", name="Issues").first.click()
        cell = page.locator("tr", has=page.locator(".issue-week", has_text=WEEK)) \
            .locator("td", has=page.locator(f'a[href="/editor/{WEEK}/el"]'))
        assert cell.get_attribute("class") == "approval-approved"
        assert cell.inner_text().strip() == "approved"
