"""Pages of the same sites that differ from the examples: other chrome, no zone, bad times."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from conftest import EXAMPLE_PAGES

from newsletter import importers
from newsletter.config import load_settings
from newsletter.model import NewsItem

COR_PAGE = (EXAMPLE_PAGES / "cor-workshop-el.txt").read_text(encoding="utf-8")


def import_variant(tmp_path: Path, text: str, config: str = "") -> NewsItem:
    if config:
        (tmp_path / "newsletter.toml").write_text(config, encoding="utf-8")
    page = tmp_path / "page.txt"
    page.write_text(text, encoding="utf-8")
    report = importers.run(load_settings(tmp_path), [page], dry_run=True)
    assert not report.failed_pages, report.failed_pages
    (result,) = report.items
    return result.item


def cor_variant(*replacements: tuple[str, str]) -> str:
    text = COR_PAGE
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text


def test_cor_page_with_slovak_chrome(tmp_path: Path) -> None:
    item = import_variant(tmp_path, cor_variant(
        ("Αυτόματη μετάφραση", "Strojový preklad"),
        ("Πατήστε εδώ για την αυτόματη μετάφραση του κάτωθι κειμένου.",
         "Kliknite sem pre strojový preklad nasledujúceho textu."),
        ("Κοινοποίηση :", "Zdieľať :"),
        ("Σχετικές πληροφορίες", "Súvisiace informácie"),
    ))
    assert (item.language, item.page_language) == ("en", "sk")
    assert item.title.startswith("Online Workshop for Local and Regional Authorities")


def test_cor_page_without_chrome_banner(tmp_path: Path) -> None:
    item = import_variant(tmp_path, cor_variant(
        ("Αυτόματη μετάφραση\n\u00a0\nΠατήστε εδώ για την αυτόματη μετάφραση του κάτωθι κειμένου.\n",
         ""),
    ))
    assert item.title.startswith("Online Workshop for Local and Regional Authorities")
    assert item.page_language == "el"  # still told by the share widget


def test_unstated_zone_uses_the_organisation_default_and_says_so(tmp_path: Path) -> None:
    item = import_variant(
        tmp_path,
        cor_variant(("18 June 2021 10:00 CEST", "18 June 2021 10:00"),
                    ("18 June 2021 10:00-12:30 CEST", "18 June 2021 10:00-12:30")),
        config='[organisations.CoR]\ntimezone = "Europe/Athens"\n',
    )
    assert item.event is not None
    assert item.event.start.isoformat() == "2021-06-18T10:00:00+03:00"
    assert (item.event.timezone, item.event.timezone_assumed) == ("Europe/Athens", True)


def test_a_stated_zone_wins_over_the_organisation_default(tmp_path: Path) -> None:
    item = import_variant(tmp_path, COR_PAGE,
                          config='[organisations.CoR]\ntimezone = "Europe/Athens"\n')
    assert item.event is not None
    assert item.event.start.isoformat() == "2021-06-18T10:00:00+02:00"
    assert (item.event.timezone, item.event.timezone_assumed) == ("Europe/Brussels", False)


def test_a_date_without_a_year_is_flagged_not_guessed(tmp_path: Path) -> None:
    item = import_variant(tmp_path, cor_variant(
        ("18 June 2021 10:00 CEST", "18 June 10:00 CEST"),
        ("18 June 2021 10:00-12:30 CEST", "18 June 10:00-12:30 CEST"),
    ))
    assert item.event is not None
    assert (item.event.start, item.event.end) == (None, None)
    assert [w.render() for w in item.warnings] == [
        "event.start: '18 June' has no year, so the event date is unknown",
        "event.start: '18 June' has no year, so the event date is unknown",
    ]


def test_an_agenda_running_backwards_is_flagged(tmp_path: Path) -> None:
    item = import_variant(tmp_path, cor_variant(
        ("10:00\u00a0Start of event", "9:30-9:45 p.m. Start of event"),
        ("10:05 Opening and welcome", "9:45-10.30 a.m. Opening and welcome"),
    ))
    assert item.event is not None
    assert [(row.time, row.text) for row in item.event.agenda[:2]] == [
        ("21:30-21:45", "Start of event"), ("09:45-10:30", "Opening and welcome")]
    assert [w.render() for w in item.warnings] == [
        "event.agenda: the agenda row '9:45-10.30 a.m. Opening and welcome' starts before the "
        "row above it; check its times",
    ]


def test_an_impossible_clock_time_is_left_out_of_the_agenda(tmp_path: Path) -> None:
    item = import_variant(tmp_path, cor_variant(("10:05 Opening", "25:05 Opening")))
    assert item.event is not None
    assert "Opening and welcome" not in [row.text for row in item.event.agenda]
    assert [w.field for w in item.warnings] == ["event.agenda"]


def test_end_before_start_is_dropped_with_a_warning(tmp_path: Path) -> None:
    item = import_variant(tmp_path, cor_variant(("10:00-12:30 CEST", "10:00-09:30 CEST")))
    assert item.event is not None
    assert item.event.end is None
    assert [w.render() for w in item.warnings] == [
        "event.end: '09:30' cannot end an event that starts at 10:00; the end was left out"]


def test_cemr_page_in_french(tmp_path: Path) -> None:
    text = (EXAMPLE_PAGES / "cemr-bilbao-2018.txt").read_text(encoding="utf-8")
    text = text.replace("Council of European Municipalities and Regions (CEMR)",
                        "Conseil des Communes et Régions d'Europe (CCRE)")
    text = text.replace("Home / News / In-depth news", "Accueil / Actualités / Actualités en détail")
    item = import_variant(tmp_path, text)
    assert item.source_org == "CEMR"
    assert item.source_org_name == "Conseil des Communes et Régions d'Europe"
    assert item.page_language == "fr"
    assert item.published == date(2018, 5, 15)


def test_eurocities_publication_date_with_space_before_colon(tmp_path: Path) -> None:
    text = (EXAMPLE_PAGES / "eurocities-migration-listing.txt").read_text(encoding="utf-8")
    text = text.replace("publication date: 13-02-2019", "publication date : 13-02-2019")
    report = importers.run(load_settings(tmp_path), [_write(tmp_path, text)], dry_run=True)
    assert report.items[0].item.published == date(2019, 2, 13)
    assert len(report.items) == 10


def _write(folder: Path, text: str) -> Path:
    path = folder / "listing.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_cor_title_too_short_to_detect_still_follows_the_banner(tmp_path: Path) -> None:
    item = import_variant(tmp_path, cor_variant((
        "Online Workshop for Local and Regional Authorities: Setting Up a Local Integration "
        "Strategy – Stakeholder Involvement and Ownership", "Integration Workshop")))
    assert item.title == "Integration Workshop"
    assert item.page_language == "el"
