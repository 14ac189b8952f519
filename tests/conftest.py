"""Shared fixtures: the example pages and a fresh project on the built-in defaults."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from smtp_support import Sink, running_sink

from newsletter.config import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_PAGES = REPO / "examples" / "pages"
DATA = Path(__file__).resolve().parent / "data"
REGENERATE = os.environ.get("NEWSLETTER_REGENERATE") == "1"
"""Set NEWSLETTER_REGENERATE=1 to rewrite expected files instead of comparing."""


@pytest.fixture
def sink() -> Iterator[Sink]:
    """A real SMTP server on 127.0.0.1 keeping what it accepts (`smtp_support`)."""
    with running_sink() as handler:
        yield handler


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


def seed_project(folder: Path, config: str) -> Path:
    """`folder` as a project with `config` as its newsletter.toml and the seed pages imported.

    Module fixtures build one and `copy_project` hands each test its own copy.
    """
    from newsletter import importers

    (folder / "newsletter.toml").write_text(config, "utf-8")
    importers.run(load_settings(folder), importers.page_files([EXAMPLE_PAGES]))
    return folder


def copy_project(project: Path, tmp_path: Path) -> Settings:
    """A private copy of `project`, for a test that writes into it."""
    import shutil

    shutil.copytree(project, tmp_path / "project")
    return load_settings(tmp_path / "project")


@pytest.fixture(scope="session")
def review_seeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed project with a tiny English-Greek Argos model and Greek in the memory
    (`review_support`), built once; tests take a `copy_project` of it."""
    from review_support import build_packages, review_project

    packages = build_packages(tmp_path_factory.mktemp("argos"))
    return review_project(tmp_path_factory.mktemp("review"), packages)

