"""Editor preview speed: the pages an editor opens, and a saved translation, on N items.

    .venv/bin/python bench/preview.py [N ...]      (default: 100 1000)

Makes the synthetic project of bench/build.py (N items, 8 languages, machine
translations in place), builds it once, then times through the application
itself (Flask's test client, no network) the issue list, one issue page in
Greek, an item's side-by-side page, and saving a Greek title (editor's file,
memory, that item localised again, the Greek feeds and pages rebuilt), each
the median of a few runs. The issue list is timed twice: with no approvals,
and after every week was approved in every language and sent, but the newest
(which is the one the list renders to compare with its approval). Figures
only.
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from build import make_project

from newsletter.config import Settings, load_settings
from newsletter.delivery.approvals import ApprovalStore, issue_fingerprint
from newsletter.delivery.sendlog import SendLog
from newsletter.delivery.subscribers import SubscriberStore
from newsletter.digest import issue_weeks, select_issue
from newsletter.render import build
from newsletter.render.email import render_issue
from newsletter.render.views import load_items
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


def approve_every_week(settings: Settings) -> int:
    """Approve every week in every language as it renders; record every week but the
    newest as sent to one subscriber. Returns the number of approvals."""
    items = load_items(settings)
    weeks = issue_weeks(items)
    with ApprovalStore.open(settings.subscribers_db) as store:
        for week in weeks:
            issue = select_issue(settings, week, items)
            for language in settings.languages:
                rendered = render_issue(settings, issue, language, items)
                store.approve(week, language, issue_fingerprint(rendered), "bench",
                              datetime.now(UTC))
    with SubscriberStore.open(settings.subscribers_db) as subscribers:
        reader = subscribers.add("reader@example.org", "en", status="confirmed")
    with SendLog.open(settings.subscribers_db) as log:
        for week in weeks[1:]:  # newest first: the newest stays to be sent
            log.sending(week, reader.id, f"<{week}@bench>")
            log.sent(week, reader.id)
    return len(weeks) * len(settings.languages)


def measure(count: int) -> tuple[float, float, float, float, float, int]:
    """Seconds for the issue list (without, then with approvals), an issue page, an item
    page and a save, on `count` items; and the number of approvals."""
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

        saving = median_seconds(save)
        approvals = approve_every_week(settings)
        approved_listing = median_seconds(lambda: get("/editor/"))
        return listing, approved_listing, issue, item_page, saving, approvals


def main(counts: list[int]) -> None:
    print(f"{'items':>6} {'issue list':>11} {'(approved)':>11} {'issue page':>11} "
          f"{'item page':>10} {'save':>8}  approvals")
    for count in counts:
        listing, approved, issue, item_page, saving, approvals = measure(count)
        print(f"{count:>6} {listing:>10.3f}s {approved:>10.3f}s {issue:>10.3f}s "
              f"{item_page:>9.3f}s {saving:>7.3f}s  {approvals}", flush=True)


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [100, 1000])
