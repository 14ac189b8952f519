"""Build speed: feeds, calendars and pages for N items in 8 languages.

    .venv/bin/python bench/build.py [N ...]      (default: 100 1000)

Makes N synthetic items (news and events, Markdown bodies with links) and
their localised versions in 8 languages as the localise stage would have
left them (machine translations already in place), then prints, per N, the
wall time and peak memory of a full render (languages in worker processes,
one per core, above 2,000 item-languages), of an unchanged rebuild (which
should only hash its inputs), and the time per item-language. Figures only.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from newsletter.config import load_settings
from newsletter.content import fingerprint, save_item
from newsletter.localise.store import save_localised
from newsletter.model import AgendaRow, Event, Link, LocalisedField, LocalisedItem, NewsItem, Provenance
from newsletter.render import build

LANGUAGES = ["en", "el", "fr", "es", "de", "it", "pl", "ar"]
BODY = ("Cities and regions met in [Brussels](https://example.org/brussels) to share what "
        "works for the *integration* of newcomers. {n} participants took part.\n\n"
        "- Housing and work\n- Language courses\n\nRead the **full report** at "
        "https://example.org/report-{n}.\n")


def make_project(folder: Path, count: int) -> None:
    (folder / "newsletter.toml").write_text(
        f'[site]\nlanguages = {LANGUAGES!r}\n[translation]\nengines = []\n'.replace("'", '"'),
        "utf-8")
    settings = load_settings(folder)
    zone = ZoneInfo("Europe/Brussels")
    for n in range(count):
        day = date(2021, 1, 1) + timedelta(days=n % 700)
        event = None
        if n % 4 == 0:
            start = datetime(day.year, day.month, day.day, 10, tzinfo=zone)
            event = Event(timezone="Europe/Brussels", timezone_assumed=False, start=start,
                          end=start + timedelta(hours=2), online=True,
                          agenda=(AgendaRow("10:00", "Welcome"), AgendaRow("10:30", "Talks")))
        item = NewsItem(id=f"item-{n}", kind="event" if event else "news",
                        title=f"Cities share what works, part {n}", source_org="BENCH",
                        language="en", lead=f"Lead of item {n}.", body=BODY.format(n=n),
                        published=day, source_url=f"https://example.org/{n}", event=event,
                        links=(Link(f"https://example.org/related-{n}", "Related story"),),
                        tags=("Migration", "Cities"))
        save_item(item, settings.content_dir)
        for language in LANGUAGES:
            provenance = Provenance("source") if language == "en" else Provenance(
                "machine", "argos", "en-xx@1.0")
            texts = {"title": f"[{language}] {item.title}", "lead": f"[{language}] {item.lead}",
                     "body": item.body, "links[0].title": f"[{language}] Related story"}
            if event:
                texts |= {f"event.agenda[{i}]": f"[{language}] {row.text}"
                          for i, row in enumerate(event.agenda)}
            save_localised(LocalisedItem(item.id, language, "en", fingerprint(item),
                                         {k: LocalisedField(v, provenance)
                                          for k, v in texts.items()}), settings.data_dir)


def main(counts: list[int]) -> None:
    for count in counts:
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            make_project(folder, count)
            settings = load_settings(folder)
            today = date(2022, 1, 1)
            started = time.perf_counter()
            report = build.run(settings, today=today)
            full = time.perf_counter() - started
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            started = time.perf_counter()
            again = build.run(settings, today=today)
            unchanged = time.perf_counter() - started
            pairs = count * len(LANGUAGES)
            print(f"{count:6d} items x {len(LANGUAGES)} languages: full build {full:7.2f} s "
                  f"({len(report.written)} files, {full / pairs * 1000:.2f} ms per item-language), "
                  f"unchanged rebuild {unchanged:6.2f} s ({len(again.written)} files written, "
                  f"{len(again.skipped_languages)} languages skipped), peak RSS {peak:.0f} MiB "
                  f"(largest worker {worker_peak:.0f} MiB)")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 1000])
