"""Serving the web application for real in tests, and a real browser to drive it.

`serving(app)` runs the application in waitress (the server `newsletter serve`
uses) on a free loopback port in a thread. `chromium()` starts Debian's
Chromium through Playwright: set NEWSLETTER_REQUIRE_BROWSER=1 (CI does) to
make a missing browser a failure instead of a skip.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

SECRET = "test-secret-0123456789abcdef"
EDITOR_TOKEN = "editor-token-0123456789"
CHROMIUM_FLAGS = [
    # The machine has no network beyond package registries: without these Chromium keeps
    # trying to reach Google's services.
    "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """`app` served on 127.0.0.1 until the block ends; yields its base URL."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    port = server.socket.getsockname()[1]  # type: ignore[union-attr]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        thread.join(timeout=5)


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@contextmanager
def chromium(tmp_path: Path) -> Iterator[Any]:
    """A headless Chromium (Playwright `Browser`), or a skip when the machine has none."""
    executable = chromium_path()
    if executable is None:
        if os.environ.get("NEWSLETTER_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required (NEWSLETTER_REQUIRE_BROWSER=1) but not installed; "
                        "apt-get install chromium")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    flags = [*CHROMIUM_FLAGS]
    if os.geteuid() == 0:
        flags.append("--no-sandbox")  # Chromium refuses to sandbox itself as root
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=flags)
        try:
            yield browser
        finally:
            browser.close()
