"""Sending speed: one issue to N confirmed subscribers over one loopback SMTP connection.

    .venv/bin/python bench/send.py [N]      (default: 10000)

Imports the example pages into a temporary project and adds N confirmed
subscribers spread over 6 languages (one CSV import), both in a child
process so the peak memory printed is the send's own; starts an aiosmtpd
sink in another process on 127.0.0.1 (it counts messages and keeps none, so
the sender has a core to itself); sends the week of the CoR event (approved in every language first, as an
editor would in the preview); prints
messages per second end to end, the time spent rendering (once per
language) and building, logging and sending the messages, the sender's peak
memory and both processes' CPU time. The send log is in use, exactly as in
production. Figures only.
"""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsletter.config import Settings

EXAMPLE_PAGES = Path(__file__).resolve().parent.parent / "examples" / "pages"
LANGUAGES = ["en", "el", "fr", "es", "de", "ar"]
WEEK = "2021-W24"
SINK = """
import sys
from aiosmtpd.controller import Controller

class Count:
    received = 0
    async def handle_DATA(self, server, session, envelope):
        Count.received += 1
        return "250 OK"

controller = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
print(Count.received, flush=True)
"""


def set_up(folder: Path, count: int, port: int) -> None:
    """The project: configuration, the example pages imported, `count` subscribers."""
    from newsletter import importers
    from newsletter.config import load_settings
    from newsletter.delivery.subscribers import SubscriberStore

    (folder / "newsletter.toml").write_text(
        f'[site]\nbase_url = "https://news.example.org/"\nlanguages = {LANGUAGES!r}\n'
        f'[translation]\nengines = []\n'
        f'[smtp]\nport = {port}\nsender = "Digest <digest@news.example.org>"\n'
        .replace("'", '"'), "utf-8")
    settings = load_settings(folder)
    importers.run(settings, importers.page_files([EXAMPLE_PAGES]))
    csv_file = folder / "subscribers.csv"
    csv_file.write_text("email,language,status\n" + "".join(
        f"reader{n}@example.org,{LANGUAGES[n % len(LANGUAGES)]},confirmed\n"
        for n in range(count)), "utf-8")
    store = SubscriberStore.open(settings.subscribers_db)
    store.import_csv(csv_file, settings.languages)
    store.close()
    approve_every_language(settings)


def approve_every_language(settings: Settings) -> None:
    """The week approved in each language as it renders, so `send_issue` sends them all."""
    from datetime import UTC, datetime

    from newsletter.delivery.approvals import ApprovalStore, issue_fingerprint
    from newsletter.digest import select_issue
    from newsletter.render.email import render_issue
    from newsletter.render.views import load_items

    items = load_items(settings)
    issue = select_issue(settings, WEEK, items)
    with ApprovalStore.open(settings.subscribers_db) as approvals:
        for language in settings.languages:
            fingerprint = issue_fingerprint(render_issue(settings, issue, language, items))
            approvals.approve(issue.week, language, fingerprint, "bench", datetime.now(UTC))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main(count: int) -> None:
    from newsletter.config import load_settings
    from newsletter.delivery.send import send_issue

    port = free_port()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert sink.stdout is not None and sink.stdin is not None
    assert sink.stdout.readline().strip() == "ready"
    try:
        with tempfile.TemporaryDirectory() as scratch:
            subprocess.run([sys.executable, __file__, "--set-up", scratch, str(count), str(port)],
                           check=True)
            settings = load_settings(Path(scratch))
            environ = {**os.environ, settings.subscribers_secret_env: "bench-secret-" + "x" * 20}
            started = time.perf_counter()
            report = send_issue(settings, WEEK, environ=environ)
            elapsed = time.perf_counter() - started
    finally:
        sink.stdin.close()
        received = int(sink.stdout.readline() or 0)
        sink.wait()

    sent = sum(counts.sent for counts in report.languages.values())
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"{sent} messages sent, {received} received by the sink, {len(report.failures)} failed")
    print(f"end to end   {elapsed:7.2f} s   {sent / elapsed:7.0f} msg/s")
    print(f"rendering    {report.render_seconds:7.2f} s   ({len(report.languages)} languages; "
          "content loaded, issue selected)")
    print(f"sending      {report.send_seconds:7.2f} s   {sent / report.send_seconds:7.0f} msg/s "
          "(messages built, logged and sent)")
    print(f"peak memory  {own.ru_maxrss / 1024:7.0f} MB  (sender process)")
    print(f"cpu time     {own.ru_utime + own.ru_stime:7.2f} s   sender; "
          f"{children.ru_utime + children.ru_stime:.2f} s set-up and sink ({os.cpu_count()} cores)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--set-up"]:
        set_up(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
