"""Translation speed: argostranslate sentence by sentence vs the batched Argos engine.

    .venv/bin/python bench/translate.py [SENTENCES]

Builds a random-weight model of Argos size (transformer base: 6+6 layers,
d_model 512, 8 heads, FFN 2048, 32k vocabulary, int8), makes English
sentences of 15-30 words, and prints sentences per second for
(a) `argostranslate.translate.translate()` called once per sentence, in a
subprocess with its own settings, (b) `ArgosEngine.translate()` on all of
them at once, same model and beam, and (c) the ratio b/a, with peak memory.
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
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from argos_model import argos_env, build_argos_package  # noqa: E402

from newsletter.localise.engines.argos import ArgosEngine, install_package_file  # noqa: E402

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
        engine = ArgosEngine(root / "packages")
        engine.translate("en", "el", ["warm up."])
        started = time.perf_counter()
        engine.translate("en", "el", sentences)
        b = count / (time.perf_counter() - started)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"(b) ArgosEngine, one batched call:         {b:6.2f} sentences/s  "
              f"peak RSS {peak:.0f} MiB (this process, model building included)")
        print(f"(c) ratio b/a: {b / a:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 400)
