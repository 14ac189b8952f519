"""The archive site: each item's page in every reader language, and each language's index.

Every feed entry, calendar event and digest item links to a page here, so a page
has to stand on its own for a reader who arrives from anywhere: it says in the
reader's language when the text is a machine translation or not translated yet
(and links to the original), names every other language version of itself
(`hreflang` links for search engines, a switcher for people), and points to the
language's feeds.

The pages are plain HTML from `templates/site/`, rendered with the reader's
`template_environment` (autoescaping on: only `body_html`, sanitised when the view
was built, is output as markup). URLs come from the views and `SiteLayout`, never
from the templates, so pages, feeds and calendars agree on every address.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from jinja2 import Environment

from newsletter.localise.formatting import Direction, text_direction
from newsletter.localise.notices import language_name
from newsletter.render.views import (
    ATOM_FILE,
    CALENDAR_FILE,
    RSS_FILE,
    ItemView,
    SiteLayout,
    field_attributes,
)


@dataclass(frozen=True)
class LanguageVersion:
    """One language's version of the page being rendered, for the switcher and `hreflang`."""

    code: str
    """BCP 47, as configured."""
    name: str
    """The language's name in that language ("Ελληνικά"): a reader who cannot read the
    current page still finds their own language."""
    direction: Direction
    """How `name` is written, so an Arabic name sits right in a left-to-right list."""
    url: str
    current: bool
    """Whether this is the page being rendered (marked `aria-current`)."""


@dataclass(frozen=True)
class Feeds:
    """The reader language's subscriptions, linked from every page's head and the index."""

    rss: str
    atom: str
    calendar: str


def render_item_page(environment: Environment, view: ItemView, *, site_name: str,
                     layout: SiteLayout, languages: Sequence[str]) -> str:
    """The page of one item for readers of `view.language` (`site/<lang>/<id>.html`).

    `environment` must be the one made for `view.language`: its catalog words the
    interface, and a page mixing two interface languages would be a bug.
    """
    _check_language(environment, view.language)
    urls = {code: view.alternates.get(code) or layout.page_url(code, view.item.id)
            for code in languages}
    return environment.get_template("site/item.html").render(
        view=view, item=view.item, site_name=site_name,
        page_title=f"{view.title} – {site_name}",
        canonical=view.url, index_url=layout.index_url(view.language),
        versions=_versions(urls, view.language), default_url=_default_url(urls, languages),
        feeds=_feeds(layout, view.language), subscribe_url=layout.subscribe_url(view.language),
        text_lang=field_attributes, event_date=_event_date,
    )


def render_index_page(environment: Environment, views: Sequence[ItemView], *, language: str,
                      site_name: str, layout: SiteLayout, languages: Sequence[str]) -> str:
    """The index of `language` (`site/<lang>/index.html`): `views` in the order given
    (`load_views` gives them newest first), each with its date and, when the reader
    gets machine or untranslated text, the item's notice."""
    _check_language(environment, language)
    strays = sorted({view.language for view in views} - {language})
    if strays:
        raise ValueError(f"the {language} index was given views in {', '.join(strays)}")
    urls = {code: layout.index_url(code) for code in languages}
    return environment.get_template("site/index.html").render(
        views=views, site_name=site_name, page_title=site_name,
        canonical=layout.index_url(language), index_url=layout.index_url(language),
        versions=_versions(urls, language), default_url=_default_url(urls, languages),
        feeds=_feeds(layout, language), subscribe_url=layout.subscribe_url(language),
        text_lang=field_attributes, event_date=_event_date,
    )


def _check_language(environment: Environment, language: str) -> None:
    """Refuse to word one language's page with another language's catalog and dates."""
    made_for = environment.globals.get("language")
    if made_for != language:
        raise ValueError(f"a page for {language} readers needs the {language} template "
                         f"environment, not the {made_for} one")


def _versions(urls: Mapping[str, str], current: str) -> list[LanguageVersion]:
    """The switcher's entries and the `hreflang` links, in the configured order, so every
    language version of a page lists the languages the same way."""
    return [LanguageVersion(code, language_name(code, code), text_direction(code), url,
                            code == current)
            for code, url in urls.items()]


def _default_url(urls: Mapping[str, str], languages: Sequence[str]) -> str:
    """The `x-default` version: the first configured language, the site's main one.

    Search engines send readers whose language the site does not serve there, and
    the first language is the one the configuration puts forward for everyone.
    """
    return urls[languages[0]]


def _feeds(layout: SiteLayout, language: str) -> Feeds:
    """The feeds a reader of this page subscribes to: those of the page's language."""
    return Feeds(rss=layout.feed_url(language, RSS_FILE),
                 atom=layout.feed_url(language, ATOM_FILE),
                 calendar=layout.feed_url(language, CALENDAR_FILE))


def _event_date(view: ItemView) -> str | None:
    """The event's start for a `<time datetime>`: the day in the event's own zone, with
    its time and offset for timed events; None for items without an event start."""
    start = view.item.event.start if view.item.event else None
    if isinstance(start, datetime):
        return start.isoformat(timespec="minutes")
    if isinstance(start, date):
        return start.isoformat()
    return None
