"""Which items a week's digest carries, on the seed pages and on variants of them."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import seed_project

from newsletter.config import Settings, load_settings
from newsletter.digest import DigestError, parse_week, select_issue, week_name
from newsletter.model import NewsItem
from newsletter.render.views import load_items

CONFIG = """
[site]
languages = ["en", "el"]
"""
TOWNS_ID = "european-towns-exchange-good-practices-to-boost-migrants-integration"
COR_ID = "online-workshop-for-local-and-regional-authorities-setting-up-a-local"
BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return load_settings(seed_project(tmp_path_factory.mktemp("digest"), CONFIG))


@pytest.fixture(scope="module")
def items(settings: Settings) -> list[NewsItem]:
    return load_items(settings)


def by_id(items: list[NewsItem], item_id: str) -> NewsItem:
    return next(item for item in items if item.id == item_id)


def ids(items: tuple[NewsItem, ...]) -> list[str]:
    return [item.id for item in items]


def test_cemr_towns_item_is_the_news_of_its_week(settings: Settings) -> None:
    issue = select_issue(settings, "2022-W35")
    assert (issue.week, issue.first_day, issue.last_day) == (
        "2022-W35", date(2022, 8, 29), date(2022, 9, 4))
    assert ids(issue.news) == [TOWNS_ID]
    assert issue.events == ()
    assert not issue.empty
    assert week_name(date(2022, 9, 2)) == "2022-W35"


def test_cor_event_is_an_event_of_its_week_never_news(settings: Settings) -> None:
    issue = select_issue(settings, "2021-W24")
    assert ids(issue.events) == [COR_ID]
    assert issue.news == ()


@pytest.mark.parametrize(("week", "upcoming", "listed"), [
    ("2021-W22", 4, True),   # 31 May - 6 June; events until 4 July
    ("2021-W20", 4, True),   # events until 20 June
    ("2021-W19", 4, False),  # events until 13 June: the workshop is on the 18th
    ("2021-W22", 1, False),
    ("2021-W23", 1, True),
    ("2021-W24", 0, True),
    ("2021-W25", 4, False),  # it has started by then
])
def test_events_of_the_upcoming_weeks(settings: Settings, week: str, upcoming: int,
                                      listed: bool) -> None:
    issue = select_issue(dataclasses.replace(settings, digest_upcoming_weeks=upcoming), week)
    assert (COR_ID in ids(issue.events)) is listed


def test_default_upcoming_weeks_are_four(settings: Settings) -> None:
    assert settings.digest_upcoming_weeks == 4
    assert ids(select_issue(settings, "2021-W22").events) == [COR_ID]


def test_news_newest_first_then_by_id_publications_included(settings: Settings) -> None:
    issue = select_issue(settings, "2019-W06")
    assert ids(issue.news) == [
        "new-eurocities-report-cities-delivering-social-rights",                   # 8 Feb
        "athens-is-13th-city-to-sign-pledge-to-the-eu-pillar-of-social-rights",    # 7 Feb
        "leeds-is-the-14th-city-to-sign-pledge-to-the-eu-pillar-of-social-rights",  # 7 Feb
        "turku-is-12th-city-to-sign-pledge-to-the-european-pillar-of-social-rights",  # 5 Feb
    ]


def test_sections_in_the_configured_order_then_by_name_then_none(
        settings: Settings, items: list[NewsItem]) -> None:
    towns = by_id(items, TOWNS_ID)
    variants = [dataclasses.replace(towns, id=item_id, section=section, published=published)
                for item_id, section, published in [
                    ("a-no-section", "", date(2022, 9, 4)),
                    ("b-zoning", "Zoning", date(2022, 9, 1)),
                    ("c-culture", "culture", date(2022, 8, 29)),
                    ("d-events", "Events", date(2022, 8, 30)),
                    ("e-events-newer", "Events", date(2022, 9, 3)),
                    ("f-outside", "Events", date(2022, 9, 5)),  # the next week
                ]]
    configured = dataclasses.replace(settings, digest_sections=("Events", "Diversity and integration"))
    issue = select_issue(configured, "2022-W35", [*items, *variants])
    assert ids(issue.news) == ["e-events-newer", "d-events", TOWNS_ID, "c-culture", "b-zoning",
                               "a-no-section"]

    unconfigured = select_issue(settings, "2022-W35", [*items, *variants])
    assert ids(unconfigured.news) == ["c-culture", TOWNS_ID, "e-events-newer", "d-events",
                                      "b-zoning", "a-no-section"]


def test_event_start_day_is_read_in_the_event_zone(settings: Settings,
                                                   items: list[NewsItem]) -> None:
    cor = by_id(items, COR_ID)
    assert cor.event is not None

    def at(item_id: str, start: datetime) -> NewsItem:
        return dataclasses.replace(cor, id=item_id, event=dataclasses.replace(
            cor.event, start=start, end=None))

    variants = [
        # Monday 00:30 in Brussels is still Sunday in UTC: it belongs to the Monday's week.
        at("monday-early", datetime(2021, 6, 14, 0, 30, tzinfo=BRUSSELS)),
        # Sunday 23:30 in Brussels is Sunday; stored with a UTC offset, the same instant.
        at("sunday-late", datetime(2021, 6, 20, 21, 30, tzinfo=ZoneInfo("UTC"))),
        at("sunday-before", datetime(2021, 6, 13, 23, 30, tzinfo=BRUSSELS)),
        dataclasses.replace(cor, id="all-day-monday", event=dataclasses.replace(
            cor.event, start=date(2021, 6, 14), end=date(2021, 6, 15))),
        dataclasses.replace(cor, id="no-start", event=dataclasses.replace(
            cor.event, start=None, end=None)),
    ]
    issue = select_issue(dataclasses.replace(settings, digest_upcoming_weeks=0), "2021-W24",
                         [*items, *variants])
    # By start instant (the all-day event from midnight in its zone), then id.
    assert ids(issue.events) == ["all-day-monday", "monday-early", COR_ID, "sunday-late"]


def test_an_event_with_a_publication_date_is_not_news(settings: Settings,
                                                      items: list[NewsItem]) -> None:
    cor = dataclasses.replace(by_id(items, COR_ID), published=date(2021, 5, 3))
    issue = select_issue(settings, "2021-W18", [cor])
    assert issue.news == ()
    assert ids(issue.events) == []


def test_a_week_with_nothing_is_empty(settings: Settings) -> None:
    issue = select_issue(settings, "2020-W10")
    assert issue.empty
    assert (issue.news, issue.events) == ((), ())


def test_items_given_are_used_instead_of_the_content_folder(settings: Settings) -> None:
    assert select_issue(settings, "2022-W35", []).empty


@pytest.mark.parametrize(("text", "expected"), [
    ("2021-W24", (2021, 24)),
    ("2020-W53", (2020, 53)),
    ("2021-W01", (2021, 1)),
    (" 2021-W24 ", (2021, 24)),
])
def test_parse_week(text: str, expected: tuple[int, int]) -> None:
    assert parse_week(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("2021-W54", "'2021-W54' is not a week of 2021 (expected a week from 2021-W01 to 2021-W52)"),
    ("2021-W53", "'2021-W53' is not a week of 2021 (expected a week from 2021-W01 to 2021-W52)"),
    ("2020-W00", "'2020-W00' is not a week of 2020 (expected a week from 2020-W01 to 2020-W53)"),
    ("21-W1", "'21-W1' is not an ISO week (expected YYYY-Www, such as 2021-W24)"),
    ("2021W24", "'2021W24' is not an ISO week (expected YYYY-Www, such as 2021-W24)"),
    ("2021-W2", "'2021-W2' is not an ISO week (expected YYYY-Www, such as 2021-W24)"),
    ("2021-06-18", "'2021-06-18' is not an ISO week (expected YYYY-Www, such as 2021-W24)"),
    ("", "'' is not an ISO week (expected YYYY-Www, such as 2021-W24)"),
])
def test_bad_weeks_are_refused_with_the_form_expected(settings: Settings, text: str,
                                                      message: str) -> None:
    with pytest.raises(DigestError) as caught:
        parse_week(text)
    assert str(caught.value) == message
    assert caught.value.message.render() == message
    with pytest.raises(DigestError):
        select_issue(settings, text)


def test_issue_names_its_week_canonically(settings: Settings) -> None:
    assert select_issue(settings, " 2021-W24").week == "2021-W24"
