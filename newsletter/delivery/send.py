"""Sending one week's digest to every confirmed subscriber, each copy once.

The issue is rendered once per language; each subscriber's message only
adds their own unsubscribe link, Message-ID and address to it. Messages go
out over one SMTP connection, reused, reopened when the server drops it.
The send log (`sendlog.py`, whose docstring describes the exactly-once
design) is written around each message's end of data, so a run that is
killed, or a server that goes away, can be followed by a plain rerun.

Failures are told apart by what they mean for the reader:

- a temporary refusal (4xx) or a broken connection before the end of data:
  tried again, after pauses of `base_delay`, 2 x, 4 x ... up to
  `smtp.retries` times (the connection reopened when needed);
- a permanent refusal (5xx) of one address: recorded as failed for that
  subscriber; the others are unaffected, and a rerun tries it again;
- the connection lost after the end of data left, before the answer: the
  message is *unconfirmed* (probably delivered) and never resent unasked;
- a server that cannot be reached within the retries, or refuses the login:
  the run stops with `SendError`; what was sent is in the log.
"""

from __future__ import annotations

import binascii
import os
import re
import smtplib
import socket
import sqlite3
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import quoprimime
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from newsletter.config import Settings, SmtpSettings
from newsletter.messages import Message, msg

if TYPE_CHECKING:
    from newsletter.delivery.sendlog import SendLog
    from newsletter.delivery.subscribers import Subscriber
    from newsletter.render.email import RenderedIssue

BASE_DELAY = 1.0
"""Seconds before the first retry of a temporary failure; doubled for each next one."""

ProgressCallback = Callable[[int, int], None]
"""Called with (messages handled, messages to handle) after each one."""


class SendError(Exception):
    """The run cannot go on (no digest, no secret, no password, no server); `message`
    says why, `report` what was done before it stopped."""

    def __init__(self, message: Message, report: SendReport | None = None) -> None:
        super().__init__(message.render())
        self.message = message
        self.report = report


class Failure(NamedTuple):
    """A subscriber whose copy the server refused."""

    email: str
    code: int
    """SMTP reply code (550, 451 after the last retry ...); 0 when no server said it."""
    message: str
    """The server's words, or what went wrong."""


@dataclass
class LanguageCounts:
    """One language's subscribers by what this run did for them."""

    sent: int = 0
    """Accepted by the server in this run (written to a file in a dry run)."""
    skipped: int = 0
    """Already sent by an earlier run."""
    failed: int = 0
    """Refused; a rerun tries again."""
    unconfirmed: int = 0
    """Handed over without an answer (probably delivered); not resent unasked."""

    @property
    def total(self) -> int:
        return self.sent + self.skipped + self.failed + self.unconfirmed


@dataclass
class SendReport:
    """What `send_issue` did, per language, with each failure."""

    issue: str
    """The ISO week the digest is for ("2021-W24"); the send log's key."""
    languages: dict[str, LanguageCounts] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)
    """Addresses whose copy is unconfirmed (see `LanguageCounts.unconfirmed`)."""
    empty: bool = False
    """The issue has no news and no events, and nothing was sent (no `force`)."""
    held_back: int = 0
    """Messages left for a later run by `limit`."""
    dry_run_dir: Path | None = None
    """Where messages were written instead of being sent."""
    render_seconds: float = 0.0
    """Time spent rendering the issue (once per language)."""
    send_seconds: float = 0.0
    """Time spent building and sending (or writing) the messages."""

    def counts(self, language: str) -> LanguageCounts:
        return self.languages.setdefault(language, LanguageCounts())


