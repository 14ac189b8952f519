"""Dates, times and zones as pages write them; nothing is guessed.

Every parser returns the value or a `Message` saying why there is none, so
the importer can put a warning on the item instead of inventing data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from babel.dates import get_month_names

from newsletter.messages import Message, msg

NUMERIC_DATE = re.compile(r"^(?P<day>\d{1,2})[./-](?P<month>\d{1,2})(?:[./-](?P<year>\d{2,4}))?$")
CLOCK = re.compile(r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})\s*(?P<half>[ap]\.?\s?m\.?)?",
                   re.IGNORECASE)

# Zone abbreviations used on European pages, with their UTC offsets and a
# zone that uses them, for when the organisation's own zone does not.
ZONE_ABBREVIATIONS: dict[str, tuple[timedelta, str]] = {
    "UTC": (timedelta(0), "UTC"),
    "GMT": (timedelta(0), "Europe/London"),
    "BST": (timedelta(hours=1), "Europe/London"),
    "WET": (timedelta(0), "Europe/Lisbon"),
    "WEST": (timedelta(hours=1), "Europe/Lisbon"),
    "CET": (timedelta(hours=1), "Europe/Brussels"),
    "CEST": (timedelta(hours=2), "Europe/Brussels"),
    "EET": (timedelta(hours=2), "Europe/Athens"),
    "EEST": (timedelta(hours=3), "Europe/Athens"),
}


T = TypeVar("T")


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """A parsed value, or None and the reason."""

    value: T | None
    problem: Message | None = None


def parse_numeric_date(text: str) -> Parsed[date]:
    """`15.05.2018`, `13-02-2019` (day first, as European pages write them)."""
    text = text.strip()
    if not text:
        return Parsed(None, msg("the date is empty"))
    match = NUMERIC_DATE.match(text)
    if not match:
        return Parsed(None, msg("{value!r} is not a date (expected DD.MM.YYYY)", value=text))
    if match["year"] is None:
        return Parsed(None, msg("{value!r} has no year, so the date is unknown", value=text))
    if len(match["year"]) != 4:
        return Parsed(None, msg("{value!r} has a two-digit year, so the century is unknown",
                                value=text))
    try:
        return Parsed(date(int(match["year"]), int(match["month"]), int(match["day"])))
    except ValueError:
        return Parsed(None, msg("{value!r} is not a date in the calendar", value=text))


@cache
def month_numbers(language: str) -> dict[str, int]:
    """Month names and abbreviations in `language`, lower-cased, to their numbers."""
    names: dict[str, int] = {}
    for width in ("wide", "abbreviated"):
        for context in ("format", "stand-alone"):
            for number, name in get_month_names(width, context, locale=language).items():
                names[name.lower().rstrip(".")] = number
    return names


def written_date_pattern(language: str) -> re.Pattern[str]:
    """`18 June 2021` (day, month name in `language` or English, optional year)."""
    names = set(month_numbers(language)) | set(month_numbers("en"))
    alternatives = "|".join(sorted((re.escape(n) for n in names), key=len, reverse=True))
    return re.compile(
        rf"\b(?P<day>\d{{1,2}})\.?\s+(?P<month>{alternatives})\.?(?:\s+(?P<year>\d{{4}}))?\b",
        re.IGNORECASE,
    )


def month_number(name: str, language: str) -> int | None:
    key = name.lower().rstrip(".")
    return month_numbers(language).get(key) or month_numbers("en").get(key)


def parse_clock(text: str) -> Parsed[time]:
    """`10:00`, `9.45`, `9:30 p.m.` as a time of day."""
    match = CLOCK.fullmatch(text.strip())
    if not match:
        return Parsed(None, msg("{value!r} is not a time of day", value=text))
    hour, minute = int(match["hour"]), int(match["minute"])
    half = (match["half"] or "").lower().replace(".", "").replace(" ", "")
    if half:
        if not 1 <= hour <= 12:
            return Parsed(None, msg("{value!r} is not a time of day", value=text))
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return Parsed(None, msg("{value!r} is not a time of day", value=text))
    return Parsed(time(hour, minute))


def parse_clock_range(start: str, end: str | None) -> tuple[Parsed[time], Parsed[time] | None]:
    """`9:30-9:45 p.m.`: a half-day marker written once, after the end, covers both ends.

    `11:30-1:00 p.m.` keeps its start in the morning: the marker is only
    carried over when that does not put the start after the end.
    """
    if end is None:
        return parse_clock(start), None
    end_clock = parse_clock(end)
    end_half = CLOCK.fullmatch(end.strip())
    start_half = CLOCK.fullmatch(start.strip())
    if (end_clock.value is not None and end_half and end_half["half"]
            and start_half and not start_half["half"]):
        carried = parse_clock(f"{start.strip()} {end_half['half']}")
        if carried.value is not None and carried.value <= end_clock.value:
            return carried, end_clock
    return parse_clock(start), end_clock


@dataclass(frozen=True)
class Zone:
    """The zone an event's times are in, and whether the page said so."""

    name: str
    """IANA name."""
    assumed: bool
    """True when the page stated no zone."""


def resolve_zone(abbreviation: str | None, on: date, default_zone: str) -> Parsed[Zone]:
    """The IANA zone for a stated abbreviation (or the default when none is stated).

    A stated `CEST` keeps the organisation's zone when that zone is on CEST on
    the day; otherwise a zone that uses the abbreviation is chosen.
    """
    if not abbreviation:
        return Parsed(Zone(default_zone, assumed=True))
    known = ZONE_ABBREVIATIONS.get(abbreviation.upper())
    if known is None:
        return Parsed(Zone(default_zone, assumed=True),
                      msg("the time zone {value!r} is not one the importer knows; "
                          "{zone} was assumed", value=abbreviation, zone=default_zone))
    offset, fallback_zone = known
    for zone in (default_zone, fallback_zone):
        if datetime.combine(on, time(12), ZoneInfo(zone)).utcoffset() == offset:
            return Parsed(Zone(zone, assumed=False))
    return Parsed(Zone(default_zone, assumed=True),
                  msg("the page says {value} but no European zone is on {value} on {day}; "
                      "{zone} was assumed", value=abbreviation, day=on.isoformat(),
                      zone=default_zone))


def localise(day: date, clock: time, zone: str) -> datetime:
    return datetime.combine(day, clock, ZoneInfo(zone))
