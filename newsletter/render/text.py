"""One localised item as Markdown text, for the terminal and plain-text parts."""

from __future__ import annotations

import gettext

from newsletter.render.environment import template_environment
from newsletter.render.views import ItemView


def render_item_text(view: ItemView, catalog: gettext.NullTranslations) -> str:
    """The item as a reader of `view.language` sees it, notice included.

    The title, lead, programme, links and notice are the view's, as on the site and in
    the feeds (the notice links to the same original); the body is the localised
    Markdown, not the view's HTML.
    """
    environment = template_environment(view.language, catalog, html=False)
    return environment.get_template("text/item.md").render(
        item=view.item, title=view.title, lead=view.lead, body=view.localised.text("body"),
        agenda=view.agenda, links=view.links, notice=view.notice)