def send_issue(settings: Settings, week: str, *, limit: int | None = None,
               dry_run_dir: Path | None = None, force: bool = False,
               resend_unconfirmed: bool = False, environ: Mapping[str, str] = os.environ,
               on_progress: ProgressCallback | None = None, base_delay: float = BASE_DELAY,
               sleep: Callable[[float], None] = time.sleep) -> SendReport:
    """Send the digest of `week` to every confirmed subscriber who has not had it yet.

    `limit` caps the messages handled in this run (those already sent do
    not count); `dry_run_dir` writes each message as `<id>.<language>.eml`
    there and neither sends nor touches the send log; `force` sends an
    issue with no news and no events; `resend_unconfirmed` resends the
    copies an earlier run handed over without an answer (same Message-ID).
    `base_delay` and `sleep` set the pauses between retries (tests shorten
    them). Raises `SendError`.
    """
    from newsletter.delivery.sendlog import SendLog
    from newsletter.delivery.subscribers import SubscriberError, SubscriberStore
    from newsletter.delivery.tokens import load_secret
    from newsletter.digest import DigestError, select_issue
    from newsletter.render.email import render_issue
    from newsletter.render.views import load_items

    started = time.perf_counter()
    items = load_items(settings)
    try:
        issue = select_issue(settings, week, items)
        secret = None if issue.empty and not force else load_secret(settings, environ)
    except (DigestError, SubscriberError) as error:
        raise SendError(error.message) from None
    report = SendReport(issue=issue.week, dry_run_dir=dry_run_dir)
    if secret is None:
        report.empty = True
        return report
    password = None if dry_run_dir else _password(settings.smtp, environ)
    store = SubscriberStore.open(settings.subscribers_db)
    try:
        subscribers = sorted(store.confirmed(), key=lambda subscriber: subscriber.id)
    finally:
        store.close()
    languages = sorted({subscriber.language for subscriber in subscribers})
    composer = _Composer(settings, issue.week, secret,
                         {language: render_issue(settings, issue, language, items)
                          for language in languages})
    for language in languages:
        report.counts(language)
    report.render_seconds = time.perf_counter() - started

    started = time.perf_counter()
    if dry_run_dir is not None:
        from newsletter.content import atomic_write

        chosen = subscribers[:limit] if limit is not None else subscribers
        report.held_back = len(subscribers) - len(chosen)
        for done, subscriber in enumerate(chosen, 1):
            atomic_write(dry_run_dir / f"{subscriber.id}.{subscriber.language}.eml",
                         composer.message(subscriber), durable=False)
            report.counts(subscriber.language).sent += 1
            if on_progress:
                on_progress(done, len(chosen))
        report.send_seconds = time.perf_counter() - started
        return report

    session = SmtpSession(settings.smtp, password)
    try:
        with SendLog.open(settings.subscribers_db) as log:
            records = log.records(issue.week)
            todo = []
            for subscriber in subscribers:
                record = records.get(subscriber.id)
                if record is not None and record.status == "sent":
                    report.counts(subscriber.language).skipped += 1
                elif record is not None and record.status == "sending" \
                        and not resend_unconfirmed:
                    report.counts(subscriber.language).unconfirmed += 1
                    report.unconfirmed.append(subscriber.email)
                else:
                    todo.append(subscriber)
            report.held_back = max(0, len(todo) - limit) if limit is not None else 0
            todo = todo[:limit] if limit is not None else todo
            delivery = _Delivery(settings, issue.week, session, log, report, base_delay, sleep)
            for done, subscriber in enumerate(todo, 1):
                delivery.deliver(subscriber, composer.message(subscriber))
                if on_progress:
                    on_progress(done, len(todo))
    except SendError as error:
        error.report = report
        raise
    except sqlite3.Error as error:
        raise SendError(msg("{file}: the send log cannot be written: {reason}; run the "
                            "command again when it can", file=str(settings.subscribers_db),
                            reason=str(error)), report) from None
    finally:
        session.close()
        report.send_seconds = time.perf_counter() - started
    return report


