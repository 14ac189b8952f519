"""One localised item as Markdown text, for the terminal and plain-text parts."""

from __future__ import annotations

import gettext

from newsletter.localise.notices import reader_notice
from newsletter.model import LocalisedItem, NewsItem
from newsletter.render.environment import template_environment


def render_item_text(item: NewsItem, localised: LocalisedItem,
                     catalog: gettext.NullTranslations) -> str:
    """The item as a reader of `localised.language` sees it, notice included."""
    environment = template_environment(localised.language, catalog, html=False)
    agenda = [(row.time, localised.text(f"event.agenda[{index}]", row.text))
              for index, row in enumerate(item.event.agenda if item.event else ())]
    links = [(link.url, localised.text(f"links[{index}].title", link.title))
             for index, link in enumerate(item.links)]
    return environment.get_template("text/item.md").render(
        item=item, title=localised.text("title", item.title), lead=localised.text("lead"),
        body=localised.text("body"), agenda=agenda, links=links,
        notice=reader_notice(localised, item.source_url))
