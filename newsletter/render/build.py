"""The render stage: per language, feeds, calendar, and the site pages they link to.

For each configured language it writes

    feeds/<lang>/rss.xml, atom.xml          the newest `feeds.max_items` items
    feeds/<lang>/<filter>/rss.xml, atom.xml one pair per `[feeds.filtered.<name>]`
    feeds/<lang>/events.ics                 upcoming events and recent ones
    site/<lang>/index.html, <id>.html       the pages every feed entry links to
    site/<lang>/<id>.ics                    each event's "add to calendar" file

and `feeds/index.opml` listing every feed. Output depends on the content, the
localised items, templates, catalogs and settings only (dates come from the
content, never the clock), so a rebuild with nothing changed writes nothing:
each file is compared before it is replaced (atomically), and a language
whose inputs all hash as last time is not rendered at all. Files of items
that are gone are removed.

The calendar window is the one input that moves by itself: `today` decides
which past events are still in it, and is part of the language's input hash.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple
from xml.etree import ElementTree

from newsletter import __version__
from newsletter.config import FeedFilter, Settings
from newsletter.content import atomic_write, source_item_paths, write_if_changed
from newsletter.localise.notices import language_name
from newsletter.localise.store import localised_path
from newsletter.messages import Message, load_catalog, msg
from newsletter.model import NewsItem
from newsletter.render.environment import template_environment
from newsletter.render.views import (
    ATOM_FILE,
    CALENDAR_FILE,
    RSS_FILE,
    ItemView,
    SiteLayout,
    load_items,
    load_views,
)
from newsletter.resources import resource_dir

STATE_FILE = "build-state.json"
PARALLEL_ITEM_LANGUAGES = 2000
"""Below this many item-languages, starting worker processes costs more than it saves."""
OUTPUT_SUFFIXES = (".html", ".ics", ".xml")
"""What the build owns in its folders: anything else there is left alone."""

ProgressCallback = Callable[[Message, int, int], None]


@dataclass
class BuildReport:
    written: list[Path] = field(default_factory=list)
    unchanged: int = 0
    removed: list[Path] = field(default_factory=list)
    skipped_languages: list[str] = field(default_factory=list)
    """Languages whose inputs had not changed: nothing rendered."""


def run(settings: Settings, *, today: date, languages: list[str] | None = None,
        workers: int | None = None, on_progress: ProgressCallback | None = None) -> BuildReport:
    """Render every language (or `languages`) into the feeds and site folders.

    Languages render in parallel worker processes (`workers`, default: one per core)
    when there is enough work to pay for starting them; each worker writes its own
    language's files, this process keeps the state and removes stale files.
    """
    report = BuildReport()
    state_path = settings.data_dir / STATE_FILE
    state = _read_state(state_path)
    layout = SiteLayout(settings.base_url)
    chosen = languages or list(settings.languages)
    common = _common_hash(settings, today)
    pending: dict[str, str] = {}
    for language in chosen:
        key = _language_hash(common, settings, language)
        expected = _expected_outputs(settings, language)
        if state.get(language) == key and all(path.exists() for path in expected):
            report.skipped_languages.append(language)
        else:
            pending[language] = key
    if pending:
        items = load_items(settings)
        if workers is None:
            enough = len(items) * len(pending) >= PARALLEL_ITEM_LANGUAGES
            workers = min(os.cpu_count() or 1, len(pending)) if enough else 1
        for result in _render_languages(settings, layout, today, items, list(pending), workers,
                                        on_progress):
            report.written.extend(result.written)
            report.unchanged += result.unchanged
            _remove_stale(settings, result.language, result.produced, report)
            state[result.language] = pending[result.language]
            _write_state(state_path, state)  # after each language: an interrupted build resumes
    if write_if_changed(settings.feeds_dir / "index.opml", render_opml(settings, layout)):
        report.written.append(settings.feeds_dir / "index.opml")
    else:
        report.unchanged += 1
    return report


@dataclass
class _LanguageResult:
    language: str
    produced: set[Path] = field(default_factory=set)
    written: list[Path] = field(default_factory=list)
    unchanged: int = 0


def _render_languages(settings: Settings, layout: SiteLayout, today: date,
                      items: list[NewsItem], languages: list[str], workers: int,
                      on_progress: ProgressCallback | None) -> Iterator[_LanguageResult]:
    """Each language's result as it completes, rendered here or in `workers` processes.

    Progress is reported once per language: here, as each one starts (named); in
    workers, as each one completes (they run at once, so none is "the" current one).
    """
    if workers <= 1:
        for index, language in enumerate(languages):
            if on_progress:
                on_progress(msg("Rendering {language}", language=language), index,
                            len(languages))
            yield _render_language(settings, layout, language, today, items)
        return
    # spawn, not fork: the caller may run threads (a progress bar) that fork would copy mid-lock.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_render_language, settings, layout, language, today, items)
                   for language in languages]
        for done, future in enumerate(as_completed(futures), start=1):
            result = future.result()
            if on_progress:
                on_progress(msg("Rendering"), done, len(languages))
            yield result


def _render_language(settings: Settings, layout: SiteLayout, language: str, today: date,
                     items: list[NewsItem]) -> _LanguageResult:
    """Render one language; runs in this process or in a worker, so it returns what it did."""
    from newsletter.render import feeds, ics, site

    catalog = load_catalog(resource_dir("locales"), language)
    views = load_views(settings, language, items)
    environment = template_environment(language, catalog, html=True)
    result = _LanguageResult(language)
    produced = result.produced

    def write(path: Path, data: bytes) -> None:
        produced.add(path)
        if write_if_changed(path, data):
            result.written.append(path)
        else:
            result.unchanged += 1

    feed_dir = settings.feeds_dir / language
    for spec in _feed_specs(settings):
        selected = _feed_items(views, spec.feed_filter, settings.feed_max_items)
        prefix = spec.prefix
        for file_name, render in ((RSS_FILE, feeds.render_rss), (ATOM_FILE, feeds.render_atom)):
            info = feeds.FeedInfo(
                language=language, title=spec.title,
                description=msg("News on migrant integration, equality and local democracy "
                                "from European cities and regions").render(catalog),
                self_url=layout.feed_url(language, prefix + file_name),
                site_url=layout.index_url(language),
                alternates={lang: layout.feed_url(lang, prefix + file_name)
                            for lang in settings.languages})
            write(feed_dir / prefix / file_name, render(info, selected, catalog))
    write(feed_dir / CALENDAR_FILE, ics.render_calendar(
        views, name=settings.site_name, language=language, catalog=catalog, today=today,
        past_days=settings.events_past_days))

    page_dir = settings.site_dir / language
    for view in views:
        page = site.render_item_page(environment, view, site_name=settings.site_name,
                                     layout=layout, languages=settings.languages)
        write(page_dir / f"{view.item.id}.html", page.encode("utf-8"))
        if view.event_url:
            write(page_dir / f"{view.item.id}.ics", ics.render_event(view, catalog=catalog))
    index = site.render_index_page(environment, views, language=language,
                                   site_name=settings.site_name, layout=layout,
                                   languages=settings.languages)
    write(page_dir / "index.html", index.encode("utf-8"))
    return result


class FeedSpec(NamedTuple):
    """One feed pair (RSS and Atom) of every language."""

    name: str
    """"" for the main feed, else the `[feeds.filtered.<name>]` name."""
    prefix: str
    """Folder of its files inside the language's feeds folder: "" or "<name>/"."""
    title: str
    feed_filter: FeedFilter | None
    """Which items it keeps; None: all."""


