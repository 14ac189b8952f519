"""SQLite helpers: one connection passed in, named migrations applied once each.

A migration and the row recording it commit in one transaction, or neither
does: a crash mid-migration leaves the database as it was.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Migration:
    """One named, ordered schema change."""

    name: str
    """Recorded in `migrations`; never rename one that has shipped."""
    statements: tuple[str, ...]
    """SQL statements run in order inside one transaction."""


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode; callers open transactions with `transaction()`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA busy_timeout=5000")
    return connection


@contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK when the block raises."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def migrate(connection: sqlite3.Connection, migrations: Sequence[Migration]) -> list[str]:
    """Apply the migrations not yet applied, in order; returns the names applied now."""
    connection.execute(
        "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in connection.execute("SELECT name FROM migrations")}
    applied: list[str] = []
    for migration in migrations:
        if migration.name in done:
            continue
        with transaction(connection):
            for statement in migration.statements:
                connection.execute(statement)
            connection.execute(
                "INSERT INTO migrations (name, applied_at) VALUES (?, datetime('now'))",
                (migration.name,))
        applied.append(migration.name)
    return applied
