"""Translation speed: argostranslate sentence by sentence vs the batched Argos engine.

    .venv/bin/python bench/translate.py [SENTENCES]

Builds a random-weight model of Argos size (transformer base: 6+6 layers,
d_model 512, 8 heads, FFN 2048, 32k vocabulary, int8), makes English
sentences of 15-30 words, and prints sentences per second for
(a) `argostranslate.translate.translate()` called once per sentence, in a
subprocess with its own settings, (b) the localise stage on items holding the
same sentences (ten per item body), same model and beam, and (c) the ratio
b/a, with peak memory; then (d) the stage again on the unchanged items: its
time and its engine calls (0 is the target).
Every output is exactly OUTPUT_TOKENS long in both paths (the model ends
each hypothesis there), so both decode the same amount. Figures only.
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from argos_model import argos_env, build_argos_package  # noqa: E402

from newsletter.config import Settings, load_settings  # noqa: E402
from newsletter.content import save_item  # noqa: E402
from newsletter.localise import stage  # noqa: E402
from newsletter.localise.engines.argos import ArgosEngine, install_package_file  # noqa: E402
from newsletter.model import NewsItem  # noqa: E402

OUTPUT_TOKENS = 40
ARGOS_SCRIPT = r"""
import json, resource, sys, time
from argostranslate import package, translate
package.install_from_path(sys.argv[1])
sentences = json.loads(sys.stdin.read())
translate.translate("warm up.", "en", "el")
started = time.perf_counter()
for sentence in sentences:
    translate.translate(sentence, "en", "el")
elapsed = time.perf_counter() - started
print(json.dumps({"seconds": elapsed,
                  "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def make_sentences(count: int) -> list[str]:
    words = " ".join(p.read_text("utf-8") for p in (REPO / "examples" / "pages").glob("*.txt"))
    vocabulary = sorted({w.strip(".,:;!?()“”\"'") for w in words.split() if w.isascii()} - {""})
    chooser = random.Random(0)
    return [
        " ".join(chooser.choice(vocabulary) for _ in range(chooser.randint(15, 30))).capitalize() + "."
        for _ in range(count)
    ]


def main(count: int) -> None:
    sentences = make_sentences(count)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        started = time.perf_counter()
        archive = build_argos_package(
            root / "en_el.argosmodel", "en", "el", sentences, vocab_size=8000, layers=6,
            d_model=512, heads=8, ffn=2048, quantization="int8", eos_after=OUTPUT_TOKENS,
            vocabulary_size=32000)
        print(f"model built in {time.perf_counter() - started:.1f} s "
              f"({archive.stat().st_size / 2**20:.0f} MiB archive)")

        env = {k: v for k, v in os.environ.items() if not k.startswith(("ARGOS_", "XDG_"))}
        env.update(argos_env(root / "argos-packages", root / "xdg"))
        env["HOME"] = str(root / "home")
        child = subprocess.run([sys.executable, "-c", ARGOS_SCRIPT, str(archive)],
                               input=json.dumps(sentences), env=env, capture_output=True,
                               text=True, check=True)
        per_sentence = json.loads(child.stdout.strip().splitlines()[-1])
        a = count / per_sentence["seconds"]
        print(f"(a) argostranslate, one call per sentence: {a:6.2f} sentences/s  "
              f"peak RSS {per_sentence['peak_kib'] / 1024:.0f} MiB")

        install_package_file(archive, root / "packages")
        settings = make_project(root / "project", root / "packages", sentences)
        engine = CountingEngine(ArgosEngine(root / "packages"))
        engine.translate("en", "el", ["warm up."])
        engine.calls = 0
        started = time.perf_counter()
        report = stage.run(settings, ["el"], engines={"argos": engine})
        b = count / (time.perf_counter() - started)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"(b) localise stage, batched:               {b:6.2f} sentences/s  "
              f"peak RSS {peak:.0f} MiB (this process, model building included); "
              f"{report.languages['el'].translated} sentences in {engine.calls} engine calls")
        print(f"(c) ratio b/a: {b / a:.2f}")
        engine.calls = 0
        started = time.perf_counter()
        stage.run(settings, ["el"], engines={"argos": engine})
        print(f"(d) unchanged rerun: {time.perf_counter() - started:.2f} s, "
              f"{engine.calls} engine calls")


class CountingEngine:
    """The real engine, counting calls."""

    def __init__(self, engine: ArgosEngine) -> None:
        self.engine = engine
        self.name = engine.name
        self.calls = 0

    def model_version(self, source: str, target: str) -> str | None:
        return self.engine.model_version(source, target)

    def translate(self, source: str, target: str, segments: Sequence[str]) -> list[str]:
        self.calls += 1
        return self.engine.translate(source, target, segments)


def make_project(folder: Path, packages: Path, sentences: list[str]) -> Settings:
    """Items of ten sentences each (one paragraph of five, then another), in a fresh project."""
    folder.mkdir()
    (folder / "newsletter.toml").write_text(
        f'[site]\nlanguages = ["en", "el"]\n[translation]\nengines = ["argos"]\n'
        f'argos_packages = "{packages}"\n', "utf-8")
    settings = load_settings(folder)
    for start in range(0, len(sentences), 10):
        chunk = sentences[start:start + 10]
        body = " ".join(chunk[:5]) + "\n\n" + " ".join(chunk[5:]) + "\n"
        save_item(NewsItem(id=f"item-{start // 10}", kind="news", title=f"Item {start // 10}",
                           source_org="BENCH", language="en", body=body), settings.content_dir)
    return settings


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 400)