class _Composer:
    """Each subscriber's message from their language's rendered issue."""

    def __init__(self, settings: Settings, week: str, secret: bytes,
                 rendered: dict[str, RenderedIssue]) -> None:
        self.settings, self.week, self.secret, self.rendered = settings, week, secret, rendered
        self.templates = {language: MessageTemplate.make(issue, settings.smtp.sender)
                          for language, issue in rendered.items()}

    def message(self, subscriber: Subscriber) -> bytes:
        """The flattened message: from the template, else built whole by `build_message`."""
        from newsletter.delivery.sendlog import message_id
        from newsletter.delivery.tokens import unsubscribe_url
        from newsletter.render.email import build_message

        url = unsubscribe_url(self.settings, self.secret, subscriber.id)
        mid = message_id(self.week, subscriber.id, self.settings.smtp.sender)
        template = self.templates[subscriber.language]
        data = template.fill(subscriber.email, url, mid) if template else None
        if data is None:
            message = build_message(self.rendered[subscriber.language],
                                    sender=self.settings.smtp.sender, recipient=subscriber.email,
                                    unsubscribe_url=url, message_id=mid)
            data = flatten(message, international=not subscriber.email.isascii())
        return data


class _Delivery:
    """One message at a time through the session, with retries, pacing and the send log."""

    def __init__(self, settings: Settings, week: str, session: SmtpSession, log: SendLog,
                 report: SendReport, base_delay: float, sleep: Callable[[float], None]) -> None:
        self.settings, self.week, self.session, self.log = settings, week, session, log
        self.report, self.base_delay, self.sleep = report, base_delay, sleep
        self.pacer = _Pacer(settings.smtp.rate_per_second, sleep)

    def deliver(self, subscriber: Subscriber, data: bytes) -> None:
        from newsletter.delivery.sendlog import message_id

        smtp, week = self.settings.smtp, self.week
        mid = message_id(week, subscriber.id, smtp.sender)
        counts = self.report.counts(subscriber.language)
        for attempt in range(smtp.retries + 1):
            self.pacer.wait()
            result = self.session.attempt(
                smtp.sender, subscriber.email, data, not subscriber.email.isascii(),
                before_end=lambda: self.log.sending(week, subscriber.id, mid))
            if result.kind == "sent":
                self.log.sent(week, subscriber.id)
                counts.sent += 1
                return
            if result.kind == "unconfirmed":
                counts.unconfirmed += 1
                self.report.unconfirmed.append(subscriber.email)
                return
            temporary = result.kind == "lost" or 400 <= result.code < 500
            last = not temporary or attempt == smtp.retries
            if result.after_end or last:
                # After the end of data the row says 'sending': the refusal must replace
                # it before any pause, or a crash now would leave it unconfirmed.
                self.log.failed(week, subscriber.id, mid, result.describe())
            if last:
                break
            self.sleep(self.base_delay * 2 ** attempt)
        if result.kind == "lost":
            raise SendError(msg(
                "cannot send through {host}:{port} (smtp.host, smtp.port): {reason}; {count} "
                "sent before it stopped; run the command again to send the rest",
                host=smtp.host, port=smtp.port, reason=result.text,
                count=sum(c.sent for c in self.report.languages.values())))
        counts.failed += 1
        self.report.failures.append(Failure(subscriber.email, result.code, result.text))


def flatten(message: EmailMessage, *, international: bool = False) -> bytes:
    """The message as it goes on the wire: CRLF line ends, UTF-8 headers only when an
    address needs them (SMTPUTF8), as `smtplib.send_message` does."""
    buffer = BytesIO()
    policy = message.policy.clone(linesep="\r\n", utf8=international)
    BytesGenerator(buffer, policy=policy).flatten(message)
    return buffer.getvalue()


_SIMPLE_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")
"""Addresses that appear in a header exactly as written (no quoting, no encoding)."""
_SIMPLE_URL = re.compile(r"https?://[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]{1,900}")
"""URLs that fit in List-Unsubscribe as written (RFC 3986 characters, no spaces or <>)."""


