"""Dates, times and places as the reader's locale writes them.

Feeds, site pages, digest emails and the terminal all show an event the same way, so the
wording lives here once. Every function takes the reader's language explicitly (BCP 47,
as in the config) and asks Babel, which carries CLDR's data for that locale: word order,
month and weekday names, the 12- or 24-hour clock, range punctuation and zone names. We
never build a date pattern by hand, and never touch the process-wide `locale` settings.

An event's times are shown in the event's own time zone, never the reader's: the page
said "10:00 in Brussels", and converting it would put a wrong clock time in front of
everyone whose zone we guessed badly. The zone is always named, so a reader elsewhere can
convert. Sentences of our own (the "Online" label, the assumed-zone note) are `msg()`
Messages rendered with the reader's gettext catalog.
"""

from __future__ import annotations

import gettext
import re
from datetime import date, datetime
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from babel.core import Locale
from babel.dates import (
    format_date,
    format_datetime,
    format_interval,
    format_skeleton,
    get_timezone_gmt,
    get_timezone_name,
)

from newsletter.messages import msg
from newsletter.model import Event

Direction = Literal["ltr", "rtl"]

DAY_SKELETON = "yMMMMEEEEd"
"""Weekday, day, month and year, as wide as the locale has them, for day ranges."""
FALLBACK_RANGE = "{0} – {1}"
"""Joins two moments when the locale gives no range pattern of its own."""
_QUOTED = re.compile(r"'[^']*'")


@lru_cache(maxsize=64)
def _locale(language: str) -> Locale:
    """The Babel locale of a config language code (`pt-BR` is Babel's `pt_BR`)."""
    return Locale.parse(language.replace("-", "_"))


def text_direction(language: str) -> Direction:
    """`rtl` for languages written right to left (Arabic, Hebrew, Persian), else `ltr`.

    Renderers put it on `dir` attributes so that punctuation and numbers inside a
    right-to-left sentence land where its reader expects them.
    """
    order = _locale(language).character_order
    return "rtl" if order == "right-to-left" else "ltr"


def format_published(
    published: date, language: str, width: Literal["medium", "long"] = "long"
) -> str:
    """A publication date as the reader's locale writes it ("18 Ιουνίου 2021").

    `long` spells the month out and suits headers; `medium` is shorter (often numeric,
    "18.06.2021" in German) for lists and tables.
    """
    return format_date(published, width, locale=_locale(language))


def format_event_when(
    event: Event, language: str, catalog: gettext.NullTranslations | None = None
) -> str:
    """When an event happens, in the reader's words and the event's own time zone.

    - one day with times: the full date once, then the time range and the zone
      ("Παρασκευή 18 Ιουνίου 2021, 10:00 π.μ. – 12:00 μ.μ. CEST");
    - several days with times: each end with its date and time, the zone once at the end
      (on both ends when summer time starts or ends in between);
    - all-day events: the date, or Babel's date range for several days; no time, no zone;
    - no end: the start alone;
    - no start: an empty string, since the page gave nothing to show (the item carries a
      warning for editors).

    When the page stated no zone and the organisation's default was used, a note in the
    reader's language says so, because the clock time may then be off by an hour or more
    (all-day events get no note: a date alone does not depend on the zone).
    """
    if event.start is None:
        return ""
    locale = _locale(language)
    if not isinstance(event.start, datetime):
        return _day_range(event.start, event.end if isinstance(event.end, date) else None, locale)
    zone = ZoneInfo(event.timezone)
    start = event.start.astimezone(zone)
    end = event.end.astimezone(zone) if isinstance(event.end, datetime) else None
    text = _moment_range(start, end, locale)
    if event.timezone_assumed:
        text = msg("{when} (time zone assumed)", when=text).render(catalog)
    return text


def format_event_where(
    event: Event, language: str, catalog: gettext.NullTranslations | None = None
) -> str:
    """Where an event happens: its place, "Online", or "Online and at {place}".

    The place is shown as the page words it (street names are not translated). `language`
    keeps the signature the same as `format_event_when` for the renderers; the words of
    our own come from `catalog`, which is already in the reader's language.
    """
    del language  # The catalog carries the reader's language.
    place = event.location.strip()
    if event.online and place:
        return msg("Online and at {place}", place=place).render(catalog)
    if event.online:
        return msg("Online").render(catalog)
    return place


