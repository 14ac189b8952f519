"""The calendar feed and event files, from the seed pages through import and localise.

Each file is read back twice: with `icalendar` (values, parameters, components) and
with the small wire-format reader below (line length, folding, escaping as bytes), so
a mistake that icalendar would forgive on reading is still caught.
"""

from __future__ import annotations

import gettext
import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import copy_project, seed_project
from icalendar import Calendar, Component

from newsletter.config import Settings
from newsletter.content import item_path, load_item, save_item
from newsletter.localise import stage
from newsletter.localise.formatting import format_event_when
from newsletter.messages import load_catalog, msg
from newsletter.model import Event
from newsletter.render.ics import event_uid, render_calendar, render_event
from newsletter.render.views import ItemView, load_views
from newsletter.resources import resource_dir

CONFIG = """
[site]
base_url = "https://news.example.org/"
languages = ["en", "el"]
"""
HOST = "news.example.org"
CoR_ID = "online-workshop-for-local-and-regional-authorities-setting-up-a-local"
EUROCITIES_ID = "eurocities-cooperation-platform-2019"
BRUSSELS = ZoneInfo("Europe/Brussels")
EVERYTHING = {"today": date(2021, 6, 1), "past_days": 100_000}
"""A window that holds every seed event (2019 and 2021)."""


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with the seed pages imported, copied afresh for each test."""
    return seed_project(tmp_path_factory.mktemp("imported"), CONFIG)


@pytest.fixture
def settings(imported: Path, tmp_path: Path) -> Settings:
    return copy_project(imported, tmp_path)


def catalog(language: str) -> gettext.NullTranslations:
    return load_catalog(resource_dir("locales"), language)


def feed(settings: Settings, language: str, *, today: date, past_days: int) -> bytes:
    return render_calendar(load_views(settings, language), name=f"News ({language})",
                           language=language, catalog=catalog(language), today=today,
                           past_days=past_days)


def events(data: bytes) -> dict[str, Component]:
    """The VEVENTs of a calendar by UID, in file order."""
    return {str(e["UID"]): e for e in Calendar.from_ical(data).walk("VEVENT")}


def view_of(settings: Settings, language: str, item_id: str) -> ItemView:
    return next(v for v in load_views(settings, language) if v.item.id == item_id)


def onsets(zone: Component) -> list[tuple[datetime, timedelta]]:
    """When each offset of a VTIMEZONE starts (local time), from DTSTART and RDATEs."""
    found = []
    for part in zone.subcomponents:
        rdates = part.get("RDATE", [])
        moments = [part.decoded("DTSTART")] + [
            when.dt for dates in (rdates if isinstance(rdates, list) else [rdates])
            for when in dates.dts]
        found += [(moment, part.decoded("TZOFFSETTO")) for moment in moments]
    return sorted(found)


def unfolded(data: bytes) -> list[str]:
    """Content lines as RFC 5545 puts them on the wire, checked and unfolded.

    Every physical line ends in CRLF and has at most 75 octets; a line starting
    with a space or tab continues the previous one.
    """
    assert data.endswith(b"\r\n")
    physical = data[:-2].split(b"\r\n")
    too_long = [line for line in physical if len(line) > 75]
    assert not too_long
    lines: list[bytes] = []
    for line in physical:
        if line[:1] in (b" ", b"\t"):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    text = [line.decode("utf-8") for line in lines]
    shape = re.compile(r"^[A-Z][A-Z0-9-]*(;[A-Z0-9-]+=(\"[^\"]*\"|[^;:,\"]*))*:")
    assert [line for line in text if not shape.match(line)] == []
    begins = [line[6:] for line in text if line.startswith("BEGIN:")]
    ends = [line[4:] for line in text if line.startswith("END:")]
    assert sorted(begins) == sorted(ends)
    return text


def test_the_cor_workshop_keeps_its_brussels_times(settings: Settings) -> None:
    data = feed(settings, "el", **EVERYTHING)
    calendar = Calendar.from_ical(data)
    assert str(calendar["PRODID"]) == "-//newsletter//el"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "News (el)"

    event = events(data)[f"{CoR_ID}@{HOST}"]
    assert event["DTSTART"].params["TZID"] == "Europe/Brussels"
    assert event["DTEND"].params["TZID"] == "Europe/Brussels"
    assert event.decoded("DTSTART") == datetime(2021, 6, 18, 10, 0, tzinfo=BRUSSELS)
    assert event.decoded("DTEND") == datetime(2021, 6, 18, 12, 30, tzinfo=BRUSSELS)
    assert event.decoded("DTSTART").utcoffset() == timedelta(hours=2)

    # The file itself says that Brussels is at +02:00 that day, for apps without the zone.
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Brussels"
    in_force = max(onset for onset in onsets(zone) if onset[0] <= datetime(2021, 6, 18, 10, 0))
    assert in_force == (datetime(2021, 3, 28, 3, 0), timedelta(hours=2))

    greek = catalog("el")
    view = view_of(settings, "el", CoR_ID)
    assert str(event["SUMMARY"]) == view.title
    assert str(event["URL"]) == view.url == f"https://{HOST}/el/{CoR_ID}.html"
    assert str(event["LOCATION"]) == msg("Online").render(greek) == "Διαδικτυακά"
    assert event.decoded("DTSTAMP") == event.decoded("LAST-MODIFIED") == view.updated
    assert view.updated == datetime(2021, 6, 18, 8, 0, tzinfo=UTC)
    assert str(event["CONTACT"]) == "CIVEX secretariat <integration@cor.europa.eu>"
    assert str(event["ORGANIZER"]) == "mailto:integration@cor.europa.eu"
    assert event["ORGANIZER"].params["CN"] == (
        "European Commission and the European Committee of the Regions")

    description = str(event["DESCRIPTION"])
    assert view.notice is not None
    assert description.startswith(view.notice.text.render(greek))
    assert "Πρόγραμμα\n10:00 Start of event\n10:05 Opening and welcome\n" in description
    assert "12:30 End of the event" in description
    assert view.item.event is not None
    when = format_event_when(view.item.event, "el", greek)
    assert re.fullmatch(r"Παρασκευή 18 Ιουνίου 2021, 10:00\W+π\.μ\. – 12:30\W+μ\.μ\. CEST", when)
    assert f"\n\nΠότε: {when}\n\n" in description
    assert "(κατ' εκτίμηση ζώνη ώρας)" not in description  # the page named its zone
    assert description.endswith("\n\n" + view.url)

    lines = unfolded(data)
    assert "DTSTART;TZID=Europe/Brussels:20210618T100000" in lines
    assert "DTEND;TZID=Europe/Brussels:20210618T123000" in lines
    assert "DTSTAMP:20210618T080000Z" in lines
    assert lines.index("BEGIN:VTIMEZONE") < lines.index("BEGIN:VEVENT")


def test_all_day_events_are_dates_with_an_exclusive_end(settings: Settings) -> None:
    views = [v for v in load_views(settings, "en") if v.item.event and v.item.event.all_day]
    assert {v.item.source_org for v in views} == {"EUROCITIES"}
    data = feed(settings, "en", **EVERYTHING)
    found = events(data)
    for view in views:
        assert view.item.event is not None
        start, end = view.item.event.start, view.item.event.end
        assert isinstance(start, date) and isinstance(end, date)
        event = found[event_uid(view)]
        assert event["DTSTART"].params["VALUE"] == "DATE"
        assert event.decoded("DTSTART") == start
        assert event.decoded("DTEND") == end + timedelta(days=1)

    event = found[f"{EUROCITIES_ID}@{HOST}"]
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (date(2019, 5, 15),
                                                                  date(2019, 5, 18))
    lines = unfolded(data)
    assert "DTSTART;VALUE=DATE:20190515" in lines
    assert "DTEND;VALUE=DATE:20190518" in lines
    # The all-day events alone need no zone: only the CoR workshop brings one.
    assert [str(z["TZID"]) for z in Calendar.from_ical(data).walk("VTIMEZONE")] == [
        "Europe/Brussels"]
    assert Calendar.from_ical(render_event(view_of(settings, "en", EUROCITIES_ID),
                                           catalog=catalog("en"))).walk("VTIMEZONE") == []


def test_same_content_same_bytes_and_one_uid_per_event_in_every_language(
        settings: Settings) -> None:
    first = feed(settings, "el", **EVERYTHING)
    again = feed(settings, "el", **EVERYTHING)
    assert first == again
    english = feed(settings, "en", **EVERYTHING)
    assert list(events(first)) == list(events(english)) == [
        f"social-innovation-lab-26-27-march-glasgow@{HOST}",
        f"{EUROCITIES_ID}@{HOST}",
        f"{CoR_ID}@{HOST}",
    ]  # sorted by start
    assert first != english  # the words differ, the identities do not

    for language in ("el", "en"):
        view = view_of(settings, language, CoR_ID)
        one = render_event(view, catalog=catalog(language))
        assert one == render_event(view_of(settings, language, CoR_ID),
                                   catalog=catalog(language))
        calendar = Calendar.from_ical(one)
        assert "METHOD" not in calendar  # a file to import, not an invitation
        assert str(calendar["PRODID"]) == f"-//newsletter//{language}"
        [event] = calendar.walk("VEVENT")
        assert str(event["UID"]) == f"{CoR_ID}@{HOST}"
        assert event.to_ical() == events(first if language == "el" else english)[
            f"{CoR_ID}@{HOST}"].to_ical()
        assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["Europe/Brussels"]
        unfolded(one)


def test_the_window_keeps_upcoming_and_recent_events(settings: Settings) -> None:
    def uids(today: date, past_days: int) -> list[str]:
        return [uid.split("@")[0] for uid in events(feed(settings, "en", today=today,
                                                         past_days=past_days))]

    assert uids(date(2100, 1, 1), 30) == []
    assert Calendar.from_ical(feed(settings, "en", today=date(2100, 1, 1), past_days=30)
                              ).walk("VTIMEZONE") == []
    assert len(uids(date(2100, 1, 1), 100_000)) == 3
    # Upcoming events are in whatever the window.
    assert uids(date(2019, 1, 1), 0) == ["social-innovation-lab-26-27-march-glasgow",
                                         EUROCITIES_ID, CoR_ID]
    # The workshop's last day is 18 June 2021: kept 30 days after it, then dropped.
    assert uids(date(2021, 7, 18), 30) == [CoR_ID]
    assert uids(date(2021, 7, 19), 30) == []
    # An all-day event counts from its last day (17 May 2019), not its first.
    assert uids(date(2019, 5, 17), 0) == [EUROCITIES_ID, CoR_ID]
    assert uids(date(2019, 5, 18), 0) == [CoR_ID]


def test_the_summary_is_the_readers_title(settings: Settings) -> None:
    item_path(settings.content_dir, CoR_ID, "el").write_text(
        "---\ntitle: Διαδικτυακό εργαστήριο για τοπικές και περιφερειακές αρχές\n---\n",
        encoding="utf-8")
    stage.run(settings, engines={})
    greek = events(feed(settings, "el", **EVERYTHING))[f"{CoR_ID}@{HOST}"]
    english = events(feed(settings, "en", **EVERYTHING))[f"{CoR_ID}@{HOST}"]
    assert str(greek["SUMMARY"]) == "Διαδικτυακό εργαστήριο για τοπικές και περιφερειακές αρχές"
    assert str(english["SUMMARY"]).startswith("Online Workshop for Local and Regional")
    assert str(greek["URL"]).endswith(f"/el/{CoR_ID}.html")
    assert str(english["URL"]).endswith(f"/en/{CoR_ID}.html")


def test_hostile_text_is_escaped_and_comes_back_unchanged(settings: Settings) -> None:
    title = 'Εργαστήριο; πρώτο, δεύτερο\nBEGIN:VEVENT\\n "quoted" \\; end'
    lead = "Line one;\r\nUID:stolen@example.org, and more\\"
    item_path(settings.content_dir, CoR_ID, "el").write_text(
        f"---\ntitle: {json.dumps(title)}\nlead: {json.dumps(lead)}\n---\n", encoding="utf-8")
    stage.run(settings, engines={})
    view = view_of(settings, "el", CoR_ID)
    assert view.title == title

    # The calendar holds the seed pages' 3 events, the item's own file only its event.
    for data, count in ((feed(settings, "el", **EVERYTHING), 3),
                        (render_event(view, catalog=catalog("el")), 1)):
        found = events(data)
        assert "stolen@example.org" not in found
        assert len(found) == count
        event = found[f"{CoR_ID}@{HOST}"]
        assert str(event["SUMMARY"]) == title
        assert view.lead.strip() in str(event["DESCRIPTION"])
        lines = unfolded(data)
        assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == count
        assert ("SUMMARY:Εργαστήριο\\; πρώτο\\, δεύτερο\\nBEGIN:VEVENT\\\\n \"quoted\" "
                "\\\\\\; end") in lines


def test_an_assumed_zone_is_said_in_the_readers_language(settings: Settings) -> None:
    path = item_path(settings.content_dir, EUROCITIES_ID)
    item = load_item(path)
    assert item.event is not None and item.event.timezone_assumed
    timed = replace(item.event, start=datetime(2019, 5, 15, 9, 0, tzinfo=BRUSSELS),
                    end=datetime(2019, 5, 17, 13, 0, tzinfo=BRUSSELS))
    save_item(replace(item, event=timed), settings.content_dir)

    for language, note in (("el", "(κατ' εκτίμηση ζώνη ώρας)"), ("en", "(time zone assumed)")):
        event = events(feed(settings, language, **EVERYTHING))[f"{EUROCITIES_ID}@{HOST}"]
        assert note in str(event["DESCRIPTION"])
        assert event["DTSTART"].params["TZID"] == "Europe/Brussels"
        assert event.decoded("DTEND") == datetime(2019, 5, 17, 13, 0, tzinfo=BRUSSELS)
    # Days alone do not depend on the zone, so the all-day events carry no note.
    glasgow = events(feed(settings, "en", **EVERYTHING))[
        f"social-innovation-lab-26-27-march-glasgow@{HOST}"]
    assert "time zone assumed" not in str(glasgow["DESCRIPTION"])
    # Both years with timed events are covered by the one VTIMEZONE.
    calendar = Calendar.from_ical(feed(settings, "en", **EVERYTHING))
    [zone] = calendar.walk("VTIMEZONE")
    summers = [moment for moment, offset in onsets(zone) if offset == timedelta(hours=2)]
    assert [moment.year for moment in summers] == [2019, 2020, 2021]


def test_events_without_an_end_and_one_day_events_have_no_dtend(settings: Settings) -> None:
    path = item_path(settings.content_dir, EUROCITIES_ID)
    item = load_item(path)
    assert item.event is not None
    save_item(replace(item, event=replace(item.event, end=None)), settings.content_dir)
    cor = load_item(item_path(settings.content_dir, CoR_ID))
    assert cor.event is not None
    save_item(replace(cor, event=replace(cor.event, end=None)), settings.content_dir)

    found = events(feed(settings, "en", **EVERYTHING))
    for item_id in (EUROCITIES_ID, CoR_ID):
        event = found[f"{item_id}@{HOST}"]
        assert "DTEND" not in event and "DURATION" not in event
    assert found[f"{CoR_ID}@{HOST}"].decoded("DTSTART") == datetime(2021, 6, 18, 10, 0,
                                                                   tzinfo=BRUSSELS)


def test_only_events_with_a_start_have_a_calendar_file(settings: Settings) -> None:
    news = next(v for v in load_views(settings, "en") if v.item.event is None)
    assert news.event_url is None
    with pytest.raises(ValueError, match=f"^{news.item.id}: the item has no event"):
        render_event(news, catalog=catalog("en"))
    undated = replace(news, item=replace(news.item, kind="event",
                                         event=Event("Europe/Brussels", False)))
    with pytest.raises(ValueError):
        render_event(undated, catalog=catalog("en"))
    assert events(render_calendar([undated], name="x", language="en", catalog=catalog("en"),
                                  **EVERYTHING)) == {}


RENDER_IN_A_NEW_PROCESS = """
import sys
from datetime import date
from pathlib import Path
from newsletter.config import load_settings
from newsletter.messages import load_catalog
from newsletter.render.ics import render_calendar
from newsletter.render.views import load_views
from newsletter.resources import resource_dir
settings = load_settings(Path(sys.argv[1]))
sys.stdout.buffer.write(render_calendar(
    load_views(settings, "el"), name="News", language="el",
    catalog=load_catalog(resource_dir("locales"), "el"), today=date(2021, 6, 1),
    past_days=100_000))
