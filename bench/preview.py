"""Editor preview speed: the pages an editor opens, and a saved translation, on N items.

    .venv/bin/python bench/preview.py [N ...]      (default: 100 1000)

Makes the synthetic project of bench/build.py (N items, 8 languages, machine
translations in place), builds it once, then times through the application
itself (Flask's test client, no network) the issue list, one issue page in
Greek, an item's side-by-side page, and saving a Greek title (editor's file,
memory, that item localised again, the Greek feeds and pages rebuilt), each
the median of a few runs. Figures only.
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from build import make_project

from newsletter.config import load_settings
from newsletter.render import build
from newsletter.web import create_app

RUNS = 5
ENVIRON = {"NEWSLETTER_SECRET": "bench-secret-0123456789abcdef"}


def median_seconds(action: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(count: int) -> tuple[float, float, float, float]:
    """Seconds for the issue list, an issue page, an item page and a save, on `count` items."""
    with tempfile.TemporaryDirectory() as folder:
        make_project(Path(folder), count)
        settings = load_settings(Path(folder))
        build.run(settings, today=date(2021, 6, 1))
        client = create_app(settings, environ=ENVIRON).test_client()

        def get(path: str) -> str:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return response.get_data(as_text=True)

        listing = median_seconds(lambda: get("/editor/"))
        week = re.search(r'href="/editor/(\d{4}-W\d{2})/el"', get("/editor/")).group(1)
        issue = median_seconds(lambda: get(f"/editor/{week}/el"))
        item_page = median_seconds(lambda: get("/editor/items/item-1/el"))
        saves = iter(range(RUNS))

        def save() -> None:
            page = get("/editor/items/item-1/el")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            based_on = re.search(r'name="based_on" value="([^"]*)"', page).group(1)
            response = client.post("/editor/items/item-1/el/title", data={
                "csrf_token": csrf, "based_on": based_on,
                "segment-0": f"Οι πόλεις μοιράζονται ό,τι λειτουργεί ({next(saves)})"})
            assert response.status_code == 303, response.get_data(as_text=True)[:500]

        return listing, issue, item_page, median_seconds(save)


def main(counts: list[int]) -> None:
    print(f"{'items':>6} {'issue list':>11} {'issue page':>11} {'item page':>10} {'save':>8}")
    for count in counts:
        listing, issue, item_page, saving = measure(count)
        print(f"{count:>6} {listing:>10.3f}s {issue:>10.3f}s {item_page:>9.3f}s "
              f"{saving:>7.3f}s", flush=True)


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [100, 1000])
