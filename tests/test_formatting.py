"""Dates, times and places in the reader's locale, checked against the words Babel gives.

The expected strings are CLDR's, as Babel ships them: spaces inside them are sometimes
narrow no-break (U+202F, before AM/PM) or thin (U+2009, around a range dash), so they are
written out as escapes.
"""

from __future__ import annotations

import gettext
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from newsletter.localise.formatting import (
    format_event_when,
    format_event_where,
    format_published,
    text_direction,
)
from newsletter.model import Event

BRUSSELS = ZoneInfo("Europe/Brussels")
ATHENS = ZoneInfo("Europe/Athens")
NNBSP = "\u202f"
THIN = "\u2009"


def event(
    start: datetime | date | None,
    end: datetime | date | None = None,
    *,
    zone: str = "Europe/Brussels",
    assumed: bool = False,
    online: bool = False,
    location: str = "",
) -> Event:
    return Event(zone, assumed, start, end, online=online, location=location)


MORNING = event(datetime(2021, 6, 18, 10, tzinfo=BRUSSELS), datetime(2021, 6, 18, 12, tzinfo=BRUSSELS))
"""The example event: Friday 18 June 2021, 10:00-12:00 in Brussels (summer time, UTC+2)."""


class Catalog(gettext.NullTranslations):
    """A catalog from a dict, standing in for a compiled `.mo` file."""

    def __init__(self, table: dict[str, str]) -> None:
        super().__init__()
        self.table = table

    def gettext(self, message: str) -> str:
        return self.table.get(message, message)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("el", f"Παρασκευή 18 Ιουνίου 2021, 10:00{NNBSP}π.μ. – 12:00{NNBSP}μ.μ. CEST"),
        ("fr", f"vendredi 18 juin 2021, 10:00{THIN}–{THIN}12:00 UTC+02:00"),
        ("ar", f"الجمعة، 18 يونيو 2021، 10:00 ص{THIN}–{THIN}12:00 م غرينتش+02:00"),
        ("en", f"Friday, June 18, 2021, 10:00{NNBSP}AM{THIN}–{THIN}12:00{NNBSP}PM GMT+02:00"),
        ("de", "Freitag, 18. Juni 2021, 10:00–12:00 Uhr MESZ"),
        ("en-GB", "Friday, 18 June 2021, 10:00–12:00 CEST"),
    ],
)
def test_one_day_event_shows_the_date_once_then_the_times_and_zone(language: str, expected: str) -> None:
    assert format_event_when(MORNING, language) == expected


def test_month_names_are_the_locales_own() -> None:
    assert "Ιουνίου" in format_event_when(MORNING, "el")
    assert "juin" in format_event_when(MORNING, "fr")
    assert "يونيو" in format_event_when(MORNING, "ar")
    assert "Juni" in format_event_when(MORNING, "de")


def test_the_clock_follows_the_locale() -> None:
    afternoon = event(
        datetime(2021, 12, 3, 14, tzinfo=BRUSSELS), datetime(2021, 12, 3, 15, 30, tzinfo=BRUSSELS)
    )
    assert format_event_when(afternoon, "de") == "Freitag, 3. Dezember 2021, 14:00–15:30 Uhr MEZ"
    assert format_event_when(afternoon, "en") == (
        f"Friday, December 3, 2021, 2:00{THIN}–{THIN}3:30{NNBSP}PM GMT+01:00"
    )


def test_winter_time_gets_the_winter_zone() -> None:
    winter = event(datetime(2021, 12, 3, 14, tzinfo=BRUSSELS), datetime(2021, 12, 3, 15, tzinfo=BRUSSELS))
    assert format_event_when(winter, "el").endswith(" CET")
    assert format_event_when(winter, "fr").endswith(" UTC+01:00")


def test_times_stay_in_the_events_own_zone() -> None:
    athens = event(
        datetime(2021, 6, 18, 10, tzinfo=ATHENS),
        datetime(2021, 6, 18, 12, tzinfo=ATHENS),
        zone="Europe/Athens",
    )
    assert format_event_when(athens, "el") == (
        f"Παρασκευή 18 Ιουνίου 2021, 10:00{NNBSP}π.μ. – 12:00{NNBSP}μ.μ. EEST"
    )
    assert format_event_when(athens, "de") == "Freitag, 18. Juni 2021, 10:00–12:00 Uhr OESZ"
    assert format_event_when(athens, "en").endswith(" GMT+03:00")


def test_a_fixed_offset_is_shown_in_the_events_zone() -> None:
    """A parser may give an offset rather than the zone; the event's zone names the clock."""
    offset = timezone(timedelta(hours=3))
    athens = event(
        datetime(2021, 6, 18, 10, tzinfo=offset),
        datetime(2021, 6, 18, 12, tzinfo=offset),
        zone="Europe/Athens",
    )
    assert format_event_when(athens, "de") == "Freitag, 18. Juni 2021, 10:00–12:00 Uhr OESZ"


def test_several_days_with_times_give_both_ends_and_the_zone_once() -> None:
    weekend = event(datetime(2021, 6, 18, 10, tzinfo=BRUSSELS), datetime(2021, 6, 19, 16, tzinfo=BRUSSELS))
    assert format_event_when(weekend, "de") == (
        f"Freitag, 18. Juni 2021, 10:00{THIN}–{THIN}Samstag, 19. Juni 2021, 16:00 MESZ"
    )
    assert format_event_when(weekend, "el") == (
        f"Παρασκευή 18 Ιουνίου 2021, 10:00{NNBSP}π.μ. - Σάββατο 19 Ιουνίου 2021, 4:00{NNBSP}μ.μ. CEST"
    )


