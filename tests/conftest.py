"""Shared fixtures: the example pages and a fresh project on the built-in defaults."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from newsletter.config import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_PAGES = REPO / "examples" / "pages"
DATA = Path(__file__).resolve().parent / "data"
REGENERATE = os.environ.get("NEWSLETTER_REGENERATE") == "1"
"""Set NEWSLETTER_REGENERATE=1 to rewrite expected files instead of comparing."""


@pytest.fixture
def project(tmp_path: Path) -> Settings:
    """Settings for an empty project folder with no newsletter.toml."""
    return load_settings(tmp_path)


@pytest.fixture(autouse=True)
def english_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests assert English messages, whatever the machine's locale."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C")
