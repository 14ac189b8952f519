"""The `newsletter` command, run for real on temporary projects."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from conftest import EXAMPLE_PAGES

from newsletter.cli import cli

JSON_KEYS = {"id", "kind", "source_org", "section", "source_url", "title", "lead", "body",
             "published", "language", "page_language", "tags", "links", "warnings", "event"}
EVENT_KEYS = {"start", "end", "timezone", "timezone_assumed", "online", "location", "agenda",
              "organiser", "contact"}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_import_writes_items_and_reports_them(tmp_path: Path) -> None:
    code, out, err = run("--project", str(tmp_path), "import", str(EXAMPLE_PAGES))
    assert code == 0
    assert len(list((tmp_path / "content").glob("*.md"))) == 14
    assert "Imported items" in out
    assert "5 pages read, 0 failed; items: 14 new, 0 updated, 0 unchanged, 0 conflicts; " \
           "2 warnings." in err


def test_reimport_is_idempotent(tmp_path: Path) -> None:
    run("--project", str(tmp_path), "import", str(EXAMPLE_PAGES))
    before = {p.name: p.read_bytes() for p in (tmp_path / "content").glob("*.md")}
    code, _, err = run("--project", str(tmp_path), "import", str(EXAMPLE_PAGES))
    assert code == 0
    assert "items: 0 new, 0 updated, 14 unchanged, 0 conflicts" in err
    assert {p.name: p.read_bytes() for p in (tmp_path / "content").glob("*.md")} == before


def test_dry_run_json_prints_items_and_writes_nothing(tmp_path: Path) -> None:
    code, out, err = run("--project", str(tmp_path), "import", "--dry-run", "--json",
                         str(EXAMPLE_PAGES / "cor-workshop-el.txt"))
    assert code == 0
    assert not (tmp_path / "content").exists()
    (item,) = json.loads(out)
    assert set(item) >= JSON_KEYS
    assert set(item["event"]) >= EVENT_KEYS
    assert item["event"]["start"] == "2021-06-18T10:00:00+02:00"
    assert item["event"]["agenda"][0] == {"time": "10:00", "text": "Start of event"}
    assert "Dry run: nothing was written." in err


def test_strict_fails_on_warnings(tmp_path: Path) -> None:
    code, _, _ = run("--project", str(tmp_path), "import", "--strict",
                     str(EXAMPLE_PAGES / "eurocities-migration-listing.txt"))
    assert code == 1
    code, _, _ = run("--project", str(tmp_path / "other"), "import", "--strict",
                     str(EXAMPLE_PAGES / "cemr-bilbao-2018.txt"))
    assert code == 0


def test_config_problems_exit_1_with_the_message(tmp_path: Path) -> None:
    (tmp_path / "newsletter.toml").write_text('[site]\nlanguages = "el"\n', encoding="utf-8")
    code, _, err = run("--project", str(tmp_path), "import", str(EXAMPLE_PAGES))
    assert code == 1
    assert err == (f"Error: {tmp_path / 'newsletter.toml'}: site.languages: got 'el', "
                   "expected a non-empty list of language codes\n")


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    code, _, err = run("import", str(tmp_path / "missing.txt"))
    assert code == 2
    assert "does not exist" in err