class MessageTemplate:
    """One language's message as `build_message` makes it, cut where subscribers differ.

    Building an `EmailMessage` and flattening it costs about 3 ms, nearly all
    in the email package's header folding and body encoding; for 10,000
    subscribers that is the whole budget. So `build_message` runs once per
    language with stand-in values, and each subscriber's copy is made from
    its bytes: the stand-ins in To, Message-ID and List-Unsubscribe and the
    Date are replaced, and each part's body is personalised and encoded again
    with the email package's own encoder and the template's transfer encoding.
    `make` checks that doing this with the stand-ins gives back the template
    byte for byte; when it does not (or a copy would need quoting, encoded
    words or SMTPUTF8), the caller falls back to `build_message`.
    """

    RECIPIENT = "recipient@template.invalid"
    URL = "https://template.invalid/unsubscribe"
    MESSAGE_ID = "<message@template.invalid>"

    def __init__(self, rendered: RenderedIssue, header: list[str], slots: dict[str, int],
                 pieces: list[bytes], parts: list[tuple[str, str]], boundary: str,
                 max_line_length: int) -> None:
        self.rendered = rendered
        self.header = header
        """The message's header lines; those at `slots` are replaced per subscriber."""
        self.slots = slots
        """Line index of the To, Message-ID, List-Unsubscribe and Date headers."""
        self.pieces = pieces
        """The bytes before, between and after the parts' bodies."""
        self.parts = parts
        """(subtype, transfer encoding) of each part, in order."""
        self.boundary = boundary
        self.max_line_length = max_line_length

    @classmethod
    def make(cls, rendered: RenderedIssue, sender: str) -> MessageTemplate | None:
        from newsletter.render.email import build_message

        message = build_message(rendered, sender=sender, recipient=cls.RECIPIENT,
                                unsubscribe_url=cls.URL, message_id=cls.MESSAGE_ID)
        data = flatten(message)
        boundary, date = message.get_boundary(), message["Date"]
        parts = list(message.iter_parts()) if message.is_multipart() else []
        if not parts or boundary is None or date is None:
            return None
        pieces, position, shape = [], 0, []
        for part in parts:
            payload = part.get_payload()
            if (part.get_content_maintype() != "text" or part.is_multipart()
                    or part.get_content_charset() != "utf-8" or not isinstance(payload, str)):
                return None
            encoded = payload.replace("\n", "\r\n").encode("ascii")
            start = data.find(encoded, position)
            if start < 0:
                return None
            pieces.append(data[position:start])
            position = start + len(encoded)
            shape.append((part.get_content_subtype(), part.get("Content-Transfer-Encoding", "7bit")))
        pieces.append(data[position:])
        header, separator, rest = pieces[0].partition(b"\r\n\r\n")
        slots = {"to": f"To: {cls.RECIPIENT}", "id": f"Message-ID: {cls.MESSAGE_ID}",
                 "url": f"List-Unsubscribe: <{cls.URL}>", "date": f"Date: {date}"}
        lines = header.decode("ascii", "replace").split("\r\n")
        stand_ins = (cls.RECIPIENT, cls.MESSAGE_ID, cls.URL)
        if not separator or not header.isascii() \
                or any(lines.count(line) != 1 for line in slots.values()) \
                or any(value in line for line in lines if line not in slots.values()
                       for value in stand_ins) \
                or any(value.encode() in piece for piece in (rest, *pieces[1:])
                       for value in stand_ins):
            return None  # a stand-in where it would not be replaced: never send it
        template = cls(rendered, lines, {name: lines.index(line) for name, line in slots.items()},
                       [separator + rest, *pieces[1:]], shape, boundary,
                       message.policy.max_line_length)
        same = template.fill(cls.RECIPIENT, cls.URL, cls.MESSAGE_ID, date=str(date))
        return template if same == data else None

    def fill(self, recipient: str, unsubscribe_url: str, message_id: str, *,
             date: str | None = None) -> bytes | None:
        """One subscriber's message, or None when only `build_message` can make it."""
        from newsletter.render.email import personalise

        if not _SIMPLE_ADDRESS.fullmatch(recipient) or not _SIMPLE_URL.fullmatch(unsubscribe_url):
            return None
        html, text = personalise(self.rendered, unsubscribe_url)
        lines = list(self.header)
        for name, value in (("to", f"To: {recipient}"), ("id", f"Message-ID: {message_id}"),
                            ("url", f"List-Unsubscribe: <{unsubscribe_url}>"),
                            ("date", f"Date: {date or format_datetime(datetime.now(UTC))}")):
            lines[self.slots[name]] = value
        out = ["\r\n".join(lines).encode("ascii"), self.pieces[0]]
        for index, (subtype, encoding) in enumerate(self.parts):
            content = html if subtype == "html" else text if subtype == "plain" else None
            body = self._encode(content, encoding) if content is not None else None
            if body is None or self.boundary.encode("ascii") in body:
                return None
            out += [body, self.pieces[index + 1]]
        return b"".join(out)

    def _encode(self, content: str, encoding: str) -> bytes | None:
        """`content` as `email.contentmanager` encodes a text part, with CRLF line ends."""
        lines = content.encode("utf-8").splitlines()
        if encoding == "quoted-printable":
            normal = b"\n".join(lines) + b"\n"
            data = quoprimime.body_encode(normal.decode("latin-1"), self.max_line_length)
        elif encoding == "base64":
            embedded = b"\r\n".join(lines) + b"\r\n"
            step = self.max_line_length // 4 * 3
            data = "".join(binascii.b2a_base64(embedded[i:i + step]).decode("ascii")
                           for i in range(0, len(embedded), step))
        elif encoding == "7bit" and all(len(line) <= self.max_line_length and line.isascii()
                                        for line in lines):
            data = (b"\n".join(lines) + b"\n").decode("ascii")
        else:
            return None
        return data.replace("\n", "\r\n").encode("ascii")


