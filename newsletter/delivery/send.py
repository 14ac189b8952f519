"""Sending one week's digest to every confirmed subscriber, each copy once.

The issue is rendered once per language; each subscriber's message only
adds their own unsubscribe link, Message-ID and address to it. Messages go
out over one SMTP connection, reused, reopened when the server drops it.
The send log (`sendlog.py`, whose docstring describes the exactly-once
design) is written around each message's end of data, so a run that is
killed, or a server that goes away, can be followed by a plain rerun. The
connection is `smtp.py`; each subscriber's message comes from `compose.py`.

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

Nothing is sent in a language an editor has not approved as it renders now
(`approvals.py`): the run checks every language still to be sent before the
first message and stops with `SendError` naming those that are not, unless
told to send them anyway (`unapproved`). `send_test` sends one language's
issue to one address, as a subscriber would get it, without the send log.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from email.utils import make_msgid
from pathlib import Path
from typing import NamedTuple

from newsletter.config import Settings
from newsletter.content import atomic_write
from newsletter.delivery.approvals import language_states
from newsletter.delivery.compose import MessageTemplate, flatten
from newsletter.delivery.sendlog import SendLog, message_id, sender_domain
from newsletter.delivery.smtp import Pacer, SendError, SmtpSession, send_once, smtp_password
from newsletter.delivery.subscribers import Subscriber, SubscriberError, SubscriberStore
from newsletter.delivery.tokens import load_secret, unsubscribe_url
from newsletter.digest import DigestError, DigestIssue, select_issue
from newsletter.messages import Message, load_catalog, msg
from newsletter.render import email as render_email
from newsletter.render.email import EXAMPLE_UNSUBSCRIBE_URL, RenderedIssue, render_issue
from newsletter.render.views import load_items
from newsletter.resources import resource_dir

BASE_DELAY = 1.0
"""Seconds before the first retry of a temporary failure; doubled for each next one."""

ProgressCallback = Callable[[int, int], None]
"""Called with (messages handled, messages to handle) after each one."""


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
               resend_unconfirmed: bool = False, unapproved: bool = False,
               environ: Mapping[str, str] = os.environ,
               on_progress: ProgressCallback | None = None, base_delay: float = BASE_DELAY,
               sleep: Callable[[float], None] = time.sleep) -> SendReport:
    """Send the digest of `week` to every confirmed subscriber who has not had it yet.

    `limit` caps the messages handled in this run (those already sent do
    not count); `dry_run_dir` writes each message as `<id>.<language>.eml`
    there and neither sends nor touches the send log; `force` sends an
    issue with no news and no events; `resend_unconfirmed` resends the
    copies an earlier run handed over without an answer (same Message-ID);
    `unapproved` also sends languages no editor approved as they render now
    (without it, such a language still to be sent stops the run before
    anything is sent; a dry run needs no approval). `base_delay` and `sleep`
    set the pauses between retries (tests shorten them). Raises `SendError`.
    """
    started = time.perf_counter()
    items = load_items(settings)
    try:
        issue = select_issue(settings, week, items)
    except DigestError as error:
        raise SendError(error.message) from None
    report = SendReport(issue=issue.week, dry_run_dir=dry_run_dir)
    if issue.empty and not force:
        report.empty = True
        return report
    try:
        secret = load_secret(settings, environ)
    except SubscriberError as error:
        raise SendError(error.message) from None
    password = None if dry_run_dir else smtp_password(settings.smtp, environ)
    with SubscriberStore.open(settings.subscribers_db) as store:
        subscribers = store.confirmed()  # by id
    languages = sorted({subscriber.language for subscriber in subscribers})
    domain = sender_domain(settings.smtp.sender)
    composer = _Composer(settings, secret,
                         {language: render_issue(settings, issue, language, items)
                          for language in languages})
    for language in languages:
        report.counts(language)
    report.render_seconds = time.perf_counter() - started

    started = time.perf_counter()
    if dry_run_dir is not None:
        chosen = subscribers[:limit] if limit is not None else subscribers
        report.held_back = len(subscribers) - len(chosen)
        for done, subscriber in enumerate(chosen, 1):
            mid = message_id(issue.week, subscriber.id, domain)
            atomic_write(dry_run_dir / f"{subscriber.id}.{subscriber.language}.eml",
                         composer.message(subscriber, mid), durable=False)
            report.counts(subscriber.language).sent += 1
            if on_progress:
                on_progress(done, len(chosen))
        report.send_seconds = time.perf_counter() - started
        return report

    try:
        with SendLog.open(settings.subscribers_db) as log:
            records = log.records(issue.week)
    except sqlite3.Error as error:
        raise SendError(_log_error(settings, error)) from None
    todo = []
    for subscriber in subscribers:
        record = records.get(subscriber.id)
        if record is not None and record.status == "sent":
            report.counts(subscriber.language).skipped += 1
        elif record is not None and record.status == "sending" and not resend_unconfirmed:
            report.counts(subscriber.language).unconfirmed += 1
            report.unconfirmed.append(subscriber.email)
        else:
            todo.append(subscriber)
    if not unapproved:
        _require_approval(settings, issue, {subscriber.language for subscriber in todo},
                          composer.rendered)
    report.held_back = max(0, len(todo) - limit) if limit is not None else 0
    todo = todo[:limit] if limit is not None else todo

    session = SmtpSession(settings.smtp, password)
    try:
        with SendLog.open(settings.subscribers_db) as log:
            delivery = _Delivery(settings, issue.week, session, log, report, base_delay, sleep)
            for done, subscriber in enumerate(todo, 1):
                mid = message_id(issue.week, subscriber.id, domain)
                delivery.deliver(subscriber, mid, composer.message(subscriber, mid))
                if on_progress:
                    on_progress(done, len(todo))
    except SendError as error:
        error.report = report
        raise
    except sqlite3.Error as error:
        raise SendError(_log_error(settings, error), report) from None
    finally:
        session.close()
        report.send_seconds = time.perf_counter() - started
    return report


def _log_error(settings: Settings, error: sqlite3.Error) -> Message:
    return msg("{file}: the send log cannot be written: {reason}; run the command again when "
               "it can", file=str(settings.subscribers_db), reason=str(error))


def _require_approval(settings: Settings, issue: DigestIssue, languages: set[str],
                      rendered: Mapping[str, RenderedIssue]) -> None:
    """`SendError` naming each of `languages` that no editor approved as it renders now."""
    states = language_states(settings, issue, sorted(languages), rendered=rendered)
    never = [language for language, found in states.items() if found.state == "not-approved"]
    changed = [language for language, found in states.items() if found.state == "changed"]
    if not never and not changed:
        return
    if never and changed:
        reasons = msg("{never} not approved, {changed} changed since it was approved",
                      never=", ".join(never), changed=", ".join(changed))
    elif never:
        reasons = msg("{languages} not approved", languages=", ".join(never))
    else:
        reasons = msg("{languages} changed since it was approved", languages=", ".join(changed))
    raise SendError(msg(
        "the digest of {week} is not approved in every language it would be sent in "
        "({reasons}); nothing was sent. An editor approves each language after reading it "
        "in the editor preview (newsletter serve): {pages}; --unapproved sends them anyway",
        week=issue.week, reasons=reasons,
        pages=", ".join(f"/editor/{issue.week}/{language}" for language in [*never, *changed])))


def send_test(settings: Settings, rendered: RenderedIssue, recipient: str, *,
              password: str | None) -> None:
    """Send `rendered` once to `recipient` as a subscriber would get it, its subject marked
    as a test and an example unsubscribe link in it; the send log and the subscribers are
    not touched. One try, no retries. Raises `SendError` when the server does not take it."""
    smtp = settings.smtp
    subject = msg("[Test] {subject}", subject=rendered.subject)
    marked = replace(rendered, subject=subject.render(
        load_catalog(resource_dir("locales"), rendered.language)))
    message = render_email.build_message(
        marked, sender=smtp.sender, recipient=recipient, unsubscribe_url=EXAMPLE_UNSUBSCRIBE_URL,
        message_id=make_msgid("test", domain=sender_domain(smtp.sender)))
    result = send_once(smtp, password, recipient, message)
    if result.delivered:
        return
    if result.kind == "refused":
        raise SendError(msg("{host}:{port} refused the test message to {address}: {reply}",
                            host=smtp.host, port=smtp.port, address=recipient,
                            reply=result.describe()))
    raise SendError(msg("cannot send through {host}:{port} (smtp.host, smtp.port): {reason}",
                        host=smtp.host, port=smtp.port, reason=result.text))


class _Composer:
    """Each subscriber's message from their language's rendered issue."""

    def __init__(self, settings: Settings, secret: bytes,
                 rendered: dict[str, RenderedIssue]) -> None:
        self.settings, self.secret, self.rendered = settings, secret, rendered
        self.templates = {language: MessageTemplate.make(issue, settings.smtp.sender)
                          for language, issue in rendered.items()}

    def message(self, subscriber: Subscriber, mid: str) -> bytes:
        """The flattened message with Message-ID `mid`: from the template, else built whole
        by `build_message` (looked up in its module on each call, as `MessageTemplate.make`
        does, so a replaced one is used)."""
        url = unsubscribe_url(self.settings, self.secret, subscriber.id)
        template = self.templates[subscriber.language]
        data = template.fill(subscriber.email, url, mid) if template else None
        if data is None:
            message = render_email.build_message(
                self.rendered[subscriber.language], sender=self.settings.smtp.sender,
                recipient=subscriber.email, unsubscribe_url=url, message_id=mid)
            data = flatten(message, international=not subscriber.email.isascii())
        return data


class _Delivery:
    """One message at a time through the session, with retries, pacing and the send log."""

    def __init__(self, settings: Settings, week: str, session: SmtpSession, log: SendLog,
                 report: SendReport, base_delay: float, sleep: Callable[[float], None]) -> None:
        self.settings, self.week, self.session, self.log = settings, week, session, log
        self.report, self.base_delay, self.sleep = report, base_delay, sleep
        self.pacer = Pacer(settings.smtp.rate_per_second, sleep)

    def deliver(self, subscriber: Subscriber, mid: str, data: bytes) -> None:
        """Hand `data`, the message with Message-ID `mid`, to the server for `subscriber`."""
        smtp, week = self.settings.smtp, self.week
        counts = self.report.counts(subscriber.language)
        for attempt in range(smtp.retries + 1):
            self.pacer.wait()
            result = self.session.attempt(
                subscriber.email, data, not subscriber.email.isascii(),
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
