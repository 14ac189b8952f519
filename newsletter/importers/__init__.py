"""The import stage: page files in, item files under `content/` out.

`run()` is the entry point. Each page goes to the first importer that
recognises it; a page nobody recognises, or one that breaks its importer's
expectations, is named, skipped and reported, and the rest still import.
Writing never overwrites an item an editor changed since it was imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from newsletter.config import Settings
from newsletter.content import ContentError, fingerprint, item_path, load_item, save_item
from newsletter.importers import cemr, cor, eurocities
from newsletter.importers.base import ImportContext, Importer
from newsletter.importers.language import LanguageDetector
from newsletter.importers.page import PageError, read_page
from newsletter.messages import Message, msg
from newsletter.model import ImportRecord, NewsItem

IMPORTERS: tuple[Importer, ...] = (cor, cemr, eurocities)  # type: ignore[assignment]

Status = Literal["new", "updated", "unchanged", "conflict"]


@dataclass(frozen=True)
class PageResult:
    """What one page yielded: its items, or nothing and the reason."""

    path: Path
    importer: str | None
    """Name of the importer that recognised the page; None when none did."""
    items: tuple[NewsItem, ...] = ()
    error: Message | None = None
    """Why the page yielded nothing; None when it imported."""


@dataclass(frozen=True)
class ItemResult:
    """What happened to one item in the content folder."""

    item: NewsItem
    page: Path
    """The page it came from."""
    path: Path
    """Its file in the content folder."""
    status: Status
    problem: Message | None = None
    """For a conflict: why the file was left alone."""


@dataclass
class ImportReport:
    pages: list[PageResult] = field(default_factory=list)
    items: list[ItemResult] = field(default_factory=list)

    @property
    def failed_pages(self) -> list[PageResult]:
        return [page for page in self.pages if page.error is not None]

    def count(self, status: Status) -> int:
        return sum(1 for result in self.items if result.status == status)

    @property
    def warning_count(self) -> int:
        return sum(len(result.item.warnings) for result in self.items)


def make_context(settings: Settings) -> ImportContext:
    """The services importers need, built once per run."""
    return ImportContext(
        timezone_for=settings.timezone_for,
        detect_language=LanguageDetector(),
        fallback_language=settings.source_language,
    )


def page_files(paths: Iterable[Path]) -> list[Path]:
    """The files named, with folders expanded to the visible files inside them, sorted."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*")
                                if p.is_file() and not p.name.startswith(".")))
        else:
            files.append(path)
    return files


def parse_page(path: Path, context: ImportContext,
               importers: Sequence[Importer] = IMPORTERS) -> PageResult:
    """Read and parse one page; never raises for a bad page."""
    try:
        page = read_page(path)
    except PageError as error:
        return PageResult(path, None, error=error.message)
    importer = next((imp for imp in importers if imp.recognise(page)), None)
    if importer is None:
        return PageResult(path, None, error=msg(
            "not a page the importer recognises (expected a CEMR news page, a EUROCITIES "
            "listing or a Committee of the Regions event page)"))
    try:
        items = importer.parse(page, context)
    except PageError as error:
        return PageResult(path, importer.NAME, error=error.message)
    return PageResult(path, importer.NAME, items=tuple(items))


def run(settings: Settings, paths: Sequence[Path], *, dry_run: bool = False,
        context: ImportContext | None = None,
        on_page: Callable[[Path], None] | None = None) -> ImportReport:
    """Import `paths` (files or folders) into the content folder.

    With `dry_run`, nothing is written; the report says what would happen.
    `on_page` is called before each page, for progress display.
    """
    context = context or make_context(settings)
    report = ImportReport()
    claimed: dict[str, str] = {}  # item id -> import key of the item holding it in this run
    seen_keys: set[str] = set()
    for path in page_files(paths):
        if on_page:
            on_page(path)
        result = parse_page(path, context)
        report.pages.append(result)
        for item in result.items:
            assert item.imported is not None
            if item.imported.key in seen_keys:
                continue  # the same page named twice
            seen_keys.add(item.imported.key)
            item, stored = _place(item, settings.content_dir, claimed)
            claimed[item.id] = item.imported.key  # type: ignore[union-attr]
            report.items.append(_store(item, stored, path, settings.content_dir, dry_run))
    return report


@dataclass(frozen=True)
class _Stored:
    """What the content folder holds at an item's path."""

    item: NewsItem | None = None
    error: ContentError | None = None

    @property
    def owner_key(self) -> str | None:
        """Import key of the stored item: None for no readable file, '' for one not imported by us."""
        if self.item is None:
            return None
        return self.item.imported.key if self.item.imported else ""


def _stored(path: Path) -> _Stored:
    if not path.exists():
        return _Stored()
    try:
        return _Stored(item=load_item(path))
    except ContentError as error:
        return _Stored(error=error)


def _place(item: NewsItem, content_dir: Path, claimed: dict[str, str]) -> tuple[NewsItem, _Stored]:
    """Keep the title's slug unless another item holds it; then add the key's start."""
    assert item.imported is not None
    key = item.imported.key
    stored = _stored(item_path(content_dir, item.id))
    # An unreadable file (owner None) may be this very item, broken by an
    # editor: keep the id, so storing reports the conflict instead of writing a twin.
    owner = claimed.get(item.id, stored.owner_key)
    if owner is None or owner == key:
        return item, stored
    item = replace(item, id=f"{item.id}-{key[:6]}")
    return item, _stored(item_path(content_dir, item.id))


def _store(item: NewsItem, stored: _Stored, page: Path, content_dir: Path,
           dry_run: bool) -> ItemResult:
    assert item.imported is not None
    item = replace(item, imported=replace(item.imported, fingerprint=fingerprint(item)))
    path = item_path(content_dir, item.id)
    status: Status = "new"
    if stored.error is not None:
        return ItemResult(item, page, path, "conflict", msg(
            "the file cannot be read ({problem}); it was not overwritten",
            problem=stored.error.render()))
    if stored.item is not None:
        record: ImportRecord | None = stored.item.imported
        if record is None or fingerprint(stored.item) != record.fingerprint:
            return ItemResult(item, page, path, "conflict", msg(
                "the file was edited since it was imported; it was not overwritten "
                "(move it away to import the page again)"))
        if record.fingerprint == item.imported.fingerprint:
            return ItemResult(item, page, path, "unchanged")
        status = "updated"
    if not dry_run:
        save_item(item, content_dir)
    return ItemResult(item, page, path, status)