"""


def test_several_zones_come_in_one_order_in_every_process(settings: Settings) -> None:
    for item_id, zone in ((EUROCITIES_ID, "Europe/Athens"),
                          ("social-innovation-lab-26-27-march-glasgow", "Europe/London")):
        item = load_item(item_path(settings.content_dir, item_id))
        assert item.event is not None
        moment = datetime(2019, 5, 15, 9, 0, tzinfo=ZoneInfo(zone))
        save_item(replace(item, event=replace(item.event, timezone=zone, start=moment,
                                              end=moment + timedelta(hours=3))),
                  settings.content_dir)
    outputs = set()
    for seed in ("1", "2", "3"):
        result = subprocess.run(
            [sys.executable, "-c", RENDER_IN_A_NEW_PROCESS, str(settings.project_dir)],
            env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True, check=True)
        outputs.add(result.stdout)
    [data] = outputs
    assert data == feed(settings, "el", **EVERYTHING).replace(b"News (el)", b"News")
    calendar = Calendar.from_ical(data)
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == [
        "Europe/Athens", "Europe/Brussels", "Europe/London"]
    athens = events(data)[f"{EUROCITIES_ID}@{HOST}"]
    assert athens["DTSTART"].params["TZID"] == "Europe/Athens"
    assert athens.decoded("DTSTART").utcoffset() == timedelta(hours=3)
    assert "DTSTART;TZID=Europe/London:20190515T090000" in unfolded(data)