def _day_range(start: date, end: date | None, locale: Locale) -> str:
    """All-day events: the full date for one day, the locale's date range for several."""
    if end is None or end == start:
        return format_date(start, "full", locale=locale)
    return format_interval(start, end, DAY_SKELETON, locale=locale)


def _moment_range(start: datetime, end: datetime | None, locale: Locale) -> str:
    """Timed events, both ends already in the event's zone.

    Babel has range patterns for dates alone and for times alone, not for a date with a
    time, so a one-day event joins the date to the time range with the locale's own
    date-and-time pattern, and a longer one joins two such moments with its range pattern.
    """
    if end is None:
        return _join_date_time(start, _time(start, locale, zone=True), locale)
    same_zone = _zone_name(start, locale) == _zone_name(end, locale)
    if start.date() == end.date() and same_zone:
        clock = _clock_skeleton(locale) + "v"
        times = format_interval(start, end, clock, tzinfo=start.tzinfo, locale=locale)
        return _join_date_time(start, _put_zone(times, start, locale), locale)
    first = _join_date_time(start, _time(start, locale, zone=not same_zone), locale)
    last = _join_date_time(end, _time(end, locale, zone=True), locale)
    pattern = locale.interval_formats.get(None) or FALLBACK_RANGE
    return pattern.replace("{0}", first).replace("{1}", last)


def _join_date_time(moment: datetime, time_text: str, locale: Locale) -> str:
    """The full date and a time (or time range) in the locale's order.

    The `medium` joining pattern is used even with the full date: the `full` one is
    " - " in Greek, which would read as a second range next to the time range.
    """
    day = format_date(moment.date(), "full", locale=locale)
    pattern = str(locale.datetime_formats["medium"])
    return pattern.replace("{1}", day).replace("{0}", time_text)


def _time(moment: datetime, locale: Locale, zone: bool) -> str:
    """One clock time, with the zone where the locale puts it when `zone` is true."""
    skeleton = _clock_skeleton(locale) + ("v" if zone else "")
    text = format_skeleton(skeleton, moment, tzinfo=moment.tzinfo, locale=locale)
    return _put_zone(text, moment, locale) if zone else text


def _clock_skeleton(locale: Locale) -> str:
    """Hours and minutes on the clock the locale uses: `hm` (with AM/PM) or `Hm`.

    CLDR marks the preference in the locale's short time pattern (`h:mm a` in English and
    Greek, `HH:mm` in French and German and British English); Babel does not read the
    `j` skeleton letter that would say "the locale's hour", so we read the pattern.
    """
    pattern = _QUOTED.sub("", locale.time_formats["short"].pattern)
    return "hm" if ("h" in pattern or "K" in pattern) else "Hm"


def _put_zone(text: str, moment: datetime, locale: Locale) -> str:
    """Replace the generic zone name Babel placed with the one for that day.

    Skeletons can only ask for the generic name (`v`: "CET", "Belgium Time"), which
    does not tell summer from winter time; the locale's pattern still says where a zone
    goes (after the time in most languages, before it in Chinese, in brackets in
    Japanese), so we keep that place and put `_zone_name` in it.
    """
    generic = format_datetime(moment, "v", tzinfo=moment.tzinfo, locale=locale)
    name = _zone_name(moment, locale)
    if generic and text.count(generic) == 1:
        return text.replace(generic, name)
    return f"{text} {name}"


def _zone_name(moment: datetime, locale: Locale) -> str:
    """The zone as the locale abbreviates it that day ("CEST", "MESZ"), else its offset.

    Many locales have no abbreviation for European zones (English only has them for
    American ones); Babel then gives a bare "+0200", so we use the localised offset
    instead ("GMT+02:00", "UTC+02:00" in French, "غرينتش+02:00" in Arabic), which
    every reader can convert from.
    """
    short = get_timezone_name(moment, "short", locale=locale)
    if short == get_timezone_gmt(moment, "short", locale=locale):
        return get_timezone_gmt(moment, "long", locale=locale)
    return short
