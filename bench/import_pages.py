"""Import throughput: N synthetic pages made from the example pages.

    .venv/bin/python bench/import_pages.py [N ...]

Prints, for each N, the wall time of a first import and of an unchanged
re-import, pages per second, and the process's peak resident memory so far.
Figures only; no thresholds.
"""

from __future__ import annotations

import re
import resource
import sys
import tempfile
import time
from pathlib import Path

from newsletter import importers
from newsletter.config import load_settings

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "pages"


def make_pages(folder: Path, count: int) -> None:
    """`count` pages, each an example page with a distinct title, so ids differ."""
    examples = sorted(EXAMPLES.glob("*.txt"))
    for number in range(count):
        source = examples[number % len(examples)]
        text = source.read_text(encoding="utf-8")
        if source.name.startswith("eurocities"):
            # A card title is the line before a blank line and its teaser.
            text = re.sub(r"^(.+)\n\n(?=.{40,}\n\n(?:news|publication|event)\n)",
                          rf"\1 ({number})\n\n", text, flags=re.MULTILINE)
        elif source.name.startswith("cemr"):
            text = re.sub(r"^(.+ - \d\d\.\d\d\.\d{4}\s*\n\s*\n.+?)\s*$", rf"\1 ({number})", text,
                          count=1, flags=re.MULTILINE)
        else:
            text = text.replace("Ownership \u00a0\n", f"Ownership ({number})\n", 1)
            text = text.replace("OWNERSHIP.ASPX", f"OWNERSHIP-{number}.ASPX")  # its own address
        (folder / f"{number:05d}-{source.name}").write_text(text, encoding="utf-8")


def measure(count: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        pages = root / "pages"
        pages.mkdir()
        make_pages(pages, count)
        settings = load_settings(root / "project")
        context = importers.make_context(settings)  # model load, once per run, not timed
        for label in ("first import", "unchanged re-import"):
            started = time.perf_counter()
            report = importers.run(settings, [pages], context=context)
            elapsed = time.perf_counter() - started
            peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print(f"{count:>6} pages  {label:<20} {elapsed:8.2f} s  "
                  f"{count / elapsed:8.1f} pages/s  {len(report.items):>6} items  "
                  f"new {report.count('new'):>6}  unchanged {report.count('unchanged'):>6}  "
                  f"peak RSS {peak_kib / 1024:7.1f} MiB")


if __name__ == "__main__":
    for count in [int(arg) for arg in sys.argv[1:]] or [100, 1000]:
        measure(count)
