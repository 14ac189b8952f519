"""Per-language RSS 2.0 and Atom 1.0 feeds of item views, with feedgen.

One `ItemView` becomes one entry (`_add_entry`); the caller passes the views
already chosen and ordered (newest first) and gets bytes back to write.

Three things feedgen would get wrong on its own are settled here:

- Links. feedgen 1.0.0 drops `rel`, `type` and `hreflang` from entry links
  (python-feedgen issue #135) and takes the RSS channel `<link>` from the last
  feed link added. So feedgen is given a single link, the language's index
  page (the channel link RSS requires), and every other link is written by
  one small extension, `_Links`, registered on the feed and its entries.
- The clock. feedgen stamps feeds and entries with the current time unless
  told otherwise; every date here comes from the views (`ItemView.updated`),
  the feed's from its newest entry, `EPOCH` for an empty feed, so an
  unchanged input gives the same bytes and the build writes nothing.
- The generator. feedgen names itself with its version, which would change
  every feed when it is upgraded; the feeds name this tool, without a version.

Text is plain and escaped by lxml; the entry's HTML is built here from
escaped pieces and the views' already sanitised `body_html`. Characters that
XML 1.0 cannot carry (control characters from scraped pages) are dropped,
because lxml refuses them and one bad title must not sink a language's feed.
"""

from __future__ import annotations

import gettext
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any, Literal

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from newsletter.localise.formatting import format_event_when, format_event_where, text_direction
from newsletter.messages import msg
from newsletter.render.views import EPOCH, ItemView

Format = Literal["rss", "atom"]

ATOM_NS = "http://www.w3.org/2005/Atom"
GENERATOR = "newsletter"
"""What the feeds say made them; no version, so upgrades leave unchanged feeds alone."""
FEED_TYPES: Mapping[Format, str] = {"rss": "application/rss+xml", "atom": "application/atom+xml"}
PAGE_TYPE = "text/html"
CALENDAR_TYPE = "text/calendar"
LINKS_EXTENSION = "newsletter_links"
"""Name the `_Links` extension is registered under on the feed and on each entry."""
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 does not allow; lxml raises on them."""


@dataclass(frozen=True)
class FeedInfo:
    """What a feed says about itself, for one language and one format."""

    language: str
    """The readers' language (BCP 47), as in the config."""
    title: str
    """Already localised by the caller."""
    description: str
    """Already localised by the caller."""
    self_url: str
    """This feed file's URL."""
    site_url: str
    """The language's index page: the RSS channel link and the Atom feed's alternate."""
    alternates: Mapping[str, str]
    """The same feed in every configured language (this one may be included), by language."""


def render_rss(feed: FeedInfo, views: Sequence[ItemView],
               catalog: gettext.NullTranslations) -> bytes:
    """RSS 2.0 of `views` (newest first) for readers of `feed.language`.

    Each item's `<description>` holds the full HTML (notice, event, lead, body);
    the organisation is `dc:creator`, since RSS's `<author>` must be an email address.
    """
    return _generator(feed, views, catalog, "rss").rss_str(pretty=True)


def render_atom(feed: FeedInfo, views: Sequence[ItemView],
                catalog: gettext.NullTranslations) -> bytes:
    """Atom 1.0 of `views` (newest first) for readers of `feed.language`.

    Each entry links to its page in every configured language (`hreflang`), has
    the lead as `<summary>` and the full HTML as `<content type="html">`.
    """
    return _generator(feed, views, catalog, "atom").atom_str(pretty=True)


class _Links(BaseEntryExtension):
    """The links of a feed or of one entry, written with all their attributes.

    feedgen's own entry links lose everything but `href`, and its RSS channel link
    depends on the order links were added in; so links other than the channel's
    go through here. In Atom each becomes a `<link>`. In RSS the feed's become
    `<atom:link>` in the channel (as feedgen writes its self link); an item gets
    a plain `<link>` to its page (its first alternate), since an RSS item has room
    for one address only.
    """

    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []
        """`href`, `rel` and optional `type` and `hreflang` of each link, in order."""

    def add(self, href: str, rel: str, media_type: str | None = None,
            hreflang: str | None = None) -> None:
        link = {"href": _xml_text(href), "rel": rel}
        if media_type:
            link["type"] = media_type
        if hreflang:
            link["hreflang"] = hreflang
        self.links.append(link)

    def extend_atom(self, element: Any) -> Any:
        # feedgen builds Atom documents in no namespace (with a literal xmlns
        # attribute on <feed>), so plain `link` names land in Atom's namespace.
        for link in self.links:
            etree.SubElement(element, "link", link)
        return element

    def extend_rss(self, element: Any) -> Any:
        if element.tag == "rss":  # the feed: links go in its channel
            channel = element.find("channel")
            for link in self.links:
                etree.SubElement(channel, f"{{{ATOM_NS}}}link", link)
        else:  # an item: its page
            page = next((link for link in self.links if link["rel"] == "alternate"), None)
            if page is not None:
                etree.SubElement(element, "link").text = page["href"]
        return element


def _links(owner: FeedGenerator | FeedEntry) -> _Links:
    links = getattr(owner, LINKS_EXTENSION)
    assert isinstance(links, _Links)
    return links


