"""What every renderer shows of an item for one reader language: an `ItemView`.

Feeds, the calendar, the site and the digest all start from the same view,
so titles, notices, links and dates agree everywhere. The view joins the
source item (dates, links, kind) and its localised fields, and adds where
each language's version lives:

    <base_url><lang>/<id>.html        the item's page (site folder: <lang>/<id>.html)
    <base_url><lang>/<id>.ics         an event's calendar file
    <base_url><lang>/                 the language's index
    <base_url>feeds/<lang>/rss.xml    feeds (feeds folder: <lang>/rss.xml, ...)

So the site folder is published at `base_url` and the feeds folder at
`base_url` + `feeds/`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from markupsafe import Markup

from newsletter.config import Settings
from newsletter.content import fingerprint
from newsletter.localise.notices import Notice, reader_notice
from newsletter.model import LocalisedField, LocalisedItem, NewsItem, localisable_texts, untranslated
from newsletter.render.html import first_paragraph_text, lang_attributes, markdown_to_html

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
RSS_FILE = "rss.xml"
ATOM_FILE = "atom.xml"
CALENDAR_FILE = "events.ics"
"""File names of a language's feeds and calendar, in its feeds folder (`feed_url`)."""
TRANSLATED = frozenset({"human", "machine"})
"""Provenances whose text is in the reader's language; any other is the source text."""


@dataclass(frozen=True)
class SiteLayout:
    """Addresses of everything the build writes, from the configured base URL."""

    base_url: str
    """Ends with '/'."""

    def page_url(self, language: str, item_id: str) -> str:
        return f"{self.base_url}{language}/{item_id}.html"

    def event_url(self, language: str, item_id: str) -> str:
        return f"{self.base_url}{language}/{item_id}.ics"

    def index_url(self, language: str) -> str:
        return f"{self.base_url}{language}/"

    def feed_url(self, language: str, file_name: str) -> str:
        return f"{self.base_url}feeds/{language}/{file_name}"

    def subscribe_url(self, language: str) -> str:
        """The page where readers subscribe to the digest (`newsletter serve`)."""
        return f"{self.base_url}{language}/subscribe"


@dataclass(frozen=True)
class ItemView:
    """One item as a reader of `language` gets it."""

    item: NewsItem
    localised: LocalisedItem
    language: str
    title: str
    lead: str
    body_html: str
    """Sanitised HTML of the localised body."""
    agenda: tuple[tuple[str, str], ...]
    """(time, localised text) per programme row."""
    links: tuple[tuple[str, str], ...]
    """(url, localised title) per related link."""
    url: str
    """This language's page of the item."""
    alternates: Mapping[str, str]
    """Every configured language's page of the item, this one included, by language."""
    original_url: str | None
    """Where the original text can be read: the source language's page, else the source page."""
    event_url: str | None
    """The event's .ics file, for events with a start."""
    notice: Notice | None
    """What the reader must be told (machine translation, not yet translated)."""
    updated: datetime
    """When the item last changed as far as the content says (UTC): its publication date,
    else its event's start, else the newest date of the build (see `build_views`)."""
    guid: str
    """Stable identity of this item in this language, for feed ids and calendar UIDs:
    its page's address (`url`)."""

    def fields_in_order(self) -> list[tuple[str, LocalisedField]]:
        """The localised fields in the source item's order (title, lead, body, programme,
        links), then any others by name."""
        order = {name: index for index, name in enumerate(localisable_texts(self.item))}
        return sorted(self.localised.fields.items(),
                      key=lambda pair: (order.get(pair[0], len(order)), pair[0]))

    def summary(self) -> tuple[str, str]:
        """What feeds and the digest show as the item's summary, and the field it comes
        from: the lead, else the body's first paragraph as plain text ("" when neither has
        text)."""
        if self.lead.strip():
            return self.lead.strip(), "lead"
        return first_paragraph_text(self.body_html), "body"

    def text_language(self, field_name: str) -> str:
        """The language the reader sees `field_name` in: the reader's own when the field
        is translated (by an editor or an engine), else the item's source language.
        Fields the localised item lacks show the source item's text."""
        found = self.localised.fields.get(field_name)
        if found is not None and found.provenance.kind in TRANSLATED:
            return self.language
        return self.item.language