def _feed_specs(settings: Settings) -> Iterator[FeedSpec]:
    """The main feed, then each filtered feed by name."""
    filters: list[tuple[str, FeedFilter | None]] = [("", None),
                                                    *sorted(settings.feed_filters.items())]
    for name, feed_filter in filters:
        if not name:
            yield FeedSpec(name, "", settings.site_name, feed_filter)
        else:
            yield FeedSpec(name, f"{name}/", f"{settings.site_name} · {name}", feed_filter)


def _feed_items(views: Sequence[ItemView], feed_filter: FeedFilter | None,
                limit: int) -> list[ItemView]:
    """The newest `limit` of `views` (newest first) that `feed_filter` keeps."""
    kept = [v for v in views
            if feed_filter is None or feed_filter.keeps(v.item.kind, v.item.source_org)]
    return kept[:limit]


def render_opml(settings: Settings, layout: SiteLayout) -> bytes:
    """OPML 2.0 listing every feed of every language, for feed readers that import lists."""
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = settings.site_name
    body = ElementTree.SubElement(root, "body")
    specs = list(_feed_specs(settings))
    for language in settings.languages:
        group = ElementTree.SubElement(body, "outline", text=language_name(language, language),
                                       language=language)
        for spec in specs:
            for file_name, kind in ((RSS_FILE, "rss"), (ATOM_FILE, "atom")):
                label = f"{spec.title} ({kind})"
                ElementTree.SubElement(group, "outline", type=kind, text=label, title=label,
                                       language=language,
                                       xmlUrl=layout.feed_url(language, spec.prefix + file_name),
                                       htmlUrl=layout.index_url(language))
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _expected_outputs(settings: Settings, language: str) -> list[Path]:
    feed_dir = settings.feeds_dir / language
    return [feed_dir / RSS_FILE, feed_dir / ATOM_FILE, feed_dir / CALENDAR_FILE,
            settings.site_dir / language / "index.html"]


def _common_hash(settings: Settings, today: date) -> str:
    """What every language's output is made from, hashed from the files as stored."""
    digest = hashlib.sha256()
    digest.update(repr((__version__, today.isoformat(), settings.site_name, settings.base_url,
                        settings.languages, settings.feed_max_items, settings.events_past_days,
                        sorted(settings.feed_filters.items()))).encode("utf-8"))
    for path in source_item_paths(settings.content_dir):
        digest.update(path.name.encode("utf-8"))
        digest.update(path.read_bytes())
    for folder in (resource_dir("templates"), resource_dir("locales")):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in (".html", ".md", ".txt", ".po", ".mo"):
                digest.update(str(path.relative_to(folder)).encode("utf-8"))
                digest.update(path.read_bytes())
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(module.read_bytes())  # a changed renderer is a changed input
    return digest.hexdigest()


def _language_hash(common: str, settings: Settings, language: str) -> str:
    """`common` plus the language's localised items."""
    digest = hashlib.sha256(f"{common}\n{language}\n".encode())
    for path in source_item_paths(settings.content_dir):
        localised = localised_path(settings.data_dir, language, path.stem)
        digest.update(localised.read_bytes() if localised.exists() else b"-")
    return digest.hexdigest()


def _read_state(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_state(path: Path, state: dict[str, str]) -> None:
    atomic_write(path, (json.dumps(state, indent=1, sort_keys=True) + "\n").encode())


def _remove_stale(settings: Settings, language: str, produced: set[Path],
                  report: BuildReport) -> None:
    """Delete the build's own files (by suffix) that this build did not produce."""
    for folder in (settings.feeds_dir / language, settings.site_dir / language):
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in OUTPUT_SUFFIXES and path not in produced:
                path.unlink()
                report.removed.append(path)
