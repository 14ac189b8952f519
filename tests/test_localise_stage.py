"""The localise stage on the seed items, with real Argos packages built offline."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

pytest.importorskip("ctranslate2", reason="ctranslate2 missing: pip install argos-translate-lt")

from argos_model import build_argos_package, corpus
from click.testing import CliRunner
from conftest import copy_project, seed_project

from newsletter.cli import cli
from newsletter.config import Settings, load_settings
from newsletter.content import fingerprint, item_path, load_item, save_item, source_item_paths
from newsletter.localise import stage
from newsletter.localise.engines.argos import ArgosEngine, install_package_file
from newsletter.localise.memory import TranslationMemory
from newsletter.localise.store import load_localised, localised_path

CONFIG = """
[site]
languages = ["en", "el", "es"]

[translation]
engines = ["argos"]
argos_packages = "{packages}"
"""
CoR_ID = "online-workshop-for-local-and-regional-authorities-setting-up-a-local"


class CountingEngine:
    """The real engine, counting the calls and sentences that reach it."""

    def __init__(self, engine: ArgosEngine) -> None:
        self.engine = engine
        self.name = engine.name
        self.calls: list[tuple[str, str, list[str]]] = []

    def model_version(self, source: str, target: str) -> str | None:
        return self.engine.model_version(source, target)

    def translate(self, source: str, target: str, segments: Sequence[str]) -> list[str]:
        self.calls.append((source, target, list(segments)))
        return self.engine.translate(source, target, segments)


@pytest.fixture(scope="module")
def packages_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    archives = tmp_path_factory.mktemp("archives")
    folder = tmp_path_factory.mktemp("packages")
    for seed, pair in enumerate(("en_el", "fr_en")):
        archive = build_argos_package(archives / f"{pair}.argosmodel", *pair.split("_"), corpus(),
                                      seed=seed)
        install_package_file(archive, folder)
    return folder


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory, packages_dir: Path) -> Path:
    """A project with the seed pages imported, copied afresh for each test."""
    return seed_project(tmp_path_factory.mktemp("imported"), CONFIG.format(packages=packages_dir))


@pytest.fixture
def settings(imported: Path, tmp_path: Path) -> Settings:
    return copy_project(imported, tmp_path)


def localise(settings: Settings, languages: Sequence[str] | None = None
             ) -> tuple[stage.LocaliseReport, CountingEngine]:
    engine = CountingEngine(ArgosEngine(settings.argos_dir))
    return stage.run(settings, languages, engines={"argos": engine}), engine


def read(settings: Settings, language: str, item_id: str) -> dict:
    return json.loads(localised_path(settings.data_dir, language, item_id).read_text("utf-8"))


def test_every_item_in_every_language_with_provenance(settings: Settings) -> None:
    report, engine = localise(settings)
    ids = [p.stem for p in source_item_paths(settings.content_dir)]
    assert len(ids) == 14
    for language in ("en", "el", "es"):
        assert report.languages[language].items == 14
        for item_id in ids:
            assert localised_path(settings.data_dir, language, item_id).is_file()

    english = read(settings, "en", CoR_ID)
    source = load_item(item_path(settings.content_dir, CoR_ID))
    assert english["fields"]["title"] == {"text": source.title, "provenance": "source"}
    assert english["fields"]["body"]["text"] == source.body

    greek = read(settings, "el", CoR_ID)
    assert set(greek["fields"]) >= {"title", "body", "event.agenda[0]", "links[0].title"}
    for name, value in greek["fields"].items():
        assert value["provenance"] == "machine", name
        assert value["engine"] == "argos"
        assert value["model_version"] == "en-el@1.0"
    assert greek["source_fingerprint"] == fingerprint(source)

    spanish = read(settings, "es", CoR_ID)
    assert {v["provenance"] for v in spanish["fields"].values()} == {"missing"}
    assert spanish["fields"]["title"]["text"] == source.title
    assert [(p.source, p.target, p.items) for p in report.missing] == [("en", "es", 14)]
    assert report.missing[0].command == "newsletter models install en es"

    # One engine call for the whole pair, each distinct sentence sent once.
    assert [(s, t) for s, t, _ in engine.calls] == [("en", "el")]
    sent = engine.calls[0][2]
    assert len(sent) == len(set(sent)) == report.languages["el"].translated
    assert [len(s) for s in sent] == sorted((len(s) for s in sent), reverse=True)


def test_translated_markdown_keeps_every_link(settings: Settings) -> None:
    localise(settings, ["el"])
    for path in source_item_paths(settings.content_dir):
        source = load_item(path)
        body = read(settings, "el", source.id)["fields"].get("body", {}).get("text", "")
        urls = re.findall(r"\]\((\S+?)\)", source.body)
        assert re.findall(r"\]\((\S+?)\)", body) == urls, source.id


def test_a_second_run_makes_no_engine_call_and_writes_nothing(settings: Settings) -> None:
    first, _ = localise(settings)
    before = {p: p.read_bytes() for p in settings.data_dir.glob("localised/*/*.json")}
    second, engine = localise(settings)
    assert engine.calls == []
    assert sum(r.written for r in second.languages.values()) == 0
    assert second.languages["el"].from_memory == first.languages["el"].translated
    assert {p: p.read_bytes() for p in settings.data_dir.glob("localised/*/*.json")} == before


def test_changing_one_sentence_translates_only_that_sentence(settings: Settings) -> None:
    localise(settings, ["el"])
    item = load_item(item_path(settings.content_dir, CoR_ID))
    changed = "Regions meet online to share what works"
    save_item(type(item)(**{**item.__dict__, "title": changed}), settings.content_dir)
    report, engine = localise(settings, ["el"])
    assert [segments for _, _, segments in engine.calls] == [[changed]]
    assert report.languages["el"].written == 1


def test_an_editors_file_wins_field_by_field(settings: Settings) -> None:
    localise(settings, ["el"])
    before = read(settings, "el", CoR_ID)
    source = load_item(item_path(settings.content_dir, CoR_ID))
    item_path(settings.content_dir, CoR_ID, "el").write_text(
        "---\nlanguage: el\ntitle: Διαδικτυακό εργαστήριο για τοπικές αρχές\n"
        f"agenda: [null, Καλωσόρισμα]\nsource_fingerprint: {fingerprint(source)}\n---\n",
        encoding="utf-8")
    report, engine = localise(settings, ["el"])
    assert engine.calls == []
    after = read(settings, "el", CoR_ID)
    assert after["fields"]["title"] == {"text": "Διαδικτυακό εργαστήριο για τοπικές αρχές",
                                        "provenance": "human"}
    assert after["fields"]["event.agenda[1]"]["provenance"] == "human"
    assert after["fields"]["event.agenda[0]"] == before["fields"]["event.agenda[0]"]
    assert after["fields"]["body"] == before["fields"]["body"]
    assert report.warnings == []


def test_an_editors_file_older_than_its_source_is_flagged(settings: Settings) -> None:
    item_path(settings.content_dir, CoR_ID, "el").write_text(
        "---\ntitle: Εργαστήριο\nsource_fingerprint: abc123\n---\nΚείμενο.\n", encoding="utf-8")
    report, _ = localise(settings, ["el"])
    assert [(p.name, w.field) for p, w in report.warnings] == [(f"{CoR_ID}.el.md",
                                                                "source_fingerprint")]
    localised = load_localised(localised_path(settings.data_dir, "el", CoR_ID))
    assert localised.text("body") == "Κείμενο.\n"
    assert localised.fields["body"].provenance.kind == "human"


def test_a_broken_editors_file_is_named_and_the_previous_output_kept(settings: Settings) -> None:
    localise(settings, ["el"])
    before = localised_path(settings.data_dir, "el", CoR_ID).read_bytes()
    item_path(settings.content_dir, CoR_ID, "el").write_text(
        "---\ntitle: Εργαστήριο\nsubtitle: όχι\n---\n", encoding="utf-8")
    report, _ = localise(settings, ["el"])
    assert [str(e) for e in report.errors] == [
        f"{item_path(settings.content_dir, CoR_ID, 'el')}: field 'subtitle': not a field of a "
        "translation (expected agenda, language, lead, links, source_fingerprint, title)"]
    assert localised_path(settings.data_dir, "el", CoR_ID).read_bytes() == before


def test_sentences_fixed_by_editors_in_the_memory_come_first(settings: Settings) -> None:
    title = load_item(item_path(settings.content_dir, CoR_ID)).title
    memory = TranslationMemory.open(stage.memory_path(settings))
    memory.store("en", "el", stage.HUMAN, {title: "Εργαστήριο για τοπικές αρχές"})
    memory.close()
    _, engine = localise(settings, ["el"])
    assert title not in engine.calls[0][2]
    assert read(settings, "el", CoR_ID)["fields"]["title"] == {
        "text": "Εργαστήριο για τοπικές αρχές", "provenance": "human"}


def test_pairs_without_a_direct_model_pivot_through_english(settings: Settings) -> None:
    item = load_item(item_path(settings.content_dir, CoR_ID))
    french = type(item)(**{**item.__dict__, "id": "atelier-en-ligne", "language": "fr",
                           "title": "Atelier en ligne pour les autorités locales.",
                           "imported": None})
    save_item(french, settings.content_dir)
    _, engine = localise(settings, ["el"])
    assert {(s, t) for s, t, _ in engine.calls} == {("en", "el"), ("fr", "el")}
    title = read(settings, "el", "atelier-en-ligne")["fields"]["title"]
    assert title["provenance"] == "machine"
    assert title["model_version"] == "fr-en@1.0+en-el@1.0"


def test_an_unreadable_source_item_is_reported_and_others_go_on(settings: Settings) -> None:
    (settings.content_dir / "broken.md").write_text("no front matter\n", encoding="utf-8")
    report, _ = localise(settings, ["el"])
    assert [str(e) for e in report.errors] == [
        f"{settings.content_dir / 'broken.md'}: the file does not start with '---' front matter"]
    assert report.languages["el"].items == 14


def test_files_of_deleted_items_are_removed(settings: Settings) -> None:
    localise(settings, ["el"])
    item_path(settings.content_dir, CoR_ID).unlink()
    localise(settings, ["el"])
    assert not localised_path(settings.data_dir, "el", CoR_ID).exists()


def test_the_command_reports_missing_pairs_and_strict_fails(settings: Settings) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["-p", str(settings.project_dir), "localise"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "Language pairs without a translation model" in result.stdout
    assert "newsletter models install en es" in result.stdout
    assert "0 errors." in result.stderr
    strict = runner.invoke(cli, ["-p", str(settings.project_dir), "localise", "--strict",
                                 "--lang", "es"], catch_exceptions=False)
    assert strict.exit_code == 1
    wrong = runner.invoke(cli, ["-p", str(settings.project_dir), "localise", "--lang", "de"])
    assert wrong.exit_code == 2
    assert "not a configured language: de (configured: en, el, es)" in wrong.stderr


def test_show_prints_the_greek_event_with_its_notice_and_local_time(settings: Settings) -> None:
    localise(settings)
    runner = CliRunner()
    base = ["-p", str(settings.project_dir), "show", CoR_ID]
    greek = runner.invoke(cli, [*base, "--lang", "el"], catch_exceptions=False)
    assert greek.exit_code == 0, greek.stderr
    localised = load_localised(localised_path(settings.data_dir, "el", CoR_ID))
    assert greek.stdout.startswith(f"# {localised.text('title')}\n")
    notice = greek.stdout.split("\n")[2]
    assert notice.startswith("> ") and "Argos Translate" in notice and "Αγγλικά" in notice
    # The original is the English page of the site, as in the feeds and on the site.
    assert notice.endswith(f"<http://127.0.0.1:8000/en/{CoR_ID}.html>")
    assert "Παρασκευή 18 Ιουνίου 2021" in greek.stdout
    assert "CEST" in greek.stdout

    spanish = runner.invoke(cli, [*base, "--lang", "es"], catch_exceptions=False)
    assert "inglés" in spanish.stdout.split("\n")[2]
    assert "viernes, 18 de junio de 2021" in spanish.stdout
    english = runner.invoke(cli, base, catch_exceptions=False)
    assert english.stdout.split("\n")[2].startswith("- When: Friday, June 18, 2021, 10:00")

    unknown = runner.invoke(cli, ["-p", str(settings.project_dir), "show", "nothing-here"])
    assert unknown.exit_code == 1 and "no item nothing-here in" in unknown.stderr
    not_yet = runner.invoke(cli, [*base, "--lang", "fr"])
    assert not_yet.exit_code == 1
    assert "has not been localised into fr; run 'newsletter localise --lang fr'" in not_yet.stderr


def test_spanish_through_apertium_alongside_greek_through_argos(settings: Settings) -> None:
    """The default engine order: Argos where it has a model, Apertium where it has one."""
    from test_apertium_engine import require

    from newsletter.localise.engines.apertium import ApertiumEngine

    require(ApertiumEngine(), "en", "es")
    (settings.project_dir / "newsletter.toml").write_text(
        CONFIG.format(packages=settings.argos_dir).replace('engines = ["argos"]',
                                                           'engines = ["argos", "apertium"]'),
        encoding="utf-8")
    settings = load_settings(settings.project_dir)
    report = stage.run(settings)
    assert report.missing == []
    spanish = load_localised(localised_path(settings.data_dir, "es", CoR_ID))
    assert {f.provenance.engine for f in spanish.fields.values()} == {"apertium"}
    assert spanish.text("event.agenda[1]").startswith("Inaugural y bienvenid")
    assert "Taller" in spanish.text("title")
    greek = load_localised(localised_path(settings.data_dir, "el", CoR_ID))
    assert {f.provenance.engine for f in greek.fields.values()} == {"argos"}
    assert stage.run(settings).languages["es"].engine_calls == 0


def test_a_broken_model_on_disk_is_reported_not_a_crash(settings: Settings, tmp_path: Path
                                                        ) -> None:
    broken = tmp_path / "broken-packages"
    (broken / "translate-en_el-1_0").mkdir(parents=True)
    (broken / "translate-en_el-1_0" / "metadata.json").write_text("{}", "utf-8")
    (settings.project_dir / "newsletter.toml").write_text(
        CONFIG.format(packages=broken), encoding="utf-8")
    report = stage.run(load_settings(settings.project_dir), ["el"])
    assert [str(e) for e in report.errors] == [
        f"{broken / 'translate-en_el-1_0'}: not an Argos package ('from_code')"]
    assert [(p.source, p.target) for p in report.missing] == [("en", "el")]
