"""CEMR "In-depth news" pages (ccre.org), in English or French.

Shape, top to bottom: organisation line "Name (CODE)" and its subtitle, a
breadcrumb "Home / News / ...", a pager "next > < previous" (or "suivant >
< précédent"), the section line, "Tag - DD.MM.YYYY", the title, the lead
paragraph, then the body. The site appends an SEO spam footer in French,
which is dropped.
"""

from __future__ import annotations

import re

from newsletter.importers.base import ImportContext, build_item, detect_body_language
from newsletter.importers.dates import parse_numeric_date
from newsletter.importers.page import PageError, RawPage, join_wrapped, lines_to_markdown
from newsletter.messages import msg
from newsletter.model import ItemWarning, NewsItem

NAME = "cemr"

ORGANISATION_LINE = re.compile(r"^(?P<name>.*Municipalities and Regions.*?)\s*\((?P<code>CEMR)\)$|"
                               r"^(?P<name_fr>.*Communes et R[ée]gions.*?)\s*\((?P<code_fr>CCRE)\)$")
BREADCRUMB = re.compile(r"^\S.*?(?:\s/\s.+){2,}$")
PAGER = re.compile(r"^\w+\s*>\s*<\s*\w+$")
TAG_DATE = re.compile(r"^(?P<tag>.+?)\s+[-–]\s+(?P<date>[\d./-]+)$")
SEO_SPAM = re.compile(r"Développez vos ventes|référencement|\bSEO\b|conseil marketing",
                      re.IGNORECASE)


def recognise(page: RawPage) -> bool:
    head = [line for line in page.lines[:12] if line.strip()]
    return bool(head) and ORGANISATION_LINE.match(head[0].strip()) is not None


def parse(page: RawPage, context: ImportContext) -> list[NewsItem]:
    lines = [line for line in page.lines if not SEO_SPAM.search(line)]
    cursor = _Cursor(lines)

    organisation = ORGANISATION_LINE.match(cursor.next_line("organisation line"))
    assert organisation is not None  # recognise() matched it
    org_name = (organisation["name"] or organisation["name_fr"]).strip()
    cursor.next_line("organisation subtitle")
    breadcrumb = cursor.next_matching(BREADCRUMB, "breadcrumb ('Home / News / ...')")
    pager = cursor.next_matching(PAGER, "pager ('next > < previous')")
    section = cursor.next_line("section line").strip()
    tag_line = cursor.next_line("'Tag - DD.MM.YYYY' line").strip()
    tag_date = TAG_DATE.match(tag_line)
    if not tag_date:
        raise PageError(msg("the line after the section, {value!r}, is not 'Tag - DD.MM.YYYY'",
                            value=tag_line))
    title = cursor.next_line("title").strip()
    lead_lines = cursor.block()
    body_lines = cursor.rest()

    warnings: list[ItemWarning] = []
    published = parse_numeric_date(tag_date["date"])
    if published.problem:
        warnings.append(ItemWarning("published", published.problem))
    lead = " ".join(line.strip() for line in join_wrapped(lead_lines) if line.strip())
    if not lead:
        warnings.append(ItemWarning("lead", msg("the page has no lead paragraph")))
    body = lines_to_markdown(body_lines)
    if not body:
        warnings.append(ItemWarning("body", msg("the page has no text after the lead; "
                                                "it may have been cut off")))
    chrome = f"{breadcrumb}\n{pager}"
    return [
        build_item(
            page,
            published.value,
            kind="news",
            title=title,
            lead=lead,
            body=body,
            source_org="CEMR",
            source_org_name=org_name,
            section=section,
            published=published.value,
            tags=(tag_date["tag"].strip(),),
            language=detect_body_language(context, [title, lead, body]),
            page_language=context.detect_language(pager) or context.detect_language(chrome),
            warnings=tuple(warnings),
        )
    ]


class _Cursor:
    """Walks the page's lines, skipping blanks, and names what it was looking for."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.position = 0

    def _skip_blank(self) -> None:
        while self.position < len(self.lines) and not self.lines[self.position].strip():
            self.position += 1

    def next_line(self, what: str) -> str:
        self._skip_blank()
        if self.position >= len(self.lines):
            raise PageError(msg("the page ends before its {what}; it may have been cut off",
                                what=what))
        line = self.lines[self.position]
        self.position += 1
        return line

    def next_matching(self, pattern: re.Pattern[str], what: str) -> str:
        line = self.next_line(what).strip()
        if not pattern.match(line):
            raise PageError(msg("expected the {what} but found {value!r}", what=what, value=line))
        return line

    def block(self) -> list[str]:
        """Lines up to the next blank line."""
        start = self.position
        while self.position < len(self.lines) and self.lines[self.position].strip():
            self.position += 1
        return self.lines[start:self.position]

    def rest(self) -> list[str]:
        rest = self.lines[self.position:]
        self.position = len(self.lines)
        return rest
