"""The batched Argos engine on tiny random-weight packages built offline."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

pytest.importorskip("ctranslate2", reason="ctranslate2 missing: pip install argos-translate-lt")

from argos_model import build_argos_package, corpus
from test_argos_model import SENTENCE, run_argos

from newsletter.localise.engines import EngineError
from newsletter.localise.engines.argos import ArgosEngine, install_package_file, installed_packages

SENTENCES = [
    SENTENCE,
    "Towns and regions are usually not in charge of migration policy.",
    "What can towns and regions do?",
    SENTENCE,
    "",
]


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("archives")
    text = corpus()
    return {
        pair: build_argos_package(folder / f"{pair}.argosmodel", *pair.split("_"), text, seed=n)
        for n, pair in enumerate(("en_el", "fr_en"))
    }


@pytest.fixture(scope="module")
def packages_dir(archives: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("packages")
    for archive in archives.values():
        install_package_file(archive, folder)
    return folder


def test_installed_packages_are_listed_with_versions(packages_dir: Path) -> None:
    assert [(p.source, p.target, p.version) for p in installed_packages(packages_dir)] == [
        ("en", "el", "1.0"), ("fr", "en", "1.0")]


def test_batched_output_equals_argostranslate(archives: dict[str, Path], packages_dir: Path,
                                              tmp_path: Path) -> None:
    """Same model, same decoding settings: the same words as argostranslate's own path."""
    reference = run_argos(archives["en_el"], tmp_path)["translations"][0]
    engine = ArgosEngine(packages_dir)
    assert engine.translate("en", "el", [SENTENCE]) == [reference]
    # And the same again inside a larger batch, in another position.
    assert engine.translate("en", "el", SENTENCES)[3] == reference


def test_translate_keeps_order_duplicates_and_count(packages_dir: Path) -> None:
    engine = ArgosEngine(packages_dir)
    output = engine.translate("en", "el", SENTENCES)
    assert len(output) == len(SENTENCES)
    assert output[0] == output[3]
    assert all(output[:4])
    assert output == ArgosEngine(packages_dir).translate("en", "el", SENTENCES)


def test_output_length_is_capped_for_models_that_never_stop(tmp_path: Path) -> None:
    archive = build_argos_package(tmp_path / "a.argosmodel", "en", "de", corpus(), eos_after=None)
    install_package_file(archive, tmp_path / "packages")
    engine = ArgosEngine(tmp_path / "packages")
    (output,) = engine.translate("en", "de", ["One short sentence."])
    assert 0 < len(output.split()) <= 2 * 10 + 16


def test_pairs_without_a_model_pivot_through_english(packages_dir: Path) -> None:
    engine = ArgosEngine(packages_dir)
    assert engine.model_version("en", "el") == "en-el@1.0"
    assert engine.model_version("fr", "el") == "fr-en@1.0+en-el@1.0"
    assert engine.model_version("pt-BR", "el") is None
    assert len(engine.translate("fr", "el", ["Bonjour à tous."])) == 1


def test_a_missing_pair_says_how_to_install_it(packages_dir: Path) -> None:
    with pytest.raises(EngineError) as caught:
        ArgosEngine(packages_dir).translate("el", "fr", ["x"])
    assert str(caught.value) == ("no Argos model translates el to fr; install one with "
                                 "'newsletter models install el fr'")


def test_flat_or_foreign_archives_are_refused(tmp_path: Path) -> None:
    flat = tmp_path / "flat.argosmodel"
    with zipfile.ZipFile(flat, "w") as bundle:
        bundle.writestr("metadata.json", "{}")
    with pytest.raises(EngineError, match="must hold one top-level folder"):
        install_package_file(flat, tmp_path / "packages")
    text = tmp_path / "notes.argosmodel"
    text.write_text("hello", encoding="utf-8")
    with pytest.raises(EngineError, match="not a zip file"):
        install_package_file(text, tmp_path / "packages")
    assert not (tmp_path / "packages").exists()
