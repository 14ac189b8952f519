"""European Committee of the Regions event pages (cor.europa.eu).

The interface (banner, share widget, "related information") is in the
reader's language, which often differs from the body: a Greek page around an
English text. Shape: an optional machine-translation banner and its
instruction line, the title, the body (with the date line, e.g. "Online
workshop: 18 June 2021 10:00-12:30 CEST", and an agenda of "HH:MM text"
rows), "Contact Person:" and "Organizer:" lines, the share widget, then
related events as numbered, upper-cased URLs followed by their titles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from newsletter.importers.base import (
    ImportContext,
    build_item,
    detect_body_language,
    normalise_url,
)
from newsletter.importers.dates import (
    localise,
    month_number,
    parse_clock_range,
    resolve_zone,
    written_date_pattern,
)
from newsletter.importers.page import PageError, RawPage, lines_to_markdown
from newsletter.messages import msg
from newsletter.model import AgendaRow, Event, ItemWarning, Link, NewsItem

NAME = "cor"

SITE = re.compile(r"\bcor\.europa\.eu\b", re.IGNORECASE)
ORGANISER = re.compile(r"^\s*Organi[sz]er\s*:\s*(?P<value>.*)$", re.IGNORECASE)
CONTACT_PERSON = re.compile(r"^\s*Contact Person\s*:\s*(?P<value>.*)$", re.IGNORECASE)
GLUED_CONTACT_LABEL = re.compile(r"(?<=\S)Contact\s*:\s*$")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}")
NUMBERED_URL = re.compile(r"^\s*\d+\.\s*(?P<url>https?://\S+)\s*$", re.IGNORECASE)
CLOCK_TEXT = r"\d{1,2}[:.]\d{2}(?:\s*[ap]\.?\s?m\.?)?"
TIME_RANGE = re.compile(
    rf"^[,\s]*(?P<start>{CLOCK_TEXT})(?:\s*[-–]\s*(?P<end>{CLOCK_TEXT}))?(?:\s+(?P<zone>[A-Z]{{3,4}})\b)?",
    re.IGNORECASE,
)
AGENDA_ROW = re.compile(rf"^(?P<start>{CLOCK_TEXT})(?:\s*[-–]\s*(?P<end>{CLOCK_TEXT}))?\s+(?P<text>\S.*)$",
                        re.IGNORECASE)
CAPTION = re.compile(r"^(?=.{0,80}$)(?:.*\blogos?|screenshot\b.*|.*\b(?:photo|image|picture)\b.*)$",
                     re.IGNORECASE)
ONLINE = re.compile(r"\b(online|webinar|virtual)\b", re.IGNORECASE)


def recognise(page: RawPage) -> bool:
    has_labels = any(ORGANISER.match(line) for line in page.lines) and any(
        CONTACT_PERSON.match(line) for line in page.lines)
    return has_labels or SITE.search(page.text) is not None


def parse(page: RawPage, context: ImportContext) -> list[NewsItem]:
    lines = page.lines
    end_of_main = next(
        (i for i, line in enumerate(lines)
         if ORGANISER.match(line) or CONTACT_PERSON.match(line)),
        len(lines),
    )
    related_start = next((i for i, line in enumerate(lines) if NUMBERED_URL.match(line)),
                         len(lines))
    main = lines[: min(end_of_main, related_start)]
    body_language = detect_body_language(context, main)

    head = [i for i, line in enumerate(main) if line.strip()][:4]
    if not head:
        raise PageError(msg("the page has no title"))
    # The banner and its instruction line are in the interface language; the
    # title is the first line after the last one clearly in another language
    # (a two-word banner or a short title may be too short to tell).
    foreign = [i for i in head if context.detect_language(main[i]) not in (body_language, None)]
    title_index = next((i for i in head if i > foreign[-1]), head[0]) if foreign else head[0]
    chrome_top = [main[i].strip() for i in head if i < title_index]
    title = main[title_index].strip()

    footer = lines[end_of_main:related_start]
    warnings: list[ItemWarning] = []
    body_lines = [_unglue_contact(line) for line in main[title_index + 1:]
                  if not CAPTION.match(line.strip())]
    event = _event(main[title_index:], title, footer, body_language, warnings, context)
    source_url, links = _related(lines[related_start:])
    chrome_bottom = [line.strip() for line in footer
                     if line.strip() and not ORGANISER.match(line) and not CONTACT_PERSON.match(line)]
    interface_language = (context.detect_language("\n".join(chrome_top))
                          or context.detect_language("\n".join(chrome_bottom)))
    body = lines_to_markdown(body_lines)
    return [
        build_item(
            page,
            event.start.date() if isinstance(event.start, datetime) else event.start,
            kind="event",
            title=title,
            body=body,
            source_org="CoR",
            source_org_name="European Committee of the Regions",
            section="Events",
            source_url=source_url,
            language=body_language,
            page_language=interface_language,
            links=links,
            event=event,
            warnings=tuple(warnings),
        )
    ]


def _unglue_contact(line: str) -> str:
    """'... contact x@cor.europa.euContact:' -> '... contact x@cor.europa.eu'."""
    return GLUED_CONTACT_LABEL.sub("", line)


@dataclass(frozen=True)
class _WhenLine:
    day: date | None
    start: str | None
    end: str | None
    zone: str | None
    online: bool
    text: str


def _when_lines(lines: list[str], language: str, warnings: list[ItemWarning]) -> list[_WhenLine]:
    pattern = written_date_pattern(language)
    found: list[_WhenLine] = []
    for line in lines:
        for match in pattern.finditer(line):
            month = month_number(match["month"], language)
            day: date | None = None
            if match["year"] is None:
                warnings.append(ItemWarning("event.start", msg(
                    "{value!r} has no year, so the event date is unknown", value=match[0])))
            else:
                try:
                    day = date(int(match["year"]), month or 0, int(match["day"]))
                except ValueError:
                    warnings.append(ItemWarning("event.start", msg(
                        "{value!r} is not a date in the calendar", value=match[0])))
            times = TIME_RANGE.match(line[match.end():])
            found.append(_WhenLine(
                day=day,
                start=times["start"] if times else None,
                end=times["end"] if times else None,
                zone=times["zone"] if times else None,
                online=ONLINE.search(line) is not None,
                text=line.strip(),
            ))
    return found


def _event(main: list[str], title: str, footer: list[str], language: str,
           warnings: list[ItemWarning], context: ImportContext) -> Event:
    default_zone = context.timezone_for("CoR")
    candidates = _when_lines(main, language, warnings)
    dated = [c for c in candidates if c.day is not None]
    # The most specific statement wins: one with an end time, then a start time.
    best = max(dated, key=lambda c: (c.end is not None, c.start is not None), default=None)
    if best is None and not candidates:
        warnings.append(ItemWarning("event.start", msg("the page gives no event date")))
    if best is not None and any(c.day != best.day for c in dated):
        warnings.append(ItemWarning("event.start", msg(
            "the page gives more than one date; {day} (from {text!r}) was used",
            day=best.day.isoformat() if best.day else "", text=best.text)))

    start: datetime | date | None = best.day if best else None
    end: datetime | date | None = None
    zone_name, zone_assumed = default_zone, True
    if best is not None and best.day is not None and best.start is not None:
        zone = resolve_zone(best.zone, best.day, default_zone)
        assert zone.value is not None
        zone_name, zone_assumed = zone.value.name, zone.value.assumed
        if zone.problem:
            warnings.append(ItemWarning("event.timezone", zone.problem))
        start, end = _moments(best, zone_name, warnings)

    agenda = _agenda(main, warnings)
    organiser = next((m["value"].strip() for line in footer if (m := ORGANISER.match(line))), "")
    person = next((m["value"].strip() for line in footer if (m := CONTACT_PERSON.match(line))), "")
    address = next((m[0] for line in main + footer if (m := EMAIL.search(_unglue_contact(line)))),
                   "")
    contact = f"{person} <{address}>" if person and address else person or address
    online = (best.online if best else False) or ONLINE.search(title) is not None
    return Event(start=start, end=end, timezone=zone_name, timezone_assumed=zone_assumed,
                 online=online, agenda=agenda, organiser=organiser, contact=contact)


def _moments(when: _WhenLine, zone: str, warnings: list[ItemWarning]
             ) -> tuple[datetime | date | None, datetime | None]:
    assert when.day is not None and when.start is not None
    start_clock, end_clock = parse_clock_range(when.start, when.end)
    if start_clock.value is None:
        warnings.append(ItemWarning("event.start", start_clock.problem or msg("no time")))
        return when.day, None
    start = localise(when.day, start_clock.value, zone)
    end = None
    if end_clock is not None:
        if end_clock.value is None or end_clock.value < start_clock.value:
            warnings.append(ItemWarning("event.end", msg(
                "{value!r} cannot end an event that starts at {start}; the end was left out",
                value=when.end, start=when.start)))
        else:
            end = localise(when.day, end_clock.value, zone)
    return start, end


def _agenda(lines: list[str], warnings: list[ItemWarning]) -> tuple[AgendaRow, ...]:
    rows: list[AgendaRow] = []
    previous: time | None = None
    for line in lines:
        match = AGENDA_ROW.match(line.strip())
        if not match:
            continue
        start, end = parse_clock_range(match["start"], match["end"])
        if start.value is None or (end is not None and end.value is None):
            warnings.append(ItemWarning("event.agenda", msg(
                "the agenda row {value!r} has a time that does not exist; it was left out",
                value=line.strip())))
            continue
        label = start.value.strftime("%H:%M")
        if end is not None and end.value is not None:
            if end.value < start.value:
                warnings.append(ItemWarning("event.agenda", msg(
                    "the agenda row {value!r} ends before it starts; check its times",
                    value=line.strip())))
            label += "-" + end.value.strftime("%H:%M")
        if previous is not None and start.value < previous:
            warnings.append(ItemWarning("event.agenda", msg(
                "the agenda row {value!r} starts before the row above it; check its times",
                value=line.strip())))
        previous = start.value
        rows.append(AgendaRow(time=label, text=match["text"].strip()))
    return tuple(rows)


def _related(lines: list[str]) -> tuple[str | None, tuple[Link, ...]]:
    """Related events come as groups: numbered URLs, then the title (often twice).

    Each group lists the related page and the page itself, so the address in
    every group is this page's own address.
    """
    groups: list[tuple[list[str], str]] = []
    urls: list[str] = []
    title = ""
    for line in lines:
        stripped = line.strip()
        match = NUMBERED_URL.match(stripped)
        if match:
            if title:  # a title closed the previous group
                groups.append((urls, title))
                urls, title = [], ""
            urls.append(normalise_url(match["url"]))
        elif stripped and urls and not title:
            title = stripped
    if urls:
        groups.append((urls, title))
    common: set[str] = set()
    if len(groups) > 1:
        common = set(groups[0][0]).intersection(*(set(urls) for urls, _ in groups[1:]))
    source_url = sorted(common)[0] if len(common) == 1 else None
    links = tuple(
        Link(url=url, title=title_text)
        for group_urls, title_text in groups
        for url in group_urls
        if url != source_url
    )
    return source_url, links
