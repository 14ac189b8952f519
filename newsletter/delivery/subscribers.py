"""The subscriber list: addresses, reading languages and consent, in SQLite.

Addresses are checked and normalised by email-validator (syntax only: no DNS
lookup, so adding works offline and a temporarily broken domain is not
refused) and matched without regard to ASCII case, so `Maria@Example.org`
and `maria@example.org` are one subscriber. A reader's language is always
one the site publishes: an unconfigured one falls back along its own chain
(`pt-BR` -> `pt`) and then to the first configured language.

Ids are never reused (AUTOINCREMENT): signed links carry the id, so a link
sent to an erased subscriber must never reach whoever is added next.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TextIO, TypeVar, get_args

from email_validator import EmailNotValidError, validate_email

from newsletter.db import Migration, connect, migrate, transaction
from newsletter.messages import Message, MessageError, msg
from newsletter.model import normalise_language

Status = Literal["pending", "confirmed", "unsubscribed"]
STATUSES: tuple[Status, ...] = get_args(Status)
"""`pending`: added, not yet confirmed (gets no digest); `confirmed`: gets the digest;
`unsubscribed`: asked to stop (kept, so an old list imported again does not re-add them)."""
CSV_COLUMNS = ("email", "language", "status")
"""Columns `import_csv` reads (`status` optional) and `export_csv` writes."""

MIGRATIONS = (
    # Named with a `subscribers_` prefix: the send log keeps its own migrations in this file.
    Migration("subscribers_0001_table", (
        """CREATE TABLE subscribers (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            language TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'unsubscribed')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
    )),
)
Outcome = Literal["added", "updated", "unchanged"]


@dataclass(frozen=True)
class Subscriber:
    """One person on the list, as stored."""

    id: int
    """Never reused; signed links name the subscriber by it."""
    email: str
    """Normalised address (domain in lower case), as first given otherwise."""
    language: str
    """BCP 47 code of the language they read the digest in; a configured one."""
    status: Status
    created_at: str
    """When they were added: ISO 8601 in UTC (`2026-01-05T09:30:00Z`)."""
    updated_at: str
    """Last change of language or status, same form."""


class SubscriberError(MessageError, ValueError):
    """A value that cannot be stored, with the field it belongs to and why."""

    def __init__(self, message: Message, field: str) -> None:
        super().__init__(message)
        self.field = field
        """`email`, `language`, `status` (or `file` for a CSV file that cannot be read)."""