def _generator(feed: FeedInfo, views: Sequence[ItemView], catalog: gettext.NullTranslations,
               dialect: Format) -> FeedGenerator:
    """A FeedGenerator holding the feed, in the shape `dialect` wants it."""
    generator = FeedGenerator()
    generator.register_extension(LINKS_EXTENSION, _Links, _Links)
    if dialect == "rss":
        generator.load_extension("dc", atom=False, rss=True)
    generator.id(_xml_text(feed.self_url))
    generator.title(_xml_text(feed.title))
    generator.description(_xml_text(feed.description))  # Atom <subtitle> too
    generator.language(feed.language)
    generator.generator(GENERATOR)
    # The only link feedgen gets: it becomes the RSS channel <link> (feedgen takes
    # the last one added) and, with its attributes, the Atom feed's alternate.
    generator.link(href=_xml_text(feed.site_url), rel="alternate", type=PAGE_TYPE,
                   hreflang=feed.language)
    links = _links(generator)
    links.add(feed.self_url, "self", FEED_TYPES[dialect])
    for language, url in feed.alternates.items():
        if language != feed.language:
            links.add(url, "alternate", FEED_TYPES[dialect], language)

    newest = max((view.updated for view in views), default=EPOCH)
    generator.updated(newest)
    generator.lastBuildDate(newest)
    generator.pubDate(newest)
    for view in views:
        _add_entry(generator, view, catalog, dialect)
    return generator


def _add_entry(generator: FeedGenerator, view: ItemView, catalog: gettext.NullTranslations,
               dialect: Format) -> None:
    """One view as one entry: identity, text, links, categories, author and dates."""
    item = view.item
    entry = generator.add_entry(order="append")
    entry.guid(view.guid, permalink=True)  # the guid is the page's address
    # Feeds need a title; a reader's may be blank, or made of characters XML refuses.
    entry.title(_xml_text(view.title).strip() or _xml_text(item.title).strip() or item.id)
    content = _xml_text(_content_html(view, catalog))
    if dialect == "atom":
        entry.content(content, type="html")
        summary = _summary(view)
        if summary:
            entry.summary(summary)
        entry.author(name=_xml_text(item.source_org_name or item.source_org))
    else:
        entry.description(content)
        entry.dc.dc_creator(_xml_text(item.source_org_name or item.source_org))
    for term in dict.fromkeys(t.strip() for t in (item.section, *item.tags)):
        if term:
            entry.category(term=_xml_text(term))

    links = _links(entry)
    links.add(view.url, "alternate", PAGE_TYPE)
    if dialect == "atom":
        for language, url in _translations(view).items():
            links.add(url, "alternate", PAGE_TYPE, language)
        if item.source_url:
            links.add(item.source_url, "related", PAGE_TYPE)
        if view.event_url:
            links.add(view.event_url, "related", CALENDAR_TYPE)

    entry.updated(view.updated)
    if item.published is not None:
        entry.published(datetime.combine(item.published, time(0), UTC))
    elif dialect == "rss":  # RSS has only <pubDate> to date (and order) an item by
        entry.pubDate(view.updated)


def _translations(view: ItemView) -> dict[str, str]:
    """The item's page in every language, by language, the reader's own last.

    Feed readers pick an entry's address from its `alternate` links: most take the
    first, feedparser the last. The entry's own page comes first without `hreflang`,
    then this list ends with it again; so both kinds open the page in the
    reader's language, and no two links share a type and `hreflang` (RFC 4287).
    """
    others = {language: url for language, url in view.alternates.items()
              if language != view.language}
    return {**others, view.language: view.url}


def _content_html(view: ItemView, catalog: gettext.NullTranslations) -> str:
    """The entry's full HTML: notice, event, lead, body, programme and related links.

    The notice comes first, so a reader knows the text is a machine's (or not yet
    translated) before reading it. Everything but `body_html` is plain text
    escaped here; `body_html` is sanitised by the views. The wrapper carries the
    reader's writing direction, which feed readers do not take from the feed.
    """
    parts: list[str] = []
    if view.notice is not None:
        notice = f"<em>{_escape(view.notice.text.render(catalog))}</em>"
        if view.notice.url:
            notice += (f' <a href="{_escape(view.notice.url)}">'
                       f"{_escape(view.notice.link_text.render(catalog))}</a>")
        parts.append(f"<p>{notice}</p>")
    event = view.item.event
    if event is not None:
        lines = []
        when = format_event_when(event, view.language, catalog)
        if when:
            lines.append(_escape(msg("When: {when}", when=when).render(catalog)))
        where = format_event_where(event, view.language, catalog)
        if where:
            lines.append(_escape(msg("Where: {where}", where=where).render(catalog)))
        if view.event_url:
            lines.append(f'<a href="{_escape(view.event_url)}" type="{CALENDAR_TYPE}">'
                         f"{_escape(msg('Add to calendar').render(catalog))}</a>")
        if lines:
            parts.append(f"<p>{'<br>'.join(lines)}</p>")
    if view.lead.strip():
        parts.append(f"<p><strong>{_escape(view.lead.strip())}</strong></p>")
    if view.body_html:
        parts.append(view.body_html)
    if view.agenda:
        rows = "".join(f"<li>{_escape(row_time)} {_escape(text)}</li>"
                       for row_time, text in view.agenda)
        parts.append(f"<p><strong>{_escape(msg('Programme').render(catalog))}</strong></p>"
                     f"<ul>{rows}</ul>")
    if view.links:
        rows = "".join(f'<li><a href="{_escape(url)}">{_escape(title or url)}</a></li>'
                       for url, title in view.links)
        parts.append(f"<p><strong>{_escape(msg('Related').render(catalog))}</strong></p>"
                     f"<ul>{rows}</ul>")
    direction = text_direction(view.language)
    return f'<div dir="{direction}">\n' + "\n".join(parts) + "\n</div>"


def _summary(view: ItemView) -> str:
    """The lead, else the body's first paragraph as plain text ("" when neither has text)."""
    return _xml_text(view.summary()[0])


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 cannot hold (NUL, most control characters)."""
    return _NOT_XML.sub("", text)
