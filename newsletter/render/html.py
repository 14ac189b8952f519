"""Markdown -> HTML that is safe to put in a page, a feed or an email.

Item bodies come from scraped pages and from editors; whatever they hold,
nothing executable may reach a reader. markdown-it renders CommonMark (raw
HTML in the Markdown is passed to the sanitiser, not trusted), then nh3
(ammonia) keeps a fixed set of text tags and http(s)/mailto links, and adds
`rel="noopener noreferrer"` to links.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td",
    "th", "thead", "tr", "ul", "img",
})
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "hreflang"}, "img": {"src", "alt", "title"},
                      "td": {"align"}, "th": {"align"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable("table")


def sanitise_html(html: str) -> str:
    """Only harmless tags, attributes and URL schemes survive; text is kept, escaped."""
    return nh3.clean(html, tags=set(ALLOWED_TAGS), attributes=ALLOWED_ATTRIBUTES,
                     url_schemes=set(URL_SCHEMES), link_rel="noopener noreferrer",
                     strip_comments=True)


@lru_cache(maxsize=4096)
def markdown_to_html(markdown: str) -> str:
    """Sanitised HTML of a Markdown text (cached: untranslated bodies repeat across languages)."""
    return sanitise_html(_MARKDOWN.render(markdown)).strip()