class CsvError(SubscriberError):
    """A whole CSV file that cannot be read (not UTF-8, not CSV, no header)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message, "file")


class UnknownSubscriber(MessageError, LookupError):
    """No subscriber has this id (never added, or erased since)."""

    def __init__(self, subscriber_id: int) -> None:
        super().__init__(msg("no subscriber has the id {id}", id=subscriber_id))


@dataclass
class CsvImport:
    """What `import_csv` did; rows with problems were skipped, the others imported."""

    added: int
    updated: int
    problems: list[tuple[int, Message]]
    """(line number, reason) for each problem; a row may have more than one."""
    unchanged: int = 0
    """Rows that matched a subscriber exactly."""
    notes: list[tuple[int, Message]] = field(default_factory=list)
    """(line number, note) for rows imported differently from what they said: a language
    that fell back to a configured one, an unsubscribed address left unsubscribed."""


def normalise_email(text: str) -> str:
    """The address in the form it is stored and matched in; outer spaces are dropped."""
    address = text.strip()
    if not address:
        raise SubscriberError(msg("the email address is empty"), "email")
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise SubscriberError(msg("{address!r} is not an email address: {reason}",
                                  address=address, reason=str(error)), "email") from None


def resolve_language(requested: str, configured: Sequence[str]) -> str:
    """The configured language closest to `requested`.

    Tried in order: the code itself (`pt-BR`), without its region (`zh-Hant`),
    the bare language (`pt`), any configured variant of it (`pt-BR` for `pt`),
    then the first configured language (the site's source language comes
    first by convention). Raises `SubscriberError` when `requested` is not a
    language code at all, since falling back from a typo would hide it.
    """
    return resolve_language_with_fallback(requested, configured)[0]


def resolve_language_with_fallback(requested: str, configured: Sequence[str]
                                   ) -> tuple[str, bool]:
    """`resolve_language`, and whether it fell back: False when the configured language
    is `requested` itself (normalised: `pt_br` is `pt-BR`)."""
    code = _language_code(requested)
    if not configured:
        raise SubscriberError(msg("no languages are configured (site.languages)"), "language")
    parts = code.split("-")
    candidates = ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]
    for candidate in candidates:
        if candidate in configured:
            return candidate, candidate != code
    for language in configured:
        if language.split("-")[0] == parts[0]:
            return language, language != code
    return configured[0], configured[0] != code


def check_status(status: str) -> Status:
    """`status` if it is one of `STATUSES`; else a `SubscriberError` listing them."""
    if status not in STATUSES:
        raise SubscriberError(msg("{value!r} is not a status (expected one of: {statuses})",
                                  value=status, statuses=", ".join(STATUSES)), "status")
    return status  # type: ignore[return-value]  # checked against the Literal just above


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SubscriberStore:
    """The subscriber list in one SQLite connection; each change is one transaction."""

    def __init__(self, connection: sqlite3.Connection, *,
                 clock: Callable[[], datetime] = _utc_now) -> None:
        self.connection = connection
        self.clock = clock
        """Source of `created_at` / `updated_at`; tests pass a fixed one."""
        migrate(connection, MIGRATIONS)

    @classmethod
    def open(cls, path: Path) -> SubscriberStore:
        return cls(connect(path))

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> SubscriberStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, email: str, language: str, *, status: Status = "pending") -> Subscriber:
        """Add a subscriber, or update the one with this address.

        Adding an address again sets its language and status, except that
        `pending` never replaces `confirmed`: signing up twice must not take
        the digest away from someone who confirmed. Use `set_status` to ask
        for that. `language` must be a language code; callers that know the
        configured languages pass it through `resolve_language` first.
        """
        address, code, wanted = self._checked(email, language, status)
        with transaction(self.connection):
            subscriber, _ = self._upsert(address, code, wanted, self._current(address))
        return subscriber

    def get(self, email: str) -> Subscriber | None:
        """The subscriber with this address (in any case, with or without outer spaces)."""
        row = self.connection.execute(f"SELECT {_FIELDS} FROM subscribers WHERE email = ?",
                                      (_lookup_key(email),)).fetchone()
        return _subscriber(row) if row else None

    def by_id(self, subscriber_id: int) -> Subscriber | None:
        row = self.connection.execute(f"SELECT {_FIELDS} FROM subscribers WHERE id = ?",
                                      (subscriber_id,)).fetchone()
        return _subscriber(row) if row else None

    def set_status(self, subscriber_id: int, status: Status) -> Subscriber:
        """Change the status (confirming, unsubscribing); raises `UnknownSubscriber`."""
        wanted = check_status(status)
        with transaction(self.connection):
            current = self.by_id(subscriber_id)
            if current is None:
                raise UnknownSubscriber(subscriber_id)
            if current.status == wanted:
                return current
            self.connection.execute(
                "UPDATE subscribers SET status = ?, updated_at = ? WHERE id = ?",
                (wanted, self._now(), subscriber_id))
            subscriber = self.by_id(subscriber_id)
        assert subscriber is not None
        return subscriber

    def remove(self, email: str) -> bool:
        """Delete the subscriber and their row entirely (erasure, not unsubscribing).

        False when no subscriber has this address. Other tables that refer
        to subscribers must do so with ON DELETE CASCADE so nothing remains.
        """
        with transaction(self.connection):
            cursor = self.connection.execute("DELETE FROM subscribers WHERE email = ?",
                                             (_lookup_key(email),))
        return cursor.rowcount > 0

    def list(self, status: Status | None = None, language: str | None = None
             ) -> list[Subscriber]:
        """Subscribers by id, only those with this status and/or language when given."""
        where, values = [], []
        if status is not None:
            where.append("status = ?")
            values.append(check_status(status))
        if language is not None:
            where.append("language = ?")
            values.append(language)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = self.connection.execute(
            f"SELECT {_FIELDS} FROM subscribers{clause} ORDER BY id", values)
        return [_subscriber(row) for row in rows]

    def confirmed(self) -> list[Subscriber]:
        """Those who get the digest."""
        return self.list(status="confirmed")

    def import_csv(self, path: Path, configured: Sequence[str]) -> CsvImport:
        """Add or update everyone in a CSV file with `email,language[,status]` columns.

        The header row is required (columns in any order and case); `,`, `;`
        or tab is taken from it as the separator, since spreadsheets in many
        European locales write `;`. Every row is checked before anything is
        written: rows with problems are reported by line number and skipped,
        the good rows are stored in one transaction. An address listed twice
        is a problem on its second line. A row without a status is `pending`.
        An unsubscribed address stays unsubscribed whatever its row says: an
        old list imported again must never re-subscribe someone who asked to
        stop (`add` one address to do that).
        """
        header, rows = _read_csv(path)
        result = CsvImport(0, 0, [])
        good: list[tuple[int, str, str, Status]] = []
        seen: dict[str, int] = {}
        for line, fields in rows:
            if len(fields) > len(header) and any(v.strip() for v in fields[len(header):]):
                result.problems.append((line, msg(
                    "{found} values, but the header names {expected} columns",
                    found=len(fields), expected=len(header))))
                continue
            values = dict(zip(header, fields, strict=False))
            problems_before = len(result.problems)
            address = _row_value(result, line, values, "email", normalise_email)
            resolved = _row_value(result, line, values, "language",
                                  lambda text: resolve_language_with_fallback(text, configured))
            status: Status = "pending"
            try:
                status = check_status(values.get("status", "").strip().lower() or "pending")
            except SubscriberError as error:
                result.problems.append((line, error.message))
            if address is not None:
                first = seen.setdefault(address.casefold(), line)
                if first != line:
                    result.problems.append((line, msg("{address} is already on line {line}",
                                                      address=address, line=first)))
            if len(result.problems) > problems_before:
                continue
            assert address is not None and resolved is not None
            language, fell_back = resolved
            if fell_back:
                result.notes.append((line, msg(
                    "language {requested} is not configured; subscribed in {language}",
                    requested=values["language"].strip(), language=language)))
            good.append((line, address, language, status))

        with transaction(self.connection):
            for line, address, language, status in good:
                current = self._current(address)
                if (current is not None and current.status == "unsubscribed"
                        and status != "unsubscribed"):
                    result.notes.append((line, msg(
                        "{address} has unsubscribed and stays unsubscribed; to subscribe them "
                        "again, use 'newsletter subscribers add'", address=current.email)))
                    status = "unsubscribed"
                _, outcome = self._upsert(address, language, status, current)
                if outcome == "added":
                    result.added += 1
                elif outcome == "updated":
                    result.updated += 1
                else:
                    result.unchanged += 1
        result.notes.sort(key=lambda note: note[0])
        return result

    def export_csv(self, stream: TextIO) -> int:
        """Write everyone as `email,language,status` (what `import_csv` reads); returns the count."""
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        subscribers = self.list()
        for subscriber in subscribers:
            writer.writerow((subscriber.email, subscriber.language, subscriber.status))
        return len(subscribers)

    # -- helpers -------------------------------------------------------------------------

    def _now(self) -> str:
        return self.clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    @staticmethod
    def _checked(email: str, language: str, status: str) -> tuple[str, str, Status]:
        return normalise_email(email), _language_code(language), check_status(status)

    def _current(self, address: str) -> Subscriber | None:
        row = self.connection.execute(f"SELECT {_FIELDS} FROM subscribers WHERE email = ?",
                                      (address,)).fetchone()
        return _subscriber(row) if row else None

    def _upsert(self, address: str, language: str, status: Status, current: Subscriber | None
                ) -> tuple[Subscriber, Outcome]:
        """Insert or update inside the caller's transaction; `current` is the stored row for
        `address` (`_current`), read in that transaction."""
        now = self._now()
        if current is None:
            cursor = self.connection.execute(
                "INSERT INTO subscribers (email, language, status, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?)", (address, language, status, now, now))
            assert cursor.lastrowid is not None
            return Subscriber(cursor.lastrowid, address, language, status, now, now), "added"
        if status == "pending" and current.status == "confirmed":
            status = "confirmed"
        if (current.language, current.status) == (language, status):
            return current, "unchanged"
        self.connection.execute(
            "UPDATE subscribers SET language = ?, status = ?, updated_at = ? WHERE id = ?",
            (language, status, now, current.id))
        return Subscriber(current.id, current.email, language, status, current.created_at,
                          now), "updated"


_FIELDS = "id, email, language, status, created_at, updated_at"


def _subscriber(row: tuple[int, str, str, Status, str, str]) -> Subscriber:
    return Subscriber(*row)


def _lookup_key(email: str) -> str:
    """The stored form of an address to look up; an invalid one as typed (it matches nothing)."""
    try:
        return normalise_email(email)
    except SubscriberError:
        return email.strip()


def _language_code(text: str) -> str:
    """`text` as a normalised language code (outer spaces dropped); else `SubscriberError`."""
    try:
        return normalise_language(text.strip())
    except ValueError:
        raise SubscriberError(msg("{value!r} is not a language code such as 'el' or 'pt-BR'",
                                  value=text), "language") from None


_Checked = TypeVar("_Checked")


def _row_value(result: CsvImport, line: int, values: dict[str, str], column: str,
               check: Callable[[str], _Checked]) -> _Checked | None:
    """The checked value of one column, or None with the problem added to `result`."""
    text = values.get(column, "")
    if not text.strip():
        result.problems.append((line, msg("no {column} given", column=column)))
        return None
    try:
        return check(text)
    except SubscriberError as error:
        result.problems.append((line, error.message))
        return None


def _read_csv(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The column names and each non-blank data row with the line it starts on.

    Raises `CsvError` for a file that is not UTF-8 CSV with the right header.
    The whole file is read first: subscriber lists are small, and a file that
    breaks halfway must not leave half of it imported.
    """
    file = str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CsvError(msg("{file}: cannot be read: {reason}", file=file,
                           reason=error.strerror or str(error))) from None
    try:
        text = data.decode("utf-8-sig")  # the BOM spreadsheets write in front of "CSV UTF-8"
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise CsvError(msg("{file}: line {line}: not UTF-8 text; save the file as 'CSV UTF-8' "
                           "and import it again", file=file, line=line)) from None
    if "\x00" in text:
        raise CsvError(msg("{file}: not a CSV file (it holds binary data); save it as "
                           "'CSV UTF-8' and import it again", file=file))
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)  # none at all keeps ','
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    previous = 0
    try:
        for fields in reader:
            line, previous = previous + 1, reader.line_num  # a quoted field may span lines
            if not any(value.strip() for value in fields):
                continue
            if header is None:
                header = _header(file, line, fields)
            else:
                rows.append((line, fields))
    except csv.Error as error:
        raise CsvError(msg("{file}: line {line}: not valid CSV: {reason}", file=file,
                           line=reader.line_num, reason=str(error))) from None
    if header is None:
        raise CsvError(msg("{file}: empty; expected a header row 'email,language' (and "
                           "optionally 'status') and a row per subscriber", file=file))
    return header, rows


def _header(file: str, line: int, fields: list[str]) -> list[str]:
    names = [name.strip().lower() for name in fields]
    unknown = [name for name in names if name not in CSV_COLUMNS]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if unknown or repeated or "email" not in names or "language" not in names:
        raise CsvError(msg("{file}: line {line}: the first row must name the columns: email, "
                           "language and optionally status (found: {found})", file=file,
                           line=line, found=", ".join(fields)))
    return names
