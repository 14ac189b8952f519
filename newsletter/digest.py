"""Which items a week's digest email carries: a `DigestIssue`.

An issue is named by its ISO week ("2021-W24", Monday to Sunday), because a
weekly email needs one name that every subscriber, send log and review file
agrees on, whatever the reader's calendar conventions. It holds two lists:

- **news**: items that are not events, published in that week, grouped by
  section (the order of `[digest] sections`, then the other sections by name,
  items without a section last), newest first within a section;
- **events**: events starting in that week or within `[digest] upcoming_weeks`
  weeks after it, by start. The start day is read in the event's own zone: a
  workshop at 00:30 in Brussels on Monday belongs to that Monday's week even
  though it is still Sunday in UTC.

Selection reads the source items only (dates and kinds are not translated), so
every language's email of a week lists the same items in the same order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from newsletter.config import Settings
from newsletter.messages import MessageError, msg
from newsletter.model import NewsItem

WEEK_PATTERN = re.compile(r"(\d{4})-W(\d{2})")
"""ISO 8601 week, extended form: four-digit year, `-W`, two-digit week."""


class DigestError(MessageError, ValueError):
    """A digest that cannot be made, with the reason as a translatable `Message`."""


@dataclass(frozen=True)
class DigestIssue:
    """The items of one week's digest, in the order the email shows them."""

    week: str
    """ISO week, "2021-W24"."""
    first_day: date
    """The week's Monday."""
    last_day: date
    """The week's Sunday."""
    news: tuple[NewsItem, ...]
    """Items other than events published from `first_day` to `last_day`: by section,
    then newest first, then id."""
    events: tuple[NewsItem, ...]
    """Events starting from `first_day` to `last_day` plus the upcoming weeks (in the
    event's own zone), by start, then id."""

    @property
    def empty(self) -> bool:
        """Whether there is nothing to send this week."""
        return not self.news and not self.events


def parse_week(text: str) -> tuple[int, int]:
    """`"2021-W24"` -> `(2021, 24)`; `DigestError` naming the value otherwise.

    Only the extended form with a four-digit year is read, so "2021-W2" or
    "21-W24" are refused rather than guessed at. Week 53 exists only in years
    that have it (2020 does, 2021 does not).
    """
    found = WEEK_PATTERN.fullmatch(text.strip())
    if found is None:
        raise DigestError(msg("{value!r} is not an ISO week (expected YYYY-Www, such as "
                              "2021-W24)", value=text))
    year, week = int(found[1]), int(found[2])
    last = weeks_in_year(year)
    if not 1 <= week <= last:
        raise DigestError(msg("{value!r} is not a week of {year} (expected a week from "
                              "{year}-W01 to {year}-W{last})", value=text, year=year,
                              last=f"{last:02d}"))
    return year, week


def weeks_in_year(year: int) -> int:
    """52 or 53: 28 December always falls in a year's last ISO week."""
    return date(year, 12, 28).isocalendar().week


def week_name(day: date) -> str:
    """The ISO week `day` falls in, as `parse_week` reads it ("2021-W24")."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def select_issue(settings: Settings, week: str,
                 items: Sequence[NewsItem] | None = None) -> DigestIssue:
    """The issue of `week` from `items` (default: every readable item in the content folder).

    Raises `DigestError` for a week string `parse_week` refuses.
    """
    from newsletter.render.views import load_items

    year, number = parse_week(week)
    first_day = date.fromisocalendar(year, number, 1)
    last_day = first_day + timedelta(days=6)
    events_until = last_day + timedelta(weeks=settings.digest_upcoming_weeks)
    items = load_items(settings) if items is None else items

    news = [item for item in items
            if not _is_event(item) and item.published is not None
            and first_day <= item.published <= last_day]
    events = [item for item in items
              if _is_event(item) and first_day <= _start_day(item) <= events_until]
    order = {name: index for index, name in enumerate(settings.digest_sections)}
    news.sort(key=lambda item: (_section_key(item.section, order),
                                -item.published.toordinal() if item.published else 0,
                                item.id))
    events.sort(key=lambda item: (_start_instant(item), item.id))
    return DigestIssue(week=week_name(first_day), first_day=first_day,
                       last_day=last_day, news=tuple(news), events=tuple(events))


def issue_weeks(items: Sequence[NewsItem]) -> list[str]:
    """The weeks something happens in, newest first: a news item's publication or an
    event's start (in its own zone), as `select_issue` places them."""
    days = [_start_day(item) if _is_event(item) else item.published for item in items]
    return sorted({week_name(day) for day in days if day is not None and day != date.max},
                  reverse=True)


def _section_key(section: str, order: dict[str, int]) -> tuple[int, int, str]:
    """Configured sections in their order, then the others by name, then no section."""
    if section in order:
        return (0, order[section], "")
    if section:
        return (1, 0, section.casefold())
    return (2, 0, "")


def _is_event(item: NewsItem) -> bool:
    """Events are listed by their start, never as news, even when they carry a
    publication date; an event whose page gave no start cannot be placed in a week."""
    return item.kind == "event" or (item.event is not None and item.event.start is not None)


def _start_day(item: NewsItem) -> date:
    """The day the event starts in its own zone; `date.max` when it has no start."""
    start = item.event.start if item.event else None
    if isinstance(start, datetime):
        assert item.event is not None
        return start.astimezone(ZoneInfo(item.event.timezone)).date()
    if isinstance(start, date):
        return start
    return date.max


def _start_instant(item: NewsItem) -> datetime:
    """The start as one instant (all-day events at midnight in their zone), so timed and
    all-day events sort together."""
    assert item.event is not None and item.event.start is not None
    start = item.event.start
    if isinstance(start, datetime):
        return start.astimezone(UTC)
    return datetime.combine(start, time(0), ZoneInfo(item.event.timezone)).astimezone(UTC)
