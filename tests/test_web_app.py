"""The web application's frame: who may see editor pages, CSRF, headers, the site files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from web_support import EDITOR_TOKEN, SECRET, chromium, serving

from newsletter.config import load_settings
from newsletter.delivery.tokens import SecretError
from newsletter.web import create_app
from newsletter.web.app import WebError

ENV = {"NEWSLETTER_SECRET": SECRET}


@pytest.fixture
def settings(tmp_path: Path):
    (tmp_path / "newsletter.toml").write_text("", "utf-8")  # what a path escape would reach
    settings = load_settings(tmp_path)
    (settings.site_dir / "en").mkdir(parents=True)
    (settings.site_dir / "en" / "index.html").write_text("<p>The site</p>", "utf-8")
    (settings.feeds_dir / "en").mkdir(parents=True)
    (settings.feeds_dir / "en" / "rss.xml").write_text("<rss/>", "utf-8")
    return settings


def test_the_app_needs_the_link_secret(settings) -> None:
    with pytest.raises(SecretError, match="NEWSLETTER_SECRET"):
        create_app(settings, environ={})


def test_listening_beyond_loopback_needs_an_editor_token(settings) -> None:
    with pytest.raises(WebError, match="NEWSLETTER_EDITOR_TOKEN"):
        create_app(settings, host="0.0.0.0", environ=ENV)


def test_editor_pages_are_open_on_loopback_without_a_token(settings) -> None:
    client = create_app(settings, host="127.0.0.1", environ=ENV).test_client()
    assert client.get("/editor/").status_code == 200


def test_editor_pages_refuse_a_request_without_credentials_beyond_loopback(settings) -> None:
    app = create_app(settings, host="0.0.0.0", environ={**ENV, "NEWSLETTER_EDITOR_TOKEN": EDITOR_TOKEN})
    client = app.test_client()
    page = client.get("/editor/")
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/editor/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"',
                     client.get("/editor/login").get_data(as_text=True)).group(1)
    refused = client.post("/editor/2021-W24/en/revoke", data={"csrf_token": csrf})
    assert refused.status_code == 401  # a form from this site, but no editor sent it
    wrong = client.get("/editor/", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 302
    right = client.get("/editor/", headers={"Authorization": f"Bearer {EDITOR_TOKEN}"})
    assert right.status_code == 200


def test_an_editor_logs_in_with_the_token_and_a_csrf_token(settings) -> None:
    app = create_app(settings, host="0.0.0.0", environ={**ENV, "NEWSLETTER_EDITOR_TOKEN": EDITOR_TOKEN})
    client = app.test_client()
    form = client.get("/editor/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)

    without_csrf = client.post("/editor/login", data={"token": EDITOR_TOKEN})
    assert without_csrf.status_code == 400
    assert "did not come from this site" in without_csrf.get_data(as_text=True)
    assert client.get("/editor/").status_code == 302

    wrong = client.post("/editor/login", data={"token": "guess", "csrf_token": csrf})
    assert wrong.status_code == 401
    right = client.post("/editor/login", data={"token": EDITOR_TOKEN, "csrf_token": csrf,
                                               "next": "https://evil.example/"})
    assert right.status_code == 302
    assert right.headers["Location"] == "/editor/"  # never sent off the site
    assert client.get("/editor/").status_code == 200


def test_pages_forbid_scripts_and_framing_by_others(settings) -> None:
    client = create_app(settings, environ=ENV).test_client()
    page = client.get("/editor/")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert page.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_the_built_site_and_feeds_are_served(settings) -> None:
    client = create_app(settings, environ=ENV).test_client()
    assert client.get("/").headers["Location"].endswith("/en/index.html")
    assert client.get("/en/").get_data(as_text=True) == "<p>The site</p>"
    assert client.get("/feeds/en/rss.xml").get_data(as_text=True) == "<rss/>"
    assert client.get("/../newsletter.toml").status_code == 404
    missing = client.get("/en/nothing-here.html")
    assert missing.status_code == 404
    assert "There is no page at this address." in missing.get_data(as_text=True)


def test_error_pages_speak_the_editors_language(settings) -> None:
    client = create_app(settings, environ=ENV).test_client()
    page = client.get("/nothing", headers={"Accept-Language": "el-GR,el;q=0.9,en;q=0.5"})
    assert page.status_code == 404
    assert '<html lang="el"' in page.get_data(as_text=True)


def test_the_pages_open_in_a_real_browser(settings, tmp_path: Path) -> None:
    with serving(create_app(settings, environ=ENV)) as base, chromium(tmp_path) as browser:
        page = browser.new_page()
        response = page.goto(f"{base}/editor/")
        assert response is not None and response.status == 200
        assert page.locator("h1").inner_text() == "Issues"
        # The stylesheet arrived and applied (the policy allows our own).
        colour = page.evaluate("getComputedStyle(document.querySelector('header.bar')).display")
        assert colour == "flex"


def test_open_editor_pages_answer_only_to_this_machines_names(settings) -> None:
    client = create_app(settings, environ=ENV).test_client()
    assert client.get("/editor/", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    assert client.get("/editor/", headers={"Host": "localhost"}).status_code == 200
    rebound = client.get("/editor/", headers={"Host": "attacker.example"})
    assert rebound.status_code == 400


def test_behind_a_proxy_editor_pages_need_a_token(settings) -> None:
    config = settings.project_dir / "newsletter.toml"
    config.write_text('[site]\nbase_url = "https://news.example.org/"\n[serve]\nproxies = 1\n',
                      "utf-8")
    proxied = load_settings(settings.project_dir)
    with pytest.raises(WebError, match=r"serve\.proxies"):
        create_app(proxied, host="127.0.0.1", environ=ENV)


def test_open_editor_pages_do_not_answer_to_the_public_site_name(settings) -> None:
    config = settings.project_dir / "newsletter.toml"
    config.write_text('[site]\nbase_url = "https://news.example.org/"\n', "utf-8")
    client = create_app(load_settings(settings.project_dir), environ=ENV).test_client()
    assert client.get("/editor/", headers={"Host": "news.example.org"}).status_code == 400
    assert client.get("/editor/", headers={"Host": "127.0.0.1:8000"}).status_code == 200


def test_a_new_editor_token_logs_every_editor_out(settings) -> None:
    def app_with(token: str):
        return create_app(settings, host="0.0.0.0",
                          environ={**ENV, "NEWSLETTER_EDITOR_TOKEN": token})

    client = app_with(EDITOR_TOKEN).test_client()
    form = client.get("/editor/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    assert client.post("/editor/login", data={"token": EDITOR_TOKEN,
                                              "csrf_token": csrf}).status_code == 302
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert client.get("/editor/").status_code == 200

    rotated = app_with(EDITOR_TOKEN + "-new").test_client()
    rotated.set_cookie("session", cookie.value)
    assert rotated.get("/editor/").status_code == 302  # the old login is no longer valid
