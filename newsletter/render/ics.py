"""Events as iCalendar (RFC 5545): the per-language calendar feed and one file per event.

Readers subscribe to the feed or add a single event from its page. Both end up in
the same calendar apps, so the same event must look like the same event wherever it
came from:

- the UID is `<id>@<host of the site>`, the same in every language and every
  rebuild, so a subscriber who switches language or re-imports sees one event
  updated, not a copy;
- every value comes from the content (DTSTAMP and LAST-MODIFIED are the view's
  `updated`, never the clock), so an unchanged build writes the same bytes and
  subscribers' apps see nothing new;
- times keep the event's own IANA zone (`TZID`) with a VTIMEZONE for it, as the
  page gave them: an app converts them for its reader, and a reader whose app
  does not know the zone still gets the offsets from the file.

The text of the event (summary, description, place) is the reader's language: the
view's localised title, lead and programme, and our own words from the catalog.
"""

from __future__ import annotations

import gettext
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parseaddr
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar, Timezone, vCalAddress
from icalendar import Event as VEvent

from newsletter.localise.formatting import format_event_when, format_event_where
from newsletter.messages import msg
from newsletter.model import Event
from newsletter.render.views import ItemView

PRODID = "-//newsletter//{language}"
"""Fixed per language, so the product line never changes the bytes of a rebuild."""
CALSCALE = "GREGORIAN"


def render_calendar(views: Sequence[ItemView], *, name: str, language: str,
                    catalog: gettext.NullTranslations, today: date, past_days: int) -> bytes:
    """The calendar feed of one language: every dated event not ended before the window.

    An event stays for `past_days` days after its last day (in the event's own zone),
    so someone who subscribes after an event still finds it for a while; upcoming
    events are always in. `today` is passed in rather than read from the clock, so
    the build decides once what "today" is for every output. Events are sorted by
    start (ties by id), so the order does not depend on the order of `views`.
    """
    horizon = today - timedelta(days=past_days)
    chosen = [view for view in views
              if _dated_event(view) is not None and _last_day(_event(view)) >= horizon]
    chosen.sort(key=lambda view: (_start_instant(_event(view)), view.item.id))
    calendar = _calendar(language)
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    for view in chosen:
        calendar.add_component(_vevent(view, catalog))
    _add_timezones(calendar, [_event(view) for view in chosen])
    return calendar.to_ical()


def render_event(view: ItemView, *, catalog: gettext.NullTranslations) -> bytes:
    """The "add to calendar" file of one event, in the view's language.

    It carries no METHOD: a file a reader opens is plain calendar data to import,
    not a scheduling message an app should treat as an invitation to answer.
    Raises `ValueError` for a view without a dated event (its page has no
    calendar link: `view.event_url` is None then).
    """
    event = _dated_event(view)
    if event is None:
        raise ValueError(f"{view.item.id}: the item has no event with a start date")
    calendar = _calendar(view.language)
    calendar.add_component(_vevent(view, catalog))
    _add_timezones(calendar, [event])
    return calendar.to_ical()


def event_uid(view: ItemView) -> str:
    """`<id>@<host>`: the same event in every language feed is the same calendar entry.

    The host is the site's (from the view's page address), so two sites built from
    the same content do not collide in a reader's calendar.
    """
    host = urlsplit(view.url).hostname or "localhost"
    return f"{view.item.id}@{host}"


def _calendar(language: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID.format(language=language))
    calendar.add("version", "2.0")
    calendar.add("calscale", CALSCALE)
    return calendar


def _dated_event(view: ItemView) -> Event | None:
    """The view's event when it has a start; the only events a calendar can place."""
    event = view.item.event
    return event if event is not None and event.start is not None else None


def _event(view: ItemView) -> Event:
    event = _dated_event(view)
    assert event is not None  # callers filter on _dated_event first
    return event


def _last_day(event: Event) -> date:
    """The event's last day where it takes place (its end, else its start)."""
    last = event.end if event.end is not None else event.start
    if isinstance(last, datetime):
        return last.astimezone(ZoneInfo(event.timezone)).date()
    assert last is not None
    return last


def _start_instant(event: Event) -> datetime:
    """The start as a UTC moment, all-day events from midnight in their zone, for sorting."""
    start = event.start
    if isinstance(start, datetime):
        return start.astimezone(UTC)
    assert start is not None
    return datetime.combine(start, time(0), ZoneInfo(event.timezone)).astimezone(UTC)


