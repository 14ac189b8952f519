"""The Apertium engine, run for real on Debian's language pairs.

Without Apertium the tests that need it are skipped, unless
NEWSLETTER_REQUIRE_APERTIUM=1 (set by CI), which makes them fail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from newsletter.localise.engines import ApertiumEngine, EngineError
from newsletter.localise.engines.apertium import DEFAULT_DATADIR
from newsletter.localise.segment import segment_markdown

PACKAGES = "apertium apertium-eng-spa apertium-eng-cat apertium-en-gl"
PLACEHOLDERS = re.compile(r"\{/?\d+/?\}")


def require(engine: ApertiumEngine, source: str, target: str) -> None:
    """Skip (fail under NEWSLETTER_REQUIRE_APERTIUM=1) when the pair cannot be translated."""
    if engine.model_version(source, target) is not None:
        return
    reason = (f"Apertium cannot translate {source} to {target} here: "
              f"apt-get install {PACKAGES}")
    if os.environ.get("NEWSLETTER_REQUIRE_APERTIUM") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def engine() -> ApertiumEngine:
    """The engine on the system's Apertium, with English-Spanish installed."""
    found = ApertiumEngine()
    require(found, "en", "es")
    return found


@pytest.fixture
def apertium_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The command lines of every `apertium` process started, with their input."""
    calls: list[list[str]] = []
    real_run = subprocess.run

    def spy(command: list[str], *args: object, **kwargs: object) -> subprocess.CompletedProcess:
        if Path(command[0]).name == "apertium":
            calls.append(list(command))
        return real_run(command, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", spy)
    return calls


def test_english_becomes_spanish(engine: ApertiumEngine) -> None:
    (spanish,) = engine.translate("en", "es", ["The mayor published a new report today."])
    assert "alcalde" in spanish
    assert "informe" in spanish
    assert "hoy" in spanish


def test_model_version_names_mode_and_package_version(engine: ApertiumEngine) -> None:
    version = engine.model_version("en", "es")
    installed = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "apertium-eng-spa"],
                               capture_output=True, text=True, check=False).stdout
    if installed:  # Debian's package: its version, not the hash of the mode file
        assert version == f"eng-spa@{installed}"
    else:
        assert str(version).startswith("eng-spa@sha256:")
    assert engine.model_version("en", "el") is None
    assert engine.model_version("xx", "es") is None


def test_a_variant_subtag_picks_the_variant_mode(engine: ApertiumEngine) -> None:
    require(engine, "en", "ca")
    assert str(engine.model_version("en", "ca-ES-valencia")).startswith("eng-cat_valencia@")
    assert engine.mode("en", "ca").name == "eng-cat"
    assert engine.mode("en", "ca-ES-valencia").name == "eng-cat_valencia"
    assert engine.mode("en-GB", "ca-ES").name == "eng-cat"
    (catalan,) = engine.translate("en", "ca-ES-valencia", ["Today."])
    assert catalan == "Hui."
    require(engine, "en", "gl")
    assert engine.mode("en", "gl").name == "en-gl"  # two-letter mode names are read too


def test_model_version_without_dpkg_is_a_hash_of_the_data(engine: ApertiumEngine,
                                                           tmp_path: Path) -> None:
    """A mode dpkg does not know (built from source): the hash changes with any data file."""
    shutil.copytree(DEFAULT_DATADIR / "apertium-eng-spa", tmp_path / "apertium-eng-spa")
    (tmp_path / "modes").mkdir()
    mode = (DEFAULT_DATADIR / "modes" / "eng-spa.mode").read_text("utf-8")
    (tmp_path / "modes" / "eng-spa.mode").write_text(
        mode.replace(str(DEFAULT_DATADIR), str(tmp_path)), "utf-8")
    local = ApertiumEngine(tmp_path)
    before = local.model_version("en", "es")
    assert before is not None
    assert re.fullmatch(r"eng-spa@sha256:[0-9a-f]{16}", before)
    assert local.translate("en", "es", ["Today."]) == ["Hoy."]
    with (tmp_path / "apertium-eng-spa" / "eng-spa.prob").open("ab") as data:
        data.write(b"\0")
    assert ApertiumEngine(tmp_path).model_version("en", "es") != before


def test_placeholders_come_back_on_the_words_they_marked(engine: ApertiumEngine) -> None:
    segments = [
        "Read {1}the report{/1} on the red {2}car{/2} {3/} today.",
        "She visited the {1}old{/1} town hall {2/} and met {3}the mayor{/3}.",
        "The {1}big{/1} city has {2}many {3}green{/3} parks{/2}.",
        "{1}Cities{/1} and {2}regions{/2} met in {3/}.",
    ]
    output = engine.translate("en", "es", segments)
    for source, spanish in zip(segments, output, strict=True):
        assert Counter(PLACEHOLDERS.findall(spanish)) == Counter(PLACEHOLDERS.findall(source))
    # Reordered with their words, not left in place: "old" -> "viejo" after the noun.
    assert "{1}viejo{/1}" in output[1]
    assert "{2}muchos parques {3}verdes{/3}{/2}" in output[2]


def test_markdown_round_trip_keeps_links_and_emphasis(engine: ApertiumEngine) -> None:
    body = ("Read [the report](https://example.org/report?a=1&b=2) on *urban mobility* and "
            "**green spaces** today. The mayor of `Barcelona` met @eurocities.\n")
    template = segment_markdown(body)
    filled = template.fill(engine.translate("en", "es", template.segments))
    assert "informe" in filled
    tokens = MarkdownIt("commonmark").parseInline(filled)[0].children or []
    links = [t.attrs["href"] for t in tokens if t.type == "link_open"]
    assert links == ["https://example.org/report?a=1&b=2"]
    assert [t.type for t in tokens if t.type in ("em_open", "strong_open", "code_inline")] == [
        "em_open", "strong_open", "code_inline"]
    assert "@eurocities" in filled


def test_a_batch_is_one_process_deduplicated_and_in_order(
        engine: ApertiumEngine, apertium_calls: list[list[str]]) -> None:
    segments = [f"The {n} cities published {n + 1} reports." for n in range(190)]
    segments += segments[:10]  # repeated segments are sent once
    output = engine.translate("en", "es", segments)
    assert len(apertium_calls) == 1
    assert "-u" in apertium_calls[0]
    assert len(output) == 200
    for n, spanish in enumerate(output[:190]):
        assert f"{n} ciudades" in spanish
        assert f"{n + 1} informes" in spanish
    assert output[190:] == output[:10]


def test_hostile_text_comes_back_as_text(engine: ApertiumEngine) -> None:
    segments = [
        "<script>alert(1)</script>",
        "Fish &amp; chips & peas.",
        "A lone { brace and } another {1 {/7} {x}.",
        "Path C:\\temp [draft] ^ $ @ ~ 50% #1 * \"quoted\".",
        "See https://example.org/a?b=1&c=2 now.",
        "[[1]]not a blank[[/]] and .[] and \\0.",
        "",
    ]
    output = engine.translate("en", "es", segments)
    assert len(output) == len(segments)
    for source, spanish in zip(segments, output, strict=True):
        for char in "<>&{}[]\\^$@~%#*/\"":  # not ': English 's is a word to Apertium
            assert spanish.count(char) == source.count(char), (char, spanish)
    assert output[0].startswith("<") and output[0].endswith(">")
    assert "&amp;" in output[1]
    assert "https://example.org/a?b=1&c=2" in output[4]
    assert output[6] == ""


def test_an_uninstalled_pair_says_what_to_install(engine: ApertiumEngine) -> None:
    with pytest.raises(EngineError) as error:
        engine.translate("en", "el", ["Hello."])
    assert str(error.value) == (
        "no Apertium language data in /usr/share/apertium translates en to el; install the "
        "package of the pair (find it with 'apt-cache search apertium English Greek'; for "
        "English and Spanish it is apertium-eng-spa)")


def test_a_broken_pipeline_is_an_error_not_empty_text(engine: ApertiumEngine, tmp_path: Path) -> None:
    """A program failing inside the pipeline leaves apertium's exit status at 0."""
    (tmp_path / "modes").mkdir()
    mode = (DEFAULT_DATADIR / "modes" / "eng-spa.mode").read_text("utf-8")
    (tmp_path / "modes" / "eng-spa.mode").write_text(
        re.sub(r"'[^']*automorf\.bin'", f"'{tmp_path}/missing.bin'", mode), "utf-8")
    with pytest.raises(EngineError) as error:
        ApertiumEngine(tmp_path).translate("en", "es", ["Hello."])
    assert str(error.value) == (
        f"apertium eng-spa failed: Error: Cannot open file '{tmp_path}/missing.bin' for reading.")


def test_without_apertium_translate_says_what_to_install(tmp_path: Path) -> None:
    missing = ApertiumEngine(DEFAULT_DATADIR, program="apertium-not-installed")
    assert missing.model_version("en", "es") is None
    with pytest.raises(EngineError) as error:
        missing.translate("en", "es", ["Hello."])
    assert str(error.value) == (
        "Apertium is not installed ('apertium-not-installed' not found); install it with the "
        "package of each language pair, for example 'apt-get install apertium apertium-eng-spa'")
    assert ApertiumEngine(tmp_path).modes == []
