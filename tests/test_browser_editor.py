"""The editor preview in a real browser: from the issues to an item side by side, a Greek
sentence fixed and saved, and the fix in the Greek issue's email.

Chromium drives the application served by waitress. Set NEWSLETTER_SCREENSHOTS=1 to
also write the side-by-side screenshot the README shows (docs/images/side-by-side.png).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

pytest.importorskip("ctranslate2", reason="ctranslate2 missing: pip install argos-translate-lt")

from conftest import REPO, copy_project
from review_support import HUMAN_BODY, TITLE_EL, CoR_ID
from web_support import SECRET, chromium, serving

from newsletter.config import Settings
from newsletter.localise.human import read_human_edit
from newsletter.web import create_app

WEEK = "2021-W21"
NEW_TITLE = "Διαδικτυακό εργαστήριο: μια τοπική στρατηγική ένταξης με όλους τους φορείς"
VIEWPORT = {"width": 1280, "height": 900}
SCREENSHOT = REPO / "docs" / "images" / "side-by-side.png"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def settings(review_seeds: Path, tmp_path: Path) -> Settings:
    return copy_project(review_seeds, tmp_path)


def title_cell(page):
    return page.locator("#field-title td.translation")


def test_an_editor_fixes_a_greek_title_and_sees_it_in_the_email(settings: Settings,
                                                                 tmp_path: Path) -> None:
    app = create_app(settings, environ={"NEWSLETTER_SECRET": SECRET})
    with serving(app) as base, chromium(tmp_path) as browser:
        page = browser.new_page(viewport=VIEWPORT, locale="en")

        # From the issues, to the week's English issue, to its Greek version, to the event.
        page.goto(f"{base}/editor/")
        page.locator(f'a[href="/editor/{WEEK}/en"]').first.click()
        page.wait_for_url(f"{base}/editor/{WEEK}/en")
        page.locator(f'a[href="/editor/{WEEK}/el"]').first.click()
        page.wait_for_url(f"{base}/editor/{WEEK}/el")
        page.locator(f'a[href="/editor/items/{CoR_ID}/el"]').first.click()
        page.wait_for_url(f"{base}/editor/items/{CoR_ID}/el")

        # The sentences side by side, each translation saying where it came from.
        assert title_cell(page).get_attribute("lang") == "el"
        assert "provenance-machine" in title_cell(page).get_attribute("class")
        assert "Machine translation (argos, en-el@1.0)" in title_cell(page).inner_text()
        body = page.locator("#field-body td.translation")
        assert "Human translation" in body.nth(0).inner_text()
        assert body.nth(0).locator("textarea").input_value() == HUMAN_BODY[0]
        assert "Missing" in body.nth(1).inner_text()
        assert "provenance-machine" in body.nth(2).get_attribute("class")
        shot = tmp_path / "side-by-side.png"
        page.screenshot(path=str(shot), full_page=False)
        assert shot.read_bytes().startswith(PNG) and shot.stat().st_size > 10_000
        if os.environ.get("NEWSLETTER_SCREENSHOTS") == "1":
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            SCREENSHOT.write_bytes(shot.read_bytes())

        # Another language and back, through the switcher.
        page.locator("nav.language-switcher a[hreflang=fr]").click()
        page.wait_for_url(f"{base}/editor/items/{CoR_ID}/fr")
        assert "Missing" in title_cell(page).inner_text()
        assert title_cell(page).get_attribute("lang") == "fr"
        page.locator("nav.language-switcher a[hreflang=el]").click()
        page.wait_for_url(f"{base}/editor/items/{CoR_ID}/el")

        # Fix the Greek title, save, and find it saved after a reload.
        title_cell(page).locator("textarea").fill(NEW_TITLE)
        page.locator("#field-title button[value=save]").click()
        page.wait_for_url(f"{base}/editor/items/{CoR_ID}/el#field-title")
        assert "Saved." in page.locator("p.flash.success").inner_text()
        page.reload()
        assert title_cell(page).locator("textarea").input_value() == NEW_TITLE
        assert "provenance-human" in title_cell(page).get_attribute("class")
        assert "Human translation" in title_cell(page).inner_text()
        assert not page.locator("p.flash").count()  # the message was shown once
        assert read_human_edit(settings.content_dir, CoR_ID, "el").fields["title"] == NEW_TITLE

        # The Greek page on the site has it.
        page.locator(".review-meta a[hreflang=el]").click()
        assert page.locator("h1").inner_text() == NEW_TITLE

        # And so does the Greek issue's email, in its frame.
        page.goto(f"{base}/editor/{WEEK}/el")
        frame = page.frame_locator("iframe")
        assert frame.get_by_text(NEW_TITLE).count() == 1
        assert frame.get_by_text(TITLE_EL).count() == 0


def test_the_side_by_side_page_works_without_the_issue_pages(settings: Settings,
                                                             tmp_path: Path) -> None:
    """The item page on its own: a conflict between two open tabs keeps the typed text."""
    app = create_app(settings, environ={"NEWSLETTER_SECRET": SECRET})
    with serving(app) as base, chromium(tmp_path) as browser:
        first = browser.new_page(viewport=VIEWPORT, locale="en")
        second = browser.new_page(viewport=VIEWPORT, locale="en")
        for tab in (first, second):
            tab.goto(f"{base}/editor/items/{CoR_ID}/el")
        title_cell(first).locator("textarea").fill(NEW_TITLE)
        first.locator("#field-title button[value=save]").click()
        first.wait_for_url(re.compile(r".*#field-title$"))

        agenda = second.locator("#field-event-agenda-0 td.translation textarea")
        agenda.fill("Αρχή της εκδήλωσης")
        second.locator("#field-event-agenda-0 button[value=save]").click()
        second.wait_for_load_state()
        assert "someone else changed this translation" in second.locator(".flash.error").inner_text()
        assert agenda.input_value() == "Αρχή της εκδήλωσης"
        assert title_cell(second).locator("textarea").input_value() == NEW_TITLE
        second.locator("#field-event-agenda-0 button[value=save]").click()  # on purpose now
        second.wait_for_url(re.compile(r".*#field-event-agenda-0$"))
        edit = read_human_edit(settings.content_dir, CoR_ID, "el")
        assert dict(edit.fields) == {"title": NEW_TITLE, "event.agenda[0]": "Αρχή της εκδήλωσης"}
