"""The random-weight Argos Translate package from argos_model.py, through the real stack.

``argostranslate.settings`` is never imported in the pytest process: it reads its settings
from the environment once, at import, and creates directories under $HOME as it does (the
skip below imports only the ``argostranslate`` package, whose ``__init__`` is empty).
Everything that needs it runs in a subprocess with the environment of ``argos_env()`` and a
fresh, empty $HOME that the tests then check is still empty.

The tests skip only when ctranslate2 or argostranslate (both from argos-translate-lt) is
missing. Building the package also needs ``onnx``: without it they fail, not skip.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("ctranslate2", reason="ctranslate2 missing: pip install argos-translate-lt")
pytest.importorskip("argostranslate", reason="argostranslate missing: pip install argos-translate-lt")

from argos_model import argos_env, build_argos_package, corpus, install_argos_package

TESTS = Path(__file__).resolve().parent
SENTENCE = "Migrant integration in an interconnected world."
EOS_AFTER = 12

SCRIPT = r"""
import json, os, sys, time
from pathlib import Path

sys.path.insert(0, sys.argv[1])
from argos_model import install_argos_package

package_file, packages_dir, sentence = Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
result = {}
t0 = time.perf_counter()
install_argos_package(package_file, packages_dir)
t1 = time.perf_counter()

from argostranslate import package, settings, translate
from argostranslate.sbd import MiniSBDSentencizer

