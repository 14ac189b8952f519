"""The send log: one row per (issue, subscriber), so an issue reaches each reader once.

SMTP cannot give exactly-once delivery by itself. The server takes
responsibility for a message when it answers 250 to the end of the message
data (the lone "." line); a client that stops between sending that line and
recording the answer cannot know which side of the server's decision it
stopped on (RFC 1047). This log makes every other moment unambiguous and
keeps the unavoidable one small, visible and deliberate:

    no row / failed --(MAIL, RCPT, DATA, body)--> [commit 'sending'] --"."--> 250 --> [commit 'sent']

* No row, or `failed`: the server never received the end of the message, or
  refused it; nothing was delivered, so sending (again) cannot duplicate.
  Everything before the "." -- envelope, DATA, the whole body -- is in this
  state: a server discards a transaction whose connection closes before the
  end of data.
* `sending` is committed immediately before the "." leaves, with the
  message's Message-ID. A row still `sending` on a later run means the
  process died (or the connection broke) while the server was deciding. On
  loopback and on any working network the "." reached the server, so the
  message was almost certainly delivered: such rows are reported as
  *unconfirmed* and NOT resent, so a reader never gets the issue twice.
  The operator can resend them (`--resend-unconfirmed`); they go out with
  the same Message-ID, which lets mail systems that deduplicate do so.
* `sent` is committed as soon as the server's 250 is read; reruns skip it.

Residual windows, stated honestly: a crash in the microseconds between the
`sending` commit and the "." being written to the socket leaves a row
unconfirmed that the server never completed (a reader misses the issue
unless it is resent); a server that would have refused the message (4xx/5xx
after the ".") while the client died is likewise reported as unconfirmed,
not failed. Short of losing the log itself (below), nothing here sends a
message twice unasked.

Durability: the log's connection runs with `synchronous=NORMAL` (WAL). A
commit survives the process being killed (the write is in the operating
system's cache before COMMIT returns); only a power cut or kernel crash can
lose the last commits, which can make the last messages before it look
unsent (sent again by the next run) or unconfirmed. An fsync per commit,
two per message, would cap a send at a few hundred messages a second on
ordinary disks and well below that on network storage.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

from newsletter.db import Migration, connect, migrate, transaction
from newsletter.delivery import subscribers

MIGRATIONS = (
    Migration("sendlog-0001-sends", (
        """CREATE TABLE sends (
            issue TEXT NOT NULL,
            subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
            status TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
            message_id TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL,
            PRIMARY KEY (issue, subscriber_id)
        ) WITHOUT ROWID""",
    )),
)
"""The send log's own migrations, recorded in the shared `migrations` table.

Rows refer to their subscriber with ON DELETE CASCADE: erasing a subscriber
(`SubscriberStore.remove`) must leave nothing about them behind."""


@dataclass(frozen=True)
class SendRecord:
    """What the log knows about one subscriber's copy of one issue."""

    status: str
    """`sending`: the end of data may have reached the server; `sent`: it answered 250;
    `failed`: it refused the message, or temporary failures outlasted the retries."""
    message_id: str
    """The Message-ID it was (or is being) sent with; the same on every attempt."""
    attempts: int
    """Times the end of data was handed to a server, or a failure recorded."""
    error: str
    """The server's last refusal (`550 5.1.1 ...`), empty when none."""


def message_id(issue: str, subscriber_id: int, domain: str) -> str:
    """`<digest.2021-W24.42@example.org>`: the same for every attempt of one copy.

    Deterministic, so a resent copy carries the Message-ID of the first and a
    receiving system that deduplicates on it shows one. The domain is the
    sender's (`sender_domain`), as RFC 5322 suggests, so IDs of different
    senders never meet.
    """
    return f"<digest.{issue}.{subscriber_id}@{domain}>"


def sender_domain(sender: str) -> str:
    """The domain of the address in `sender` (`Digest <digest@example.org>` -> `example.org`),
    `localhost` when it has none; read once per run, for every `message_id`."""
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


class SendLog:
    """The `sends` table of the subscribers database, on its own connection.

    Every change is its own committed transaction, because the whole point is
    that a commit happens-before the matching SMTP step.
    """

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    @classmethod
    def open(cls, path: Path) -> SendLog:
        """Open (creating and migrating if needed) the log in the database at `path`."""
        connection = connect(path)
        connection.execute("PRAGMA synchronous=NORMAL")
        # The subscribers table first: the log's rows refer to it.
        migrate(connection, (*subscribers.MIGRATIONS, *MIGRATIONS))
        return cls(connection)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> SendLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def records(self, issue: str) -> dict[int, SendRecord]:
        """Every subscriber's record for `issue`, by subscriber id."""
        rows = self.connection.execute(
            "SELECT subscriber_id, status, message_id, attempts, error FROM sends WHERE issue = ?",
            (issue,))
        return {row[0]: SendRecord(*row[1:]) for row in rows}

    def issues_sent(self) -> set[str]:
        """The issues at least one subscriber was sent."""
        rows = self.connection.execute("SELECT DISTINCT issue FROM sends WHERE status = 'sent'")
        return {row[0] for row in rows}

    def sending(self, issue: str, subscriber_id: int, message_id: str) -> None:
        """Record that the end of data is about to be sent; call just before sending it."""
        with transaction(self.connection):
            self.connection.execute(
                """INSERT INTO sends (issue, subscriber_id, status, message_id, attempts, error,
                                      updated_at)
                   VALUES (?, ?, 'sending', ?, 1, '', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                   ON CONFLICT (issue, subscriber_id) DO UPDATE SET
                       status = 'sending', message_id = excluded.message_id,
                       attempts = attempts + 1, error = '', updated_at = excluded.updated_at""",
                (issue, subscriber_id, message_id))

    def sent(self, issue: str, subscriber_id: int) -> None:
        """Record the server's 250; call as soon as it has been read."""
        with transaction(self.connection):
            self.connection.execute(
                """UPDATE sends SET status = 'sent',
                                    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                   WHERE issue = ? AND subscriber_id = ?""", (issue, subscriber_id))

    def failed(self, issue: str, subscriber_id: int, message_id: str, error: str) -> None:
        """Record a refusal: the server did not take the message, so a rerun may try again."""
        with transaction(self.connection):
            self.connection.execute(
                """INSERT INTO sends (issue, subscriber_id, status, message_id, attempts, error,
                                      updated_at)
                   VALUES (?, ?, 'failed', ?, 1, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                   ON CONFLICT (issue, subscriber_id) DO UPDATE SET
                       status = 'failed', error = excluded.error,
                       attempts = attempts + (status != 'sending'),
                       updated_at = excluded.updated_at""",
                (issue, subscriber_id, message_id, error))