def field_attributes(view: ItemView, field_name: str) -> Markup:
    """`lang`/`dir` attributes for a field of `view` shown in another language than the
    reader's (an untranslated title on an Arabic page); empty otherwise."""
    return lang_attributes(view.text_language(field_name), view.language)


def _own_date(item: NewsItem) -> datetime | None:
    if item.published is not None:
        return datetime.combine(item.published, time(0), UTC)
    start = item.event.start if item.event else None
    if isinstance(start, datetime):
        return start.astimezone(UTC)
    if isinstance(start, date):
        return datetime.combine(start, time(0), UTC)
    return None


def build_views(settings: Settings, language: str, items: Iterable[NewsItem],
                localised: Mapping[str, LocalisedItem]) -> list[ItemView]:
    """Views of `items` for readers of `language`, newest first (ties by id).

    `localised` holds the items' `LocalisedItem`s in `language`, by id; an item
    without one is shown in its source language, marked not yet translated.
    Items without any date of their own take the newest date of the others,
    so a rebuild with unchanged content gives the same dates (never the clock).
    """
    layout = SiteLayout(settings.base_url)
    items = list(items)
    own_dates = [d for d in (_own_date(i) for i in items) if d is not None]
    newest = max(own_dates, default=EPOCH)
    views = []
    for item in items:
        found = localised.get(item.id) or untranslated(item, language, fingerprint(item))
        agenda = tuple((row.time, found.text(f"event.agenda[{index}]", row.text))
                       for index, row in enumerate(item.event.agenda if item.event else ()))
        links = tuple((link.url, found.text(f"links[{index}].title", link.title))
                      for index, link in enumerate(item.links))
        if item.language in settings.languages:
            original = layout.page_url(item.language, item.id)
        else:
            original = item.source_url
        has_event = item.event is not None and item.event.start is not None
        url = layout.page_url(language, item.id)
        views.append(ItemView(
            item=item, localised=found, language=language,
            title=found.text("title", item.title), lead=found.text("lead"),
            body_html=markdown_to_html(found.text("body")),
            agenda=agenda, links=links,
            url=url,
            alternates={lang: layout.page_url(lang, item.id) for lang in settings.languages},
            original_url=original,
            event_url=layout.event_url(language, item.id) if has_event else None,
            notice=reader_notice(found, original),
            updated=_own_date(item) or newest,
            guid=url,
        ))
    views.sort(key=lambda v: (v.updated, v.item.id), reverse=True)
    return views


def load_views(settings: Settings, language: str,
               items: Sequence[NewsItem] | None = None) -> list[ItemView]:
    """Views of every readable source item (or of `items`, loaded once for all languages)
    for `language`, with the localise stage's output (items it has not localised yet
    count as untranslated)."""
    from newsletter.content import ContentError
    from newsletter.localise.store import load_localised, localised_path

    items = load_items(settings) if items is None else items
    localised: dict[str, LocalisedItem] = {}
    for item in items:
        with contextlib.suppress(FileNotFoundError, ContentError):  # then: not yet localised
            localised[item.id] = load_localised(localised_path(settings.data_dir, language,
                                                               item.id))
    return build_views(settings, language, items, localised)


def load_items(settings: Settings) -> list[NewsItem]:
    """Every readable source item; unreadable ones are the localise stage's to report."""
    from newsletter.content import ContentError, load_item, source_item_paths

    items = []
    for path in source_item_paths(settings.content_dir):
        with contextlib.suppress(ContentError):
            items.append(load_item(path))
    return items