result["package_data_dir"] = str(settings.package_data_dir)
result["installed"] = [
    {"from": p.from_code, "to": p.to_code, "version": p.package_version, "type": p.type,
     "path": str(p.package_path), "sbd": str(p.packaged_sbd_path)}
    for p in package.get_installed_packages()
]
t2 = time.perf_counter()
first = translate.translate(sentence, "en", "el")
t3 = time.perf_counter()
result["translations"] = [first, translate.translate(sentence, "en", "el")]
# Around argostranslate's CachedTranslation: a new PackageTranslation, new Translator.
en = translate.get_language_from_code("en")
el = translate.get_language_from_code("el")
pkg = next(p for p in package.get_installed_packages() if p.to_code == "el")
result["uncached"] = translate.PackageTranslation(en, el, pkg).translate(sentence)
result["paragraphs"] = translate.translate("One. Two!\nThree?", "en", "el")
result["sentences"] = MiniSBDSentencizer(pkg).split_sentences("First one. Second one! A third?")
result["seconds"] = {"install": t1 - t0, "load": t2 - t1, "first_translation": t3 - t2}
print(json.dumps(result))
"""


def run_argos(package_file: Path, root: Path) -> dict:
    """Install ``package_file`` and translate with it, in a subprocess confined to ``root``."""
    home = root / "home"
    home.mkdir(parents=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ARGOS_", "XDG_")) and k not in ("SNAP", "SNAP_USER_DATA")
    }
    env.update(argos_env(root / "packages", root / "xdg"))
    env["HOME"] = str(home)
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(TESTS), str(package_file), str(root / "packages"), SENTENCE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["home_after"] = sorted(str(p.relative_to(home)) for p in home.rglob("*"))
    return result


@pytest.fixture(scope="module")
def en_el(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    started = time.perf_counter()
    path = build_argos_package(
        tmp_path_factory.mktemp("build") / "en_el.argosmodel", "en", "el", corpus(), eos_after=EOS_AFTER
    )
    return path, time.perf_counter() - started


@pytest.fixture(scope="module")
def argos_run(en_el: tuple[Path, float], tmp_path_factory: pytest.TempPathFactory) -> dict:
    return run_argos(en_el[0], tmp_path_factory.mktemp("argos"))


def test_package_is_one_folder_with_what_argostranslate_reads(en_el: tuple[Path, float]) -> None:
    path, seconds = en_el
    assert seconds < 10
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        assert {name.split("/")[0] for name in names} == {"translate-en_el-1_0"}
        files = {name.split("/", 1)[1] for name in names}
        assert {
            "metadata.json",
            "sentencepiece.model",
            "model/model.bin",
            "model/config.json",
            "model/shared_vocabulary.json",
            "minisbd/rule_sbd.onnx",
        } <= files
        metadata = json.loads(zf.read("translate-en_el-1_0/metadata.json"))
        vocabulary = json.loads(zf.read("translate-en_el-1_0/model/shared_vocabulary.json"))
        config = json.loads(zf.read("translate-en_el-1_0/model/config.json"))
    assert metadata["from_code"] == "en" and metadata["to_code"] == "el"
    assert metadata["from_name"] == "English" and metadata["to_name"] == "Greek"
    assert metadata["package_version"] == "1.0" and metadata["type"] == "translate"
    assert vocabulary[:3] == ["<unk>", "<s>", "</s>"]
    assert 100 < len(vocabulary) <= 500
    assert (config["unk_token"], config["bos_token"], config["eos_token"]) == ("<unk>", "<s>", "</s>")


def test_build_is_deterministic(en_el: tuple[Path, float], tmp_path: Path) -> None:
    again = build_argos_package(tmp_path / "again.argosmodel", "en", "el", corpus(), eos_after=EOS_AFTER)
    assert again.read_bytes() == en_el[0].read_bytes()
    other_seed = build_argos_package(
        tmp_path / "seed1.argosmodel", "en", "el", corpus(), eos_after=EOS_AFTER, seed=1
    )
    assert other_seed.read_bytes() != en_el[0].read_bytes()


def test_get_installed_packages_lists_en_el(argos_run: dict) -> None:
    [installed] = argos_run["installed"]
    assert (installed["from"], installed["to"], installed["version"], installed["type"]) == (
        "en",
        "el",
        "1.0",
        "translate",
    )
    assert Path(installed["path"]).parent == Path(argos_run["package_data_dir"])
    assert installed["sbd"].endswith("minisbd")


def test_translation_is_nonempty_and_deterministic(argos_run: dict, en_el, tmp_path: Path) -> None:
    first, second = argos_run["translations"]
    assert first.strip()
    assert second == first
    assert argos_run["uncached"] == first
    # A new process, new install, same package: same translation.
    assert run_argos(en_el[0], tmp_path)["translations"][0] == first


def test_sentences_split_offline_by_the_packaged_splitter(argos_run: dict) -> None:
    assert argos_run["sentences"] == ["First one.", "Second one!", "A third?"]
    # Paragraphs (lines) stay paragraphs.
    assert len(argos_run["paragraphs"].split("\n")) == 2


def test_argostranslate_writes_nothing_in_home(argos_run: dict) -> None:
    assert argos_run["home_after"] == []


def test_raw_ctranslate2_translates(en_el: tuple[Path, float], tmp_path: Path) -> None:
    import ctranslate2
    import sentencepiece as spm

    with zipfile.ZipFile(en_el[0]) as zf:
        zf.extractall(tmp_path)
    folder = tmp_path / "translate-en_el-1_0"
    sp = spm.SentencePieceProcessor(model_file=str(folder / "sentencepiece.model"))
    translator = ctranslate2.Translator(str(folder / "model"), device="cpu", inter_threads=1, intra_threads=1)
    tokens = sp.encode([SENTENCE, "Cities and regions."], out_type=str)
    cap = 2 * max(len(t) for t in tokens) + 8
    results = translator.translate_batch(tokens, beam_size=4, max_decoding_length=cap)
    assert len(results) == 2
    for result in results:
        assert len(result.hypotheses) == 1
        # The model ends every output after EOS_AFTER tokens (see build_transformer_spec).
        assert len(result.hypotheses[0]) == EOS_AFTER
        assert sp.decode(result.hypotheses[0]).strip()
    # The same weights translate the same way.
    again = translator.translate_batch(tokens, beam_size=4, max_decoding_length=cap)
    assert [r.hypotheses for r in again] == [r.hypotheses for r in results]


def test_raw_ctranslate2_purely_random_model_runs_to_the_cap(tmp_path: Path) -> None:
    """Without eos_after the decoder never says </s>: max_decoding_length bounds the output."""
    import ctranslate2
    import sentencepiece as spm

    path = build_argos_package(tmp_path / "raw.argosmodel", "en", "el", corpus(), eos_after=None, sbd=False)
    with zipfile.ZipFile(path) as zf:
        zf.extractall(tmp_path)
    folder = tmp_path / "translate-en_el-1_0"
    sp = spm.SentencePieceProcessor(model_file=str(folder / "sentencepiece.model"))
    translator = ctranslate2.Translator(str(folder / "model"), device="cpu", inter_threads=1, intra_threads=1)
    tokens = sp.encode(SENTENCE, out_type=str)
    cap = 2 * len(tokens) + 8
    [result] = translator.translate_batch([tokens], beam_size=4, max_decoding_length=cap)
    assert 0 < len(result.hypotheses[0]) <= cap


def test_install_refuses_a_packages_dir_argostranslate_would_not_use(
    en_el: tuple[Path, float], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARGOS_PACKAGES_DIR", raising=False)
    imported = "argostranslate.settings" in sys.modules
    with pytest.raises(RuntimeError, match="ARGOS_PACKAGES_DIR"):
        install_argos_package(en_el[0], tmp_path / "packages")
    assert ("argostranslate.settings" in sys.modules) == imported
    assert not (tmp_path / "packages").exists()