def _password(smtp: SmtpSettings, environ: Mapping[str, str]) -> str | None:
    """The login password from `smtp.password_env`; None when no login is configured."""
    if not smtp.username:
        return None
    password = environ.get(smtp.password_env, "")
    if not password:
        raise SendError(msg(
            "smtp.username is {username!r} but the environment variable {name} "
            "(smtp.password_env) is not set; set it to the SMTP password",
            username=smtp.username, name=smtp.password_env))
    return password


class _Pacer:
    """At most `rate` messages a second, evenly spaced (a token bucket holding one)."""

    def __init__(self, rate: float, sleep: Callable[[float], None]) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.sleep = sleep
        self.next = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if now < self.next:
            self.sleep(self.next - now)
            now = self.next
        self.next = now + self.interval


class Attempt(NamedTuple):
    """How one try at handing a message over ended."""

    kind: str
    """`sent` (250 to the end of data), `refused` (a reply other than 250), `lost` (the
    connection failed before the end of data left) or `unconfirmed` (it failed after)."""
    code: int
    text: str
    after_end: bool = False
    """The reply answered the end of data (so the send log said 'sending')."""

    def describe(self) -> str:
        return f"{self.code} {self.text}" if self.code else self.text


_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


class SmtpSession:
    """One SMTP connection, opened on first use and reopened after it breaks.

    `smtplib.SMTP.sendmail` sends the message and its closing "." in one
    piece; here the body goes first, then `before_end` runs (the send log's
    commit), then the ".", so the log knows which side of the server's
    decision a crash fell on.
    """

    def __init__(self, smtp: SmtpSettings, password: str | None) -> None:
        self.smtp = smtp
        self.password = password
        self.client: smtplib.SMTP | None = None

    def attempt(self, sender: str, recipient: str, data: bytes, international: bool, *,
                before_end: Callable[[], None]) -> Attempt:
        """Try once to hand `data` (a flattened message) to the server for `recipient`."""
        end_sent = False
        try:
            client = self.client or self._connect()
            options = self._mail_options(client, data, international)
            if isinstance(options, Attempt):
                return options
            code, reply = client.mail(parseaddr(sender)[1], options)
            if code != 250:
                return self._refused(code, reply, "MAIL FROM")
            code, reply = client.rcpt(recipient)
            if code not in (250, 251):
                return self._refused(code, reply, "RCPT TO")
            client.putcmd("data")
            code, reply = client.getreply()
            if code != 354:
                return self._refused(code, reply, "DATA")
            body = _LEADING_DOT.sub(b"..", data)
            client.send(body if body.endswith(b"\r\n") else body + b"\r\n")
            before_end()
            end_sent = True
            client.send(b".\r\n")
            code, reply = client.getreply()
        except OSError as error:  # smtplib's errors are OSErrors too
            self.close(polite=False)
            reason = str(error) or type(error).__name__
            return Attempt("unconfirmed" if end_sent else "lost", 0, reason)
        except BaseException:
            self.close(polite=False)  # mid-DATA, a QUIT would only wait for the timeout
            raise
        if code == 250:
            return Attempt("sent", code, _text(reply))
        if code == 421:
            self.close()
        return Attempt("refused", code, _text(reply), after_end=True)

    def close(self, *, polite: bool = True) -> None:
        """Say QUIT (when `polite` and the server still listens); drop the connection."""
        client, self.client = self.client, None
        if client is None:
            return
        try:
            if polite:
                client.quit()
        except OSError:
            pass
        finally:
            client.close()

    def _connect(self) -> smtplib.SMTP:
        smtp = self.smtp
        context = ssl.create_default_context()
        try:
            if smtp.security == "tls":
                client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port,
                                                        timeout=smtp.timeout, context=context)
            else:
                client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
            client.ehlo()
            if smtp.security == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if smtp.username:
                client.login(smtp.username, self.password or "")
        except smtplib.SMTPAuthenticationError as error:
            raise SendError(msg(
                "{host}:{port} refused the login as {username!r} (smtp.username, and the "
                "password in the environment variable {name}): {code} {reply}",
                host=smtp.host, port=smtp.port, username=smtp.username, name=smtp.password_env,
                code=error.smtp_code, reply=_text(error.smtp_error))) from None
        except smtplib.SMTPNotSupportedError as error:
            raise SendError(msg("{host}:{port} does not offer {what} (smtp.security, "
                                "smtp.username): {reason}", host=smtp.host, port=smtp.port,
                                what="STARTTLS" if smtp.security == "starttls" else "AUTH",
                                reason=str(error))) from None
        except ssl.SSLCertVerificationError as error:
            raise SendError(msg("{host}:{port}: the server's certificate cannot be trusted: "
                                "{reason}", host=smtp.host, port=smtp.port,
                                reason=error.verify_message or str(error))) from None
        except smtplib.SMTPConnectError as error:
            if error.smtp_code >= 500:
                raise SendError(msg("{host}:{port} refuses connections: {code} {reply}",
                                    host=smtp.host, port=smtp.port, code=error.smtp_code,
                                    reply=_text(error.smtp_error))) from None
            raise
        # The "." goes out as its own small write after the body; without NODELAY, Nagle's
        # algorithm holds it until the body is acknowledged (up to 40 ms of delayed ACK).
        if client.sock is not None:
            client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client = client
        return client

    @staticmethod
    def _mail_options(client: smtplib.SMTP, data: bytes, international: bool
                      ) -> list[str] | Attempt:
        if international:
            if not client.has_extn("smtputf8"):
                return Attempt("refused", 0, "the address is internationalised but the server "
                                             "does not offer SMTPUTF8")
            return ["SMTPUTF8", "BODY=8BITMIME"]
        if not data.isascii() and client.has_extn("8bitmime"):
            return ["BODY=8BITMIME"]
        return []

    def _refused(self, code: int, reply: bytes, command: str) -> Attempt:
        """A refusal before the end of data: end the transaction so the next one starts clean."""
        if code == 421:
            self.close()
        elif self.client is not None:
            try:
                self.client.rset()
            except OSError:
                self.close(polite=False)
        return Attempt("refused", code, f"{_text(reply)} (after {command})")


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
