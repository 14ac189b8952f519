"""Translation memory and migrations, on real SQLite files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from newsletter.db import Migration, connect, migrate
from newsletter.localise.memory import EngineVersion, TranslationMemory, segment_key

ARGOS_1 = EngineVersion("argos", "1.0")


def test_stored_segments_are_found_by_normalised_text(tmp_path: Path) -> None:
    memory = TranslationMemory.open(tmp_path / "tm.db")
    memory.store("en", "el", ARGOS_1, {"Hello  world.": "Γεια σου κόσμε."})
    found = memory.lookup("en", "el", ARGOS_1, ["Hello world.", " Hello world. ", "Other."])
    assert found == {"Hello world.": "Γεια σου κόσμε.", " Hello world. ": "Γεια σου κόσμε."}


def test_the_key_includes_pair_engine_and_model_version(tmp_path: Path) -> None:
    memory = TranslationMemory.open(tmp_path / "tm.db")
    memory.store("en", "el", ARGOS_1, {"Hello.": "Γεια."})
    assert memory.lookup("en", "fr", ARGOS_1, ["Hello."]) == {}
    assert memory.lookup("fr", "el", ARGOS_1, ["Hello."]) == {}
    assert memory.lookup("en", "el", EngineVersion("argos", "1.1"), ["Hello."]) == {}
    assert memory.lookup("en", "el", EngineVersion("apertium", "1.0"), ["Hello."]) == {}


def test_memory_survives_reopening_and_migrates_once(tmp_path: Path) -> None:
    memory = TranslationMemory.open(tmp_path / "tm.db")
    memory.store("en", "el", ARGOS_1, {f"Sentence {n}.": f"Πρόταση {n}." for n in range(1200)})
    memory.close()
    reopened = TranslationMemory.open(tmp_path / "tm.db")
    assert reopened.count() == 1200
    found = reopened.lookup("en", "el", ARGOS_1, [f"Sentence {n}." for n in range(1300)])
    assert len(found) == 1200 and found["Sentence 1199."] == "Πρόταση 1199."
    names = [row[0] for row in reopened.connection.execute("SELECT name FROM migrations")]
    assert names == ["0001_segments"]


def test_segment_key_normalises_unicode_and_space() -> None:
    assert segment_key("  Cafe\u0301\n au  lait ") == "Café au lait"


def test_a_failing_migration_leaves_no_trace(tmp_path: Path) -> None:
    connection = connect(tmp_path / "x.db")
    good = Migration("0001_table", ("CREATE TABLE t (x INTEGER)",))
    bad = Migration("0002_broken", ("CREATE TABLE u (y INTEGER)", "CREATE TABLE t (x INTEGER)"))
    assert migrate(connection, [good]) == ["0001_table"]
    with pytest.raises(sqlite3.OperationalError):
        migrate(connection, [good, bad])
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert "u" not in tables
    assert [r[0] for r in connection.execute("SELECT name FROM migrations")] == ["0001_table"]
    assert migrate(connection, [good]) == []
