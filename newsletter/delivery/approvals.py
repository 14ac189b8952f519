"""Editors' approvals: which language of which issue may be sent, as it was seen.

An editor approves one language of one week's digest after reading it as it
will go out (the editor preview). The approval records a fingerprint of
exactly what was read: the subject, HTML and plain text `render_issue`
makes, before any subscriber's unsubscribe link is put in. `newsletter send`
renders the issue again and sends a language only while its fingerprint is
the approved one, so a translation saved, an item edited or a template
changed after the approval makes that language unapproved again ("changed
since it was approved") until an editor looks at it once more.

Approvals live in the subscribers database, next to the send log, in their
own table with their own named migration.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from newsletter.config import Settings
from newsletter.db import Migration, connect, migrate, transaction
from newsletter.digest import DigestIssue
from newsletter.messages import Message, msg
from newsletter.model import NewsItem
from newsletter.render.email import RenderedIssue, render_issue

MIGRATIONS = (
    Migration("approvals-0001-table", (
        """CREATE TABLE approvals (
            issue TEXT NOT NULL,
            language TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            editor TEXT NOT NULL,
            approved_at TEXT NOT NULL,
            PRIMARY KEY (issue, language)
        ) WITHOUT ROWID""",
    )),
)

State = Literal["approved", "not-approved", "changed"]
"""`approved`: approved as it renders now; `not-approved`: never approved (or the approval
was withdrawn); `changed`: approved, but what would be sent has changed since."""
STATE_LABELS: Mapping[str, Message] = {
    "approved": msg("approved"),
    "not-approved": msg("not approved"),
    "changed": msg("changed since it was approved"),
}


@dataclass(frozen=True)
class Approval:
    """One language of one issue, approved by an editor as it rendered then."""

    issue: str
    """ISO week ("2021-W24")."""
    language: str
    fingerprint: str
    """`issue_fingerprint` of what the editor approved."""
    editor: str
    """Who approved it, as they gave their name (or where they approved it from)."""
    approved_at: datetime
    """When (UTC)."""


@dataclass(frozen=True)
class LanguageApproval:
    """One language of an issue: its state, and the approval it rests on (if any)."""

    language: str
    state: State
    approval: Approval | None

    @property
    def label(self) -> Message:
        return STATE_LABELS[self.state]


def issue_fingerprint(rendered: RenderedIssue) -> str:
    """SHA-256 of what every subscriber of the language gets but their own link: subject,
    HTML and text, each prefixed with its length so no two different issues hash alike."""
    digest = hashlib.sha256()
    for part in (rendered.subject, rendered.html, rendered.text):
        data = part.encode("utf-8")
        digest.update(f"{len(data)}:".encode("ascii"))
        digest.update(data)
    return digest.hexdigest()


def state_of(approval: Approval | None, fingerprint: str) -> State:
    """Whether `approval` covers an issue that renders to `fingerprint` now."""
    if approval is None:
        return "not-approved"
    return "approved" if approval.fingerprint == fingerprint else "changed"


class ApprovalStore:
    """The `approvals` table of the subscribers database."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    @classmethod
    def open(cls, path: Path) -> ApprovalStore:
        """Open (creating and migrating if needed) the approvals in the database at `path`."""
        connection = connect(path)
        migrate(connection, MIGRATIONS)
        return cls(connection)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> ApprovalStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def approve(self, week: str, language: str, fingerprint: str, editor_label: str,
                now: datetime) -> Approval:
        """Record that `editor_label` approved `language` of `week` as it renders to
        `fingerprint`; replaces an earlier approval of the same language."""
        approval = Approval(week, language, fingerprint, editor_label.strip(),
                            now.astimezone(UTC).replace(microsecond=0))
        with transaction(self.connection):
            self.connection.execute(
                """INSERT INTO approvals (issue, language, fingerprint, editor, approved_at)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (issue, language) DO UPDATE SET
                       fingerprint = excluded.fingerprint, editor = excluded.editor,
                       approved_at = excluded.approved_at""",
                (week, language, fingerprint, approval.editor,
                 approval.approved_at.isoformat()))
        return approval

    def approval(self, week: str, language: str) -> Approval | None:
        """The approval of `language` of `week`; None when there is none."""
        row = self.connection.execute(
            "SELECT issue, language, fingerprint, editor, approved_at FROM approvals "
            "WHERE issue = ? AND language = ?", (week, language)).fetchone()
        return _approval(row) if row else None

    def approvals(self, weeks: Iterable[str] | None = None) -> dict[tuple[str, str], Approval]:
        """Every approval (of `weeks` only, when given), by (week, language)."""
        rows = self.connection.execute(
            "SELECT issue, language, fingerprint, editor, approved_at FROM approvals")
        wanted = set(weeks) if weeks is not None else None
        return {(row[0], row[1]): _approval(row) for row in rows
                if wanted is None or row[0] in wanted}  # a few rows a week: no SQL IN list

    def revoke(self, week: str, language: str) -> bool:
        """Withdraw the approval of `language` of `week`; True when there was one."""
        with transaction(self.connection):
            cursor = self.connection.execute(
                "DELETE FROM approvals WHERE issue = ? AND language = ?", (week, language))
        return cursor.rowcount > 0


def _approval(row: Sequence[str]) -> Approval:
    return Approval(row[0], row[1], row[2], row[3], datetime.fromisoformat(row[4]))


def language_states(settings: Settings, issue: DigestIssue, languages: Sequence[str],
                    items: Sequence[NewsItem] | None = None, *,
                    approvals: Mapping[tuple[str, str], Approval] | None = None,
                    compare: bool = True,
                    rendered: Mapping[str, RenderedIssue] | None = None
                    ) -> dict[str, LanguageApproval]:
    """Each of `languages` of `issue`: approved, not approved, or changed since approved.

    Only languages that have an approval are rendered to compare; `compare=False`
    renders none and reports each approval as it was recorded (for issues already sent,
    whose approvals are history). `approvals` supplies the rows already read (else they
    are read here), `rendered` renderings already made, `items` the content as loaded
    once (see `render_issue`).
    """
    if approvals is None:
        with ApprovalStore.open(settings.subscribers_db) as store:
            approvals = store.approvals([issue.week])
    states = {}
    for language in languages:
        approval = approvals.get((issue.week, language))
        if approval is None:
            states[language] = LanguageApproval(language, "not-approved", None)
            continue
        if not compare:
            states[language] = LanguageApproval(language, "approved", approval)
            continue
        current = (rendered or {}).get(language) or render_issue(settings, issue, language, items)
        states[language] = LanguageApproval(language, state_of(approval, issue_fingerprint(current)),
                                            approval)
    return states