def test_a_change_to_summer_time_names_the_zone_at_both_ends() -> None:
    spring = event(datetime(2021, 3, 26, 10, tzinfo=BRUSSELS), datetime(2021, 3, 29, 16, tzinfo=BRUSSELS))
    assert format_event_when(spring, "de") == (
        f"Freitag, 26. März 2021, 10:00 MEZ{THIN}–{THIN}Montag, 29. März 2021, 16:00 MESZ"
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("el", "Παρ 18 Ιουν – Σάβ 19 Ιουν 2021"),
        ("fr", f"ven. 18{THIN}–{THIN}sam. 19 juin 2021"),
        ("ar", "الجمعة، 18 – السبت، 19 يونيو، 2021"),
        ("en", f"Fri, Jun 18{THIN}–{THIN}Sat, Jun 19, 2021"),
        ("de", f"Fr., 18.{THIN}–{THIN}Sa., 19. Juni 2021"),
    ],
)
def test_all_day_events_over_several_days_use_the_locales_date_range(language: str, expected: str) -> None:
    assert format_event_when(event(date(2021, 6, 18), date(2021, 6, 19)), language) == expected


def test_a_date_range_across_months_names_both_months() -> None:
    assert format_event_when(event(date(2021, 6, 28), date(2021, 7, 2)), "fr") == (
        f"lun. 28 juin{THIN}–{THIN}ven. 2 juil. 2021"
    )


@pytest.mark.parametrize("end", [None, date(2021, 6, 18)])
def test_a_one_day_all_day_event_is_its_date_without_time_or_zone(end: date | None) -> None:
    one_day = event(date(2021, 6, 18), end, assumed=True)
    assert format_event_when(one_day, "el") == "Παρασκευή 18 Ιουνίου 2021"
    assert format_event_when(one_day, "fr") == "vendredi 18 juin 2021"
    assert format_event_when(one_day, "ar") == "الجمعة، 18 يونيو 2021"


def test_an_event_without_end_shows_its_start() -> None:
    opening = event(datetime(2021, 6, 18, 10, tzinfo=BRUSSELS))
    assert format_event_when(opening, "el") == f"Παρασκευή 18 Ιουνίου 2021, 10:00{NNBSP}π.μ. CEST"
    assert format_event_when(opening, "fr") == "vendredi 18 juin 2021, 10:00 UTC+02:00"
    assert format_event_when(opening, "de") == "Freitag, 18. Juni 2021, 10:00 MESZ"


def test_an_event_without_start_shows_nothing() -> None:
    assert format_event_when(event(None), "en") == ""


def test_an_assumed_zone_is_marked_in_the_readers_language() -> None:
    assumed = event(MORNING.start, MORNING.end, assumed=True)
    assert format_event_when(assumed, "de") == (
        "Freitag, 18. Juni 2021, 10:00–12:00 Uhr MESZ (time zone assumed)"
    )
    french = Catalog({"{when} (time zone assumed)": "{when} (fuseau horaire supposé)"})
    assert format_event_when(assumed, "fr", french) == (
        f"vendredi 18 juin 2021, 10:00{THIN}–{THIN}12:00 UTC+02:00 (fuseau horaire supposé)"
    )


def test_a_stated_zone_gets_no_marker() -> None:
    assert "assumed" not in format_event_when(MORNING, "en")


def test_a_start_equal_to_the_end_is_one_time() -> None:
    instant = event(MORNING.start, MORNING.start)
    assert format_event_when(instant, "de") == "Freitag, 18. Juni 2021, 10:00 MESZ"


def test_bcp47_region_codes_are_accepted() -> None:
    assert format_event_when(MORNING, "pt-BR") == (
        f"sexta-feira, 18 de junho de 2021 10:00{THIN}–{THIN}12:00 GMT+02:00"
    )


@pytest.mark.parametrize(
    ("language", "direction"),
    [("ar", "rtl"), ("he", "rtl"), ("fa", "rtl"), ("el", "ltr"), ("en", "ltr"), ("pt-BR", "ltr")],
)
def test_text_direction(language: str, direction: str) -> None:
    assert text_direction(language) == direction


@pytest.mark.parametrize(
    ("language", "long", "medium"),
    [
        ("el", "18 Ιουνίου 2021", "18 Ιουν 2021"),
        ("fr", "18 juin 2021", "18 juin 2021"),
        ("ar", "18 يونيو 2021", "18\u200f/06\u200f/2021"),
        ("en", "June 18, 2021", "Jun 18, 2021"),
        ("de", "18. Juni 2021", "18.06.2021"),
    ],
)
def test_format_published(language: str, long: str, medium: str) -> None:
    assert format_published(date(2021, 6, 18), language) == long
    assert format_published(date(2021, 6, 18), language, "medium") == medium


def test_where_is_the_place_as_the_page_words_it() -> None:
    assert format_event_where(event(None, location="Square de Meeûs 1, Brussels"), "el") == (
        "Square de Meeûs 1, Brussels"
    )


def test_where_online() -> None:
    assert format_event_where(event(None, online=True), "en") == "Online"
    greek = Catalog({"Online": "Διαδικτυακά"})
    assert format_event_where(event(None, online=True), "el", greek) == "Διαδικτυακά"


def test_where_online_and_in_a_place() -> None:
    hybrid = event(None, online=True, location="Committee of the Regions, Brussels")
    assert format_event_where(hybrid, "en") == "Online and at Committee of the Regions, Brussels"
    french = Catalog({"Online and at {place}": "En ligne et à {place}"})
    assert format_event_where(hybrid, "fr", french) == "En ligne et à Committee of the Regions, Brussels"


def test_where_unknown_is_empty() -> None:
    assert format_event_where(event(None), "en") == ""
