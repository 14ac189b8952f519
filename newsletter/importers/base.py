"""What every importer is given and what it must provide."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from slugify import slugify

from newsletter.importers.page import PageError, RawPage
from newsletter.messages import msg
from newsletter.model import ImportRecord, ModelError, NewsItem

SLUG_MAX_LENGTH = 80


@dataclass(frozen=True)
class ImportContext:
    """Settings and services an importer needs; nothing else reaches it."""

    timezone_for: Callable[[str], str]
    """Organisation short name -> IANA zone assumed for its unstated times."""
    detect_language: Callable[[str], str | None]
    """Text -> BCP 47 language code, or None when the text is too short to tell."""
    fallback_language: str
    """Language assumed when detection cannot tell."""


class Importer(Protocol):
    """One source shape (a site's kind of page)."""

    NAME: str

    def recognise(self, page: RawPage) -> bool:
        """Whether the page has this shape; cheap, no parsing."""
        ...

    def parse(self, page: RawPage, context: ImportContext) -> list[NewsItem]:
        """The page's items; raises `PageError` when the shape is broken."""
        ...


def make_slug(title: str) -> str:
    """A stable, readable id from a title (any script is transliterated)."""
    slug = slugify(title, max_length=SLUG_MAX_LENGTH, word_boundary=True, save_order=True)
    return slug or "item"


def item_key(source_org: str, title: str, when: date | None, source_url: str | None) -> str:
    """Identity of an item within its source, stable across re-imports of the page."""
    basis = source_url or f"{source_org}|{title}|{when.isoformat() if when else ''}"
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]


def build_item(page: RawPage, when: date | None, **fields: Any) -> NewsItem:
    """A NewsItem with id and import record, turning model errors into page errors."""
    title = fields["title"]
    key = item_key(fields["source_org"], title, when, fields.get("source_url"))
    try:
        return NewsItem(
            id=make_slug(title),
            imported=ImportRecord(page=page.path.name, key=key, fingerprint=""),
            **fields,
        )
    except ModelError as error:
        raise PageError(
            msg("field '{field}': {problem}", field=error.field_name, problem=error.message)
        ) from None


def normalise_url(url: str) -> str:
    """Lower-case the scheme and host (pages sometimes shout them); keep the path as is."""
    parts = urlsplit(url.strip())
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, parts.fragment)
    )


def detect_body_language(context: ImportContext, texts: Sequence[str]) -> str:
    detected = context.detect_language("\n".join(t for t in texts if t))
    return detected or context.fallback_language
