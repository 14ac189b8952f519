"""EUROCITIES topic listings: a page intro, then one card per news, publication or event.

A card, in page order: optional tag bullets ("•  cooperation"), the title, a
teaser paragraph, the kind label ("news", "publication", "event"), then the
dates ("publication date: DD-MM-YYYY", or "start date:" and "end date:" for
events). The intro before the first card is about the topic, not news, and
is skipped. Listings carry no links to the full articles, so `source_url`
stays empty and the teaser becomes the lead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from newsletter.importers.base import ImportContext, build_item, detect_body_language
from newsletter.importers.dates import parse_numeric_date, resolve_zone
from newsletter.importers.page import BULLET, PageError, RawPage, paragraph
from newsletter.messages import msg
from newsletter.model import Event, ItemWarning, NewsItem

NAME = "eurocities"

KIND_LABELS = {"news": "news", "publication": "publication", "event": "event"}
DATE_LINE = re.compile(r"^(?P<label>publication date|start date|end date)\s*:\s*(?P<value>.*)$",
                       re.IGNORECASE)
YEAR = re.compile(r"\b(19|20)\d{2}\b")


def recognise(page: RawPage) -> bool:
    blocks = page.blocks
    return any(
        _is_label(block) and index + 1 < len(blocks) and _is_dates(blocks[index + 1])
        for index, block in enumerate(blocks)
    )


def _is_label(block: list[str]) -> bool:
    return len(block) == 1 and block[0].strip().lower() in KIND_LABELS


def _is_dates(block: list[str]) -> bool:
    return all(DATE_LINE.match(line.strip()) for line in block)


def _is_tags(block: list[str]) -> bool:
    return all(BULLET.match(line) for line in block)


@dataclass
class _Card:
    tags: list[str] = field(default_factory=list)
    text_blocks: list[list[str]] = field(default_factory=list)
    kind: str = ""
    dates: dict[str, str] = field(default_factory=dict)


def parse(page: RawPage, context: ImportContext) -> list[NewsItem]:
    blocks = page.blocks
    section = paragraph(blocks[0]) if blocks else ""
    cards = _cards(blocks[1:])
    if not cards:
        raise PageError(msg("the listing has no entries with a kind label and dates"))
    return [_item(page, card, section, context) for card in cards]


def _cards(blocks: list[list[str]]) -> list[_Card]:
    """Group blocks into cards; the first card's title is the block just before its teaser."""
    cards: list[_Card] = []
    pending = _Card()
    for block in blocks:
        if _is_tags(block):
            pending.tags.extend(BULLET.sub("", line).strip() for line in block)
        elif _is_label(block):
            pending.kind = KIND_LABELS[block[0].strip().lower()]
        elif _is_dates(block) and pending.kind:
            for line in block:
                match = DATE_LINE.match(line.strip())
                assert match is not None
                pending.dates[match["label"].lower()] = match["value"].strip()
            if not cards:  # everything before the first card's title is the page intro
                pending.text_blocks = pending.text_blocks[-2:]
            cards.append(pending)
            pending = _Card()
        else:
            pending.text_blocks.append(block)
    if pending.kind:  # a last card whose dates are missing (a page cut short)
        cards.append(pending)
    return cards


def _item(page: RawPage, card: _Card, section: str, context: ImportContext) -> NewsItem:
    if not card.text_blocks:
        raise PageError(msg("a {kind} entry has no title", kind=card.kind))
    title = paragraph(card.text_blocks[0])
    teaser = "\n\n".join(paragraph(block) for block in card.text_blocks[1:])
    warnings: list[ItemWarning] = []
    if teaser.endswith(("...", "…")):
        warnings.append(ItemWarning("lead", msg(
            "the listing shows only the start of the text; the full text is on the source site")))

    published: date | None = None
    event: Event | None = None
    if card.kind == "event":
        event = _event(card, title, teaser, warnings, context)
    else:
        if "publication date" not in card.dates:
            warnings.append(ItemWarning("published", msg("the entry has no publication date")))
        else:
            parsed = parse_numeric_date(card.dates["publication date"])
            if parsed.problem:
                warnings.append(ItemWarning("published", parsed.problem))
            published = parsed.value

    return build_item(
        page,
        published or (event.start if event and isinstance(event.start, date) else None),
        kind=card.kind,
        title=title,
        lead=teaser,
        source_org="EUROCITIES",
        source_org_name="EUROCITIES",
        section=section,
        published=published,
        tags=tuple(card.tags),
        language=detect_body_language(context, [title, teaser]),
        event=event,
        warnings=tuple(warnings),
    )


def _event(card: _Card, title: str, teaser: str, warnings: list[ItemWarning],
           context: ImportContext) -> Event:
    days: dict[str, date | None] = {}
    for name in ("start date", "end date"):
        field_name = f"event.{name.split()[0]}"
        if name not in card.dates:
            warnings.append(ItemWarning(field_name, msg("the entry has no {label}", label=name)))
            days[name] = None
            continue
        parsed = parse_numeric_date(card.dates[name])
        if parsed.problem:
            warnings.append(ItemWarning(field_name, parsed.problem))
        days[name] = parsed.value
    start, end = days["start date"], days["end date"]
    if start and end and end < start:
        warnings.append(ItemWarning("event.end", msg(
            "the end date {end} is before the start date {start}; the end was left out",
            end=end.isoformat(), start=start.isoformat())))
        end = None
    if start:
        mentioned = {int(m[0]) for m in YEAR.finditer(teaser)}
        if mentioned and start.year not in mentioned:
            warnings.append(ItemWarning("event.start", msg(
                "the text mentions {years} but the start date is {start}; check which is right",
                years=", ".join(str(y) for y in sorted(mentioned)), start=start.isoformat())))
    zone = resolve_zone(None, start or date(2000, 1, 1), context.timezone_for("EUROCITIES"))
    assert zone.value is not None
    return Event(start=start, end=end, timezone=zone.value.name,
                 timezone_assumed=zone.value.assumed)
