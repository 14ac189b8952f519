"""Every field of every item imported from the five example pages, pinned."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import DATA, EXAMPLE_PAGES, REGENERATE

from newsletter import importers
from newsletter.config import load_settings
from newsletter.content import item_to_dict, load_item
from newsletter.model import NewsItem

PAGES = sorted(p.name for p in EXAMPLE_PAGES.glob("*.txt"))


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> importers.ImportReport:
    settings = load_settings(tmp_path_factory.mktemp("project"))
    return importers.run(settings, [EXAMPLE_PAGES])


def items_of(report: importers.ImportReport, page: str) -> list[NewsItem]:
    return [r.item for r in report.items if r.page.name == page]


def by_id(report: importers.ImportReport, item_id: str) -> NewsItem:
    return next(r.item for r in report.items if r.item.id == item_id)


def pinned(item: NewsItem) -> dict[str, object]:
    data = item_to_dict(item)
    data["imported"].pop("fingerprint")  # a hash of the rest, which is pinned anyway
    return data


@pytest.mark.parametrize("page", PAGES)
def test_every_field_matches_the_expected_file(report: importers.ImportReport, page: str) -> None:
    expected_file = DATA / "import" / f"{Path(page).stem}.json"
    actual = [pinned(item) for item in items_of(report, page)]
    if REGENERATE or not expected_file.exists():
        if not REGENERATE:
            pytest.fail(f"{expected_file} is missing; run with NEWSLETTER_REGENERATE=1 to create it")
        expected_file.write_text(json.dumps(actual, ensure_ascii=False, indent=2) + "\n",
                                 encoding="utf-8")
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    assert actual == expected


def test_all_pages_import_with_the_expected_shapes(report: importers.ImportReport) -> None:
    assert [(p.path.name, p.importer, len(p.items)) for p in report.pages] == [
        ("cemr-bilbao-2018.txt", "cemr", 1),
        ("cemr-refugee-week-2021.txt", "cemr", 1),
        ("cemr-towns-exchange-2022.txt", "cemr", 1),
        ("cor-workshop-el.txt", "cor", 1),
        ("eurocities-migration-listing.txt", "eurocities", 10),
    ]
    assert not report.failed_pages
    assert {r.status for r in report.items} == {"new"}
    written = {r.path for r in report.items}
    assert all(load_item(path) == r.item for path, r in zip(sorted(written), sorted(
        report.items, key=lambda r: r.path), strict=True))


def test_cemr_pages(report: importers.ImportReport) -> None:
    bilbao = by_id(report, "migrant-integration-in-an-interconnected-world-bilbao-session-focus")
    assert bilbao.kind == "news"
    assert bilbao.source_org == "CEMR"
    assert bilbao.source_org_name == "Council of European Municipalities and Regions"
    assert bilbao.section == "Equality of women and men in local life"
    assert bilbao.tags == ("Bilbao 2018",)
    assert bilbao.published == date(2018, 5, 15)
    assert bilbao.lead.startswith("Migration has always existed in different forms")
    assert bilbao.body.startswith("What can towns and regions do")
    assert bilbao.body.endswith("official conference hashtag #CEMRBilbao2018.\n")
    assert (bilbao.language, bilbao.page_language) == ("en", "fr")  # "suivant > < précédent"

    towns = by_id(report, "european-towns-exchange-good-practices-to-boost-migrants-integration")
    assert towns.published == date(2022, 9, 2)
    assert towns.tags == ("Migration and inclusion",)
    assert towns.section == "Diversity and integration"
    # The lead is wrapped across two lines on the page.
    assert towns.lead.endswith("can also serve as a model for larger European cities.")
    assert "\nSharing good practices\n" in towns.body
    assert (towns.language, towns.page_language) == ("en", "en")

    refugee = by_id(report, "get-inspired-with-cemr-s-sessions-at-refugee-week")
    assert refugee.published == date(2021, 5, 26)
    assert refugee.tags == ('"We cannot walk alone"',)
    assert refugee.body.endswith("Save the date and register:\n")


def test_eurocities_listing(report: importers.ImportReport) -> None:
    items = items_of(report, "eurocities-migration-listing.txt")
    assert [(i.kind, i.published, i.event.start if i.event else None) for i in items] == [
        ("news", date(2019, 2, 13), None),
        ("publication", date(2019, 2, 8), None),
        ("news", date(2019, 2, 7), None),
        ("news", date(2019, 2, 7), None),
        ("news", date(2019, 2, 5), None),
        ("news", date(2019, 2, 1), None),
        ("event", None, date(2019, 3, 26)),
        ("event", None, date(2019, 5, 15)),
        ("news", date(2019, 1, 24), None),
        ("news", date(2019, 1, 24), None),
    ]
    assert items[0].title == "Milan is the 19th city to sign pledge to the EU Pillar of Social Rights"
    assert all(i.section == "migration & integration" for i in items)
    assert [i.tags for i in items if i.tags] == [("cooperation",), ("cooperation",)]
    assert by_id(report, "eurocities-cooperation-platform-2019").tags == ("cooperation",)

    lab = by_id(report, "social-innovation-lab-26-27-march-glasgow")
    assert lab.event is not None
    assert (lab.event.start, lab.event.end) == (date(2019, 3, 26), date(2019, 3, 27))
    assert lab.event.all_day
    assert (lab.event.timezone, lab.event.timezone_assumed) == ("Europe/Brussels", True)

    platform = by_id(report, "eurocities-cooperation-platform-2019")
    assert [w.render() for w in platform.warnings] == [
        "event.start: the text mentions 2018 but the start date is 2019-05-15; "
        "check which is right"
    ]
    truncated = by_id(report, "register-now-for-the-eurocities-high-level-political-event-at-"
                              "the-european")
    assert [w.field for w in truncated.warnings] == ["lead"]


def test_cor_event_page(report: importers.ImportReport) -> None:
    (event_item,) = items_of(report, "cor-workshop-el.txt")
    assert event_item.title == (
        "Online Workshop for Local and Regional Authorities: Setting Up a Local Integration "
        "Strategy – Stakeholder Involvement and Ownership")
    assert (event_item.language, event_item.page_language) == ("en", "el")
    assert event_item.source_org == "CoR"
    assert event_item.source_url == (
        "https://cor.europa.eu/EL/EVENTS/PAGES/WORKSHOP-LOCAL-AND-REGIONAL-AUTHORITIES-SETTING-UP"
        "-LOCAL-INTEGRATION-STRATEGY-STAKEHOLDER-INVOLVEMENT-OWNERSHIP.ASPX")
    event = event_item.event
    assert event is not None
    assert event.start.isoformat() == "2021-06-18T10:00:00+02:00"
    assert event.end.isoformat() == "2021-06-18T12:30:00+02:00"
    assert event.start.astimezone(UTC) == datetime(2021, 6, 18, 8, 0, tzinfo=UTC)
    assert (event.timezone, event.timezone_assumed, event.online) == ("Europe/Brussels", False, True)
    assert [(row.time, row.text) for row in event.agenda] == [
        ("10:00", "Start of event"),
        ("10:05", "Opening and welcome"),
        ("10:15", "First session: What are the main areas that an inclusive integration "
                  "strategy at a local level should cover?"),
        ("10:40", "Second session: Which main actors should be involved in the development and "
                  "implementation of a local integration strategy?"),
        ("11:10", "Coffee break"),
        ("11:20", "Parallel Break-Out Sessions"),
        ("12:10", "Back to plenary"),
        ("12:30", "End of the event"),
    ]
    assert event.organiser == "European Commission and the European Committee of the Regions"
    assert event.contact == "CIVEX secretariat <integration@cor.europa.eu>"
    assert [(link.url.rsplit("/", 1)[1], link.title) for link in event_item.links] == [
        ("WORLD-CHILDREN-DAY-PROTECTING-EMPOWERING-MIGRANT-REFUGEE-CHILDREN.ASPX",
         "World Children’s Day: the role of local authorities in protecting and empowering "
         "migrant and refugee children"),
        ("INTEGRATION-NETWORK-MARCH.ASPX",
         "Empowering regions and cities in migrant integration governance"),
        ("SIRA-CONFERENCE-STRENGTHENING-SOCIAL-ORIENTATION-RURAL-AREAS.ASPX",
         "SIRA Transnational Conference: Strengthening and Expanding Social Orientation and "
         "Integration of Newcomers in Rural areas"),
        ("LEGAL-MIGRATION.ASPX",
         "Stakeholder consultation: Legal Migration – Attracting Skills and Talent to the EU"),
        ("MIGRANT-ACCESS-TO-HEALTHCARE.ASPX",
         "Migrant access to healthcare: From emergency responses to sustainable solutions"),
    ]
    assert all(link.url.startswith("https://cor.europa.eu/EL/") for link in event_item.links)
    assert "\n- Case Study\n  Stakeholder Participatory Approach" in event_item.body
    assert event_item.body.endswith("please contact integration@cor.europa.eu\n")
    assert event_item.warnings == ()


CHROME_AND_SPAM = (
    "Développez", "référencement", "SEO", "suivant", "précédent", "next >", "< previous",
    "Home /", "In-depth news", "European section of United Cities", "Αυτόματη", "Πατήστε",
    "Κοινοποίηση", "Σχετικές", "Related events", "HTTPS://", "logo", "screenshot",
    "Contact Person", "Organizer:", "Cities have long been attractive destinations",
    "Integrating Cities Charter",
)


def test_no_navigation_chrome_or_spam_reaches_any_item(report: importers.ImportReport) -> None:
    for result in report.items:
        data = item_to_dict(result.item)
        data.pop("imported")
        text = json.dumps(data, ensure_ascii=False)
        for crumb in CHROME_AND_SPAM:
            assert crumb not in text, f"{result.item.id} contains {crumb!r}"


def test_loaded_event_times_are_in_the_event_zone(report: importers.ImportReport) -> None:
    (result,) = [r for r in report.items if r.page.name == "cor-workshop-el.txt"]
    event = load_item(result.path).event
    assert event is not None
    assert event.start.tzinfo == ZoneInfo("Europe/Brussels")
    assert event.end.tzname() == "CEST"
