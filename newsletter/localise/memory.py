"""Translation memory: the same segment is never translated twice.

Keyed by (source language, target language, engine, model version,
normalised segment). A new model version is a new key, so an upgrade
re-translates; human translations are stored under the engine `human`.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from newsletter.db import Migration, connect, migrate, transaction

MIGRATIONS = (
    Migration("0001_segments", (
        """CREATE TABLE segments (
            source_lang TEXT NOT NULL,
            target_lang TEXT NOT NULL,
            engine TEXT NOT NULL,
            model_version TEXT NOT NULL,
            source_key TEXT NOT NULL,
            source_text TEXT NOT NULL,
            target_text TEXT NOT NULL,
            stored_at TEXT NOT NULL DEFAULT (datetime('now')),
            PRIMARY KEY (source_lang, target_lang, engine, model_version, source_key)
        ) WITHOUT ROWID""",
    )),
)
LOOKUP_CHUNK = 500
"""Segments per SELECT: below SQLite's limit on bound parameters."""


@dataclass(frozen=True)
class EngineVersion:
    """Which engine and model produced (or would produce) a translation."""

    engine: str
    """`argos`, `apertium`, `human`, ..."""
    model_version: str
    """The model's version; '' where the engine has none."""


def segment_key(segment: str) -> str:
    """The normalised form segments are matched by: NFC, single spaces, no outer space."""
    return " ".join(unicodedata.normalize("NFC", segment).split())


class TranslationMemory:
    """Stored translations, looked up and added in batches."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        migrate(connection, MIGRATIONS)

    @classmethod
    def open(cls, path: Path) -> TranslationMemory:
        return cls(connect(path))

    def close(self) -> None:
        self.connection.close()

    def lookup(self, source_lang: str, target_lang: str, version: EngineVersion,
               segments: Iterable[str]) -> dict[str, str]:
        """The stored translation of each segment that has one, keyed by the segment as given."""
        by_key: dict[str, list[str]] = {}
        for segment in segments:
            by_key.setdefault(segment_key(segment), []).append(segment)
        found: dict[str, str] = {}
        keys = list(by_key)
        for start in range(0, len(keys), LOOKUP_CHUNK):
            chunk = keys[start:start + LOOKUP_CHUNK]
            rows = self.connection.execute(
                "SELECT source_key, target_text FROM segments WHERE source_lang = ? AND "
                "target_lang = ? AND engine = ? AND model_version = ? AND source_key IN "
                f"({','.join('?' * len(chunk))})",
                (source_lang, target_lang, version.engine, version.model_version, *chunk),
            )
            for key, target in rows:
                for segment in by_key[key]:
                    found[segment] = target
        return found

    def store(self, source_lang: str, target_lang: str, version: EngineVersion,
              translations: Mapping[str, str]) -> None:
        """Add or replace translations, all in one transaction."""
        with transaction(self.connection):
            self.connection.executemany(
                "INSERT OR REPLACE INTO segments (source_lang, target_lang, engine, "
                "model_version, source_key, source_text, target_text) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(source_lang, target_lang, version.engine, version.model_version,
                  segment_key(source), source, target) for source, target in translations.items()],
            )

    def forget(self, source_lang: str, target_lang: str, version: EngineVersion,
               translations: Mapping[str, str]) -> int:
        """Remove stored translations, each only while it still reads as given (someone may
        have replaced it since); returns how many were removed."""
        with transaction(self.connection):
            removed = 0
            for source, target in translations.items():
                removed += self.connection.execute(
                    "DELETE FROM segments WHERE source_lang = ? AND target_lang = ? AND engine = ? "
                    "AND model_version = ? AND source_key = ? AND target_text = ?",
                    (source_lang, target_lang, version.engine, version.model_version,
                     segment_key(source), target)).rowcount
        return removed

    def count(self) -> int:
        return self.connection.execute("SELECT count(*) FROM segments").fetchone()[0]
