"""`newsletter build` on the seed pages: every language's feeds and pages, served and read
the way a feed reader does."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.etree import ElementTree

import feedparser
import pytest
from click.testing import CliRunner
from conftest import EXAMPLE_PAGES

from newsletter import importers
from newsletter.cli import cli
from newsletter.config import Settings, load_settings
from newsletter.content import item_path
from newsletter.render import build

CONFIG = """
[site]
base_url = "{base_url}"
languages = ["en", "el", "ar"]

[translation]
engines = []

[feeds.filtered.events]
kinds = ["event"]
"""
CoR_ID = "online-workshop-for-local-and-regional-authorities-setting-up-a-local"
TODAY = "2021-06-01"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class _Handler(SimpleHTTPRequestHandler):
    """Serves the site folder at / and the feeds folder at /feeds/, as the README says."""

    def __init__(self, *args, site: Path, feeds: Path, **kwargs) -> None:
        self.site, self.feeds = site, feeds
        super().__init__(*args, directory=str(site), **kwargs)

    def translate_path(self, path: str) -> str:
        if path.startswith("/feeds/"):
            return str(self.feeds / path.removeprefix("/feeds/").split("?")[0])
        return super().translate_path(path)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("imported")
    (folder / "newsletter.toml").write_text(CONFIG.format(base_url="http://127.0.0.1:1/"),
                                            "utf-8")
    importers.run(load_settings(folder), importers.page_files([EXAMPLE_PAGES]))
    return folder


@pytest.fixture
def server(imported: Path, tmp_path: Path) -> Iterator[tuple[Settings, str]]:
    """A copy of the project whose base URL is a real loopback server over its output."""
    project = tmp_path / "project"
    shutil.copytree(imported, project)
    settings = load_settings(project)
    handler = partial(_Handler, site=settings.site_dir, feeds=settings.feeds_dir)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    base_url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    (project / "newsletter.toml").write_text(CONFIG.format(base_url=base_url), "utf-8")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield load_settings(project), base_url
    httpd.shutdown()
    thread.join()


def run_build(settings: Settings, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["-p", str(settings.project_dir), "build", "--today", TODAY,
                                      *extra], catch_exceptions=False)
    return result.exit_code, result.stderr


def test_build_writes_every_language_and_a_reader_can_follow_every_link(
        server: tuple[Settings, str]) -> None:
    settings, base_url = server
    item_path(settings.content_dir, CoR_ID, "el").write_text(
        "---\ntitle: Διαδικτυακό εργαστήριο για τοπικές αρχές\n---\n", encoding="utf-8")
    code, err = run_build(settings)
    assert code == 0, err
    for language in settings.languages:
        for name in ("rss.xml", "atom.xml", "events.ics", "events/rss.xml", "events/atom.xml"):
            assert (settings.feeds_dir / language / name).is_file(), (language, name)
        assert len(list((settings.site_dir / language).glob("*.html"))) == 15  # 14 + index

    for language in settings.languages:
        for kind in ("rss.xml", "atom.xml"):
            feed = feedparser.parse(f"{base_url}feeds/{language}/{kind}")
            assert not feed.bozo, feed.bozo_exception
            assert feed.status == 200
            assert len(feed.entries) == 14
            # feedparser reads RSS's <language> and Atom's xml:lang into the same key.
            assert feed.feed["language"] == language
            root = ElementTree.fromstring((settings.feeds_dir / language / kind).read_bytes())
            if kind == "rss.xml":
                assert root.findtext("channel/language") == language
            else:
                assert root.get(XML_LANG) == language
            for entry in feed.entries:
                assert entry.link.startswith(f"{base_url}{language}/")
                with _open(entry.link) as response:
                    assert response.status == 200
            if kind == "atom.xml":
                for entry in feed.entries:
                    alternates = {link.get("hreflang"): link.href for link in entry.links
                                  if link.get("rel") == "alternate" and link.get("hreflang")}
                    assert set(alternates) >= set(settings.languages) - {language}
                    for url in alternates.values():
                        with _open(url) as response:
                            assert response.status == 200

    greek = feedparser.parse(f"{base_url}feeds/el/atom.xml")
    titles = {entry.title for entry in greek.entries}
    assert "Διαδικτυακό εργαστήριο για τοπικές αρχές" in titles
    events = feedparser.parse(f"{base_url}feeds/el/events/atom.xml")
    assert {e.link.rsplit("/", 1)[-1] for e in events.entries} >= {f"{CoR_ID}.html"}

    opml = ElementTree.fromstring((settings.feeds_dir / "index.opml").read_bytes())
    urls = {o.get("xmlUrl") for o in opml.iter("outline") if o.get("xmlUrl")}
    assert f"{base_url}feeds/ar/atom.xml" in urls and f"{base_url}feeds/el/events/rss.xml" in urls
    for url in urls:
        with _open(url) as response:
            assert response.status == 200


def _open(url: str):
    from urllib.request import urlopen

    return urlopen(url, timeout=10)


def test_a_rebuild_with_nothing_changed_renders_and_writes_nothing(
        server: tuple[Settings, str]) -> None:
    settings, _ = server
    run_build(settings)
    before = {p: p.read_bytes() for p in [*settings.feeds_dir.rglob("*"),
                                          *settings.site_dir.rglob("*")] if p.is_file()}
    report = build.run(settings, today=__import__("datetime").date.fromisoformat(TODAY))
    assert report.written == [] and report.removed == []
    assert report.skipped_languages == list(settings.languages)
    after = {p: p.read_bytes() for p in [*settings.feeds_dir.rglob("*"),
                                         *settings.site_dir.rglob("*")] if p.is_file()}
    assert after == before


def test_only_changed_files_are_rewritten_and_gone_items_removed(
        server: tuple[Settings, str]) -> None:
    settings, _ = server
    run_build(settings)
    item_path(settings.content_dir, CoR_ID, "el").write_text(
        "---\ntitle: Εργαστήριο\n---\n", encoding="utf-8")
    code, _ = run_build(settings)
    assert code == 0
    from datetime import date

    report = build.run(settings, today=date.fromisoformat(TODAY))
    assert report.written == []
    item_path(settings.content_dir, CoR_ID, "el").write_text(
        "---\ntitle: Εργαστήριο για τις περιφέρειες\n---\n", encoding="utf-8")
    code, err = run_build(settings)
    written = [line.split(" ", 1)[1] for line in err.splitlines() if line.startswith("wrote ")]
    assert any(path.endswith(f"el/{CoR_ID}.html") for path in written), written
    assert not any("/en/" in path or "/ar/" in path for path in written), written
    assert not any(path.endswith(".html") and CoR_ID not in path and "index" not in path
                   for path in written), written

    item_path(settings.content_dir, CoR_ID).unlink()
    code, err = run_build(settings)
    for language in settings.languages:
        assert not (settings.site_dir / language / f"{CoR_ID}.html").exists()
        assert not (settings.site_dir / language / f"{CoR_ID}.ics").exists()
    assert "removed " in err


def test_languages_rendered_in_worker_processes_give_the_same_files(
        server: tuple[Settings, str], tmp_path: Path) -> None:
    from datetime import date

    settings, _ = server
    build.run(settings, today=date.fromisoformat(TODAY), workers=1)
    serial = {p.relative_to(settings.project_dir): p.read_bytes()
              for p in [*settings.feeds_dir.rglob("*"), *settings.site_dir.rglob("*")]
              if p.is_file()}
    shutil.rmtree(settings.feeds_dir)
    shutil.rmtree(settings.site_dir)
    (settings.data_dir / build.STATE_FILE).unlink()
    report = build.run(settings, today=date.fromisoformat(TODAY), workers=2)
    assert len(report.written) == len(serial)
    parallel = {p.relative_to(settings.project_dir): p.read_bytes()
                for p in [*settings.feeds_dir.rglob("*"), *settings.site_dir.rglob("*")]
                if p.is_file()}
    assert parallel == serial
