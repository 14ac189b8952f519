"""Markdown -> HTML that is safe to put in a page, a feed or an email.

Item bodies come from scraped pages and from editors; whatever they hold,
nothing executable may reach a reader. markdown-it renders CommonMark (raw
HTML in the Markdown is passed to the sanitiser, not trusted), then nh3
(ammonia) keeps a fixed set of text tags and http(s)/mailto links, and adds
`rel="noopener noreferrer"` to links.

Also here: what every HTML output writes the same way, the plain text of a body's
first paragraph (`first_paragraph_text`) and the `lang`/`dir` attributes of text
that is not in the reader's language (`lang_attributes`).
"""

from __future__ import annotations

from functools import lru_cache

import lxml.html
import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from newsletter.localise.formatting import text_direction

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


def first_paragraph_text(html: str) -> str:
    """The plain text of the first paragraph of `html` that has any, whitespace collapsed
    ("" when none has). Headings, lists and tables are skipped: they rarely say what an
    item is about."""
    if not html.strip():
        return ""
    fragment = lxml.html.fragment_fromstring(html, create_parent="div")
    for paragraph in fragment.iter("p"):
        text = " ".join(paragraph.text_content().split())
        if text:
            return text
    return ""


def lang_attributes(code: str, reader_language: str) -> Markup:
    """` lang=".." dir=".."` for text in `code` on a page for readers of `reader_language`;
    empty when they are the same.

    An untranslated title on an Arabic page is English: marked as such, screen readers
    pronounce it in English and the browser lays it out left to right inside the
    right-to-left page.
    """
    if code == reader_language:
        return Markup("")
    return Markup(' lang="{code}" dir="{direction}"').format(code=code,
                                                            direction=text_direction(code))