def _vevent(view: ItemView, catalog: gettext.NullTranslations) -> VEvent:
    """One VEVENT of the view's event, in the view's language."""
    event = _event(view)
    vevent = VEvent()
    vevent.add("uid", event_uid(view))
    vevent.add("dtstamp", view.updated.astimezone(UTC))
    if isinstance(event.start, datetime):
        zone = ZoneInfo(event.timezone)
        vevent.add("dtstart", event.start.astimezone(zone))
        if isinstance(event.end, datetime):
            vevent.add("dtend", event.end.astimezone(zone))
        # Without an end, DTEND is left out: RFC 5545 then makes the event end when
        # it starts, which is what we know; a guessed duration would look like fact.
    else:
        assert event.start is not None
        vevent.add("dtstart", event.start)
        if isinstance(event.end, date) and event.end != event.start:
            # DTEND of a day is exclusive; our `end` is the last day itself.
            vevent.add("dtend", event.end + timedelta(days=1))
        # One day (or no known end): no DTEND means exactly one day for VALUE=DATE.
    vevent.add("summary", view.title)
    vevent.add("description", _description(view, event, catalog))
    where = format_event_where(event, view.language, catalog)
    if where:
        vevent.add("location", where)
    vevent.add("url", view.url)
    organizer = _organizer(event)
    if organizer is not None:
        vevent.add("organizer", organizer)
    if event.contact.strip():
        vevent.add("contact", event.contact.strip())
    vevent.add("last-modified", view.updated.astimezone(UTC))
    return vevent


def _description(view: ItemView, event: Event, catalog: gettext.NullTranslations) -> str:
    """What a calendar app shows under the title, as paragraphs of plain text.

    The notice comes first, since the reader must know the text is a machine's (or
    untranslated) before reading it. The "When" line repeats the time as the page
    gave it, in the event's zone, because apps show it converted to the reader's
    zone; it carries the assumed-zone note when the page named no zone. The page
    address ends the text for apps that do not show the URL property.
    """
    paragraphs = []
    if view.notice is not None:
        notice = view.notice.text.render(catalog)
        if view.notice.url:
            notice += f" {view.notice.link_text.render(catalog)}: {view.notice.url}"
        paragraphs.append(notice)
    when = format_event_when(event, view.language, catalog)
    if when:
        paragraphs.append(msg("When: {when}", when=when).render(catalog))
    if view.lead.strip():
        paragraphs.append(view.lead.strip())
    if view.agenda:
        rows = [f"{row_time} {text}" for row_time, text in view.agenda]
        paragraphs.append("\n".join([msg("Programme").render(catalog), *rows]))
    paragraphs.append(view.url)
    return "\n\n".join(paragraphs)


def _organizer(event: Event) -> vCalAddress | None:
    """ORGANIZER when the page gives an address to write to, named after the organiser.

    The property's value must be an address (a `mailto:` URI); the page gives one only
    as the contact's, which is where questions to the organiser go. Without one, no
    ORGANIZER: an invented address would send readers' replies nowhere.
    """
    name, address = parseaddr(event.contact)
    if "@" not in address:
        return None
    organizer = vCalAddress(f"mailto:{address}")
    common_name = event.organiser.strip() or name.strip()
    if common_name:
        organizer.params["cn"] = common_name
    return organizer


def _add_timezones(calendar: Calendar, events: Sequence[Event]) -> None:
    """A VTIMEZONE for every zone the events' times use, covering their years only.

    The transitions come from the zone database for the whole years the events' times
    fall in: enough for every time in the file, and a range that depends on the events
    alone. They come first, before the events that name them. All-day events use
    dates, which need no zone; UTC times are written with `Z` and need none either.
    """
    days = [day for event in events for day in _timed_days(event)]
    if not days:
        return
    first = date(min(days).year, 1, 1)
    last = date(max(days).year + 1, 1, 1)
    # Sorted by TZID: icalendar's own `add_missing_timezones` walks a set, whose order
    # changes from one Python process to the next.
    zones = [_zone(tzid, first, last) for tzid in sorted(calendar.get_missing_tzids())]
    calendar.subcomponents[:0] = zones


@lru_cache(maxsize=256)
def _zone(tzid: str, first: date, last: date) -> Timezone:
    """Built once per zone and range: every event file of a build shares it (never mutated)."""
    return Timezone.from_tzid(tzid, first_date=first, last_date=last)


def _timed_days(event: Event) -> list[date]:
    zone = ZoneInfo(event.timezone)
    return [moment.astimezone(zone).date() for moment in (event.start, event.end)
            if isinstance(moment, datetime)]
