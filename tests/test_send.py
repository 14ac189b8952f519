"""`newsletter send` against a real SMTP server (aiosmtpd on 127.0.0.1), on the seed pages.

The server keeps every message it accepted with its envelope; variants refuse
one address (550), answer 451 or 421 once, or drop the connection after a
message's data. The kill tests run the command in a child process, SIGKILL
it partway, run it again, and count what the server received per recipient.
"""

from __future__ import annotations

import email
import email.policy
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from click.testing import CliRunner
from conftest import copy_project, seed_project
from smtp_support import Sink, free_port

from newsletter.cli import cli
from newsletter.config import Settings, load_settings
from newsletter.delivery.approvals import ApprovalStore, issue_fingerprint
from newsletter.delivery.send import Failure, MessageTemplate, SendError, flatten, send_issue
from newsletter.delivery.sendlog import SendLog
from newsletter.delivery.subscribers import Subscriber, SubscriberStore
from newsletter.delivery.tokens import UNSUBSCRIBE, read_token
from newsletter.digest import select_issue
from newsletter.render.email import build_message, render_issue
from newsletter.render.views import load_items

WEEK = "2021-W24"
"""The week of the CoR workshop (18 June 2021)."""
SENDER = "Ψηφιακό Δελτίο <digest@news.example.org>"
SECRET = "test-secret-0123456789abcdef"
ENV = {"NEWSLETTER_SECRET": SECRET}
CONFIG = """
[site]
base_url = "https://news.example.org/"
languages = ["en", "el", "ar", "es"]

[translation]
engines = []

[smtp]
host = "127.0.0.1"
port = {port}
sender = "{sender}"
retries = 2
timeout = 5
{extra}
"""
READERS = (("maria@example.org", "el"), ("sam@example.org", "en"),
           ("layla@example.org", "ar"), ("lucia@example.org", "es"))
SUBJECT_WORDS = {"en": "Jun 14\u2009–\u200920, 2021", "el": "14–20 Ιουν 2021", "ar": "14–20 يونيو 2021",
                 "es": "14–20 de junio de 2021"}
"""The week's dates as each language writes them in the subject."""
EVENT_ID = "online-workshop-for-local-and-regional-authorities-setting-up-a-local"
EVENT_TITLE = ("Online Workshop for Local and Regional Authorities: Setting Up a Local "
               "Integration Strategy – Stakeholder Involvement and Ownership")
"""The week's one item: the CoR workshop."""


# -- the server --------------------------------------------------------------------------

# -- the project -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_project(tmp_path_factory.mktemp("seeded"),
                        CONFIG.format(port=25, sender=SENDER, extra=""))


def project(seeded: Path, tmp_path: Path, sink: Sink, extra: str = "",
            readers: tuple[tuple[str, str], ...] = READERS, approved: bool = True) -> Settings:
    """A copy of the seed project sending to `sink`, with `readers` confirmed and, when
    `approved`, the week approved in each of their languages."""
    folder = copy_project(seeded, tmp_path).project_dir
    (folder / "newsletter.toml").write_text(
        CONFIG.format(port=sink.port, sender=SENDER, extra=extra), "utf-8")
    settings = load_settings(folder)
    store = SubscriberStore.open(settings.subscribers_db)
    for address, language in readers:
        store.add(address, language, status="confirmed")
    store.add("pending@example.org", "en")
    store.add("gone@example.org", "en", status="unsubscribed")
    store.close()
    if approved:
        approve(settings, sorted({language for _, language in readers}))
    return settings


def approve(settings: Settings, languages: list[str], week: str = WEEK) -> None:
    """`languages` of `week` approved as they render now, as the editor preview does."""
    items = load_items(settings)
    issue = select_issue(settings, week, items)
    with ApprovalStore.open(settings.subscribers_db) as store:
        for language in languages:
            rendered = render_issue(settings, issue, language, items)
            store.approve(issue.week, language, issue_fingerprint(rendered), "Test editor",
                          datetime.now(UTC))


def subscribers(settings: Settings) -> dict[str, Subscriber]:
    store = SubscriberStore.open(settings.subscribers_db)
    try:
        return {subscriber.email: subscriber for subscriber in store.list()}
    finally:
        store.close()


def log_rows(settings: Settings) -> dict[int, tuple[str, int, str]]:
    """subscriber id -> (status, attempts, error) for the week."""
    with SendLog.open(settings.subscribers_db) as log:
        return {sid: (record.status, record.attempts, record.error)
                for sid, record in log.records(WEEK).items()}


def send(settings: Settings, **options: object):  # type: ignore[no-untyped-def]
    options.setdefault("environ", ENV)
    options.setdefault("base_delay", 0.01)
    return send_issue(settings, WEEK, **options)  # type: ignore[arg-type]


def run_cli(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--project", str(settings.project_dir), "send", *args],
                                env=ENV)
    return result.exit_code, result.output


# -- what arrives --------------------------------------------------------------------------

def test_each_confirmed_subscriber_gets_one_message_in_their_language(
        seeded: Path, tmp_path: Path, sink: Sink) -> None:
    settings = project(seeded, tmp_path, sink)
    started = datetime.now(UTC)
    report = send(settings)

    people = subscribers(settings)
    assert sink.by_recipient() == Counter({address: 1 for address, _ in READERS})
    assert {language: (counts.sent, counts.skipped, counts.failed, counts.unconfirmed)
            for language, counts in report.languages.items()} == {
        "ar": (1, 0, 0, 0), "el": (1, 0, 0, 0), "en": (1, 0, 0, 0), "es": (1, 0, 0, 0)}
    assert report.issue == WEEK and report.failures == [] and report.unconfirmed == []
    secret = SECRET.encode()
    for address, language in READERS:
        received = sink.messages()[address]
        message, subscriber = received.message, people[address]
        assert received.sender == "digest@news.example.org"
        assert message.get_content_type() == "multipart/alternative"
        assert [part.get_content_type() for part in message.iter_parts()] == [
            "text/plain", "text/html"]
        assert message["To"] == address and message["From"] == SENDER
        assert message["Content-Language"] == language
        assert SUBJECT_WORDS[language] in message["Subject"]
        assert message["Message-ID"] == f"<digest.{WEEK}.{subscriber.id}@news.example.org>"
        assert started - timedelta(seconds=5) <= parsedate_to_datetime(message["Date"]) \
            <= datetime.now(UTC) + timedelta(seconds=5)
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        # Written plainly, as RFC 2369 readers (Gmail's unsubscribe button) expect it.
        header = re.search(rb"^List-Unsubscribe: <(https://[^>\s]+)>\r$", received.data,
                           re.MULTILINE)
        assert header is not None
        url = header[1].decode()
        assert url.startswith("https://news.example.org/unsubscribe?token=")
        assert read_token(secret, UNSUBSCRIBE, url.split("token=")[1]) == subscriber.id
        text, html = (part.get_content() for part in message.iter_parts())
        assert url in text and url.replace("&", "&amp;") in html
        assert set(re.findall(r"unsubscribe\?token=([\w.-]+)", text + html)) == {
            url.split("token=")[1]}
        # The week's one item, untranslated (no engines): its English title in every language.
        assert f"* {EVENT_TITLE}\r\n  https://news.example.org/{language}/{EVENT_ID}.html\r\n" \
            in text
        assert f'href="https://news.example.org/{language}/{EVENT_ID}.html"' in html
        assert EVENT_TITLE in html
    assert {status for status, _, _ in log_rows(settings).values()} == {"sent"}


def test_messages_made_from_the_template_equal_build_message(
        seeded: Path, tmp_path: Path, sink: Sink) -> None:
    """Each subscriber's copy is made from one message per language; it must read exactly
    as the one `build_message` makes for them (only the MIME boundary and Date differ)."""
    settings = project(seeded, tmp_path, sink)
    issue = select_issue(settings, WEEK)
    url = "https://news.example.org/unsubscribe?token=7.-." + "A" * 43
    for language in settings.languages:
        rendered = render_issue(settings, issue, language)
        template = MessageTemplate.make(rendered, SENDER)
        assert template is not None, f"{language}: the template did not round-trip"
        made = template.fill("reader+tag@example.org", url, "<digest.2021-W24.7@example.org>")
        assert made is not None
        built = flatten(build_message(rendered, sender=SENDER, recipient="reader+tag@example.org",
                                      unsubscribe_url=url,
                                      message_id="<digest.2021-W24.7@example.org>"))

        def reading(data: bytes) -> tuple[list[tuple[str, str]], list[str]]:
            parsed = email.message_from_bytes(data, policy=email.policy.default)
            headers = [(name, str(value)) for name, value in parsed.items() if name != "Date"]
            headers = [(n, re.sub(r'boundary="[^"]+"', "", v)) for n, v in headers]
            return headers, [part.get_content() for part in parsed.iter_parts()]

        assert reading(made) == reading(built)
        # An address that needs SMTPUTF8 is left to build_message.
        assert template.fill("zoë@example.org", url, "<x@example.org>") is None


def test_a_template_that_would_not_be_fully_replaced_is_not_used(
        seeded: Path, tmp_path: Path, sink: Sink, monkeypatch: pytest.MonkeyPatch) -> None:
    """Were `build_message` to write a stand-in anywhere the template does not replace it,
    every reader would get it; the template is refused and each message built whole."""
    import newsletter.render.email as email_module

    original = email_module.build_message

    def build_with_extra_header(rendered, **values):  # type: ignore[no-untyped-def]
        message = original(rendered, **values)
        message["X-Original-To"] = values["recipient"]
        return message

    monkeypatch.setattr(email_module, "build_message", build_with_extra_header)
    settings = project(seeded, tmp_path, sink)
    issue = select_issue(settings, WEEK)
    assert MessageTemplate.make(render_issue(settings, issue, "en"), SENDER) is None
    send(settings)
    assert sink.by_recipient() == Counter({address: 1 for address, _ in READERS})
    for address, received in sink.messages().items():
        assert b"template.invalid" not in received.data
        assert received.message["X-Original-To"] == address


def test_an_internationalised_address_is_sent_with_smtputf8(
        seeded: Path, tmp_path: Path, sink: Sink) -> None:
    settings = project(seeded, tmp_path, sink, readers=(("zoë@example.org", "en"),))
    report = send(settings)
    assert report.languages["en"].sent == 1
    assert sink.messages()["zoë@example.org"].message["To"] == "zoë@example.org"


def test_a_second_run_sends_nothing(seeded: Path, tmp_path: Path, sink: Sink) -> None:
    settings = project(seeded, tmp_path, sink)
    send(settings)
    report = send(settings)
    assert sink.count() == len(READERS)
    assert {language: (counts.sent, counts.skipped) for language, counts
            in report.languages.items()} == {lang: (0, 1) for lang in ("ar", "el", "en", "es")}
    code, output = run_cli(settings, WEEK)
    assert code == 0 and sink.count() == len(READERS)
    assert re.search(r"el\s+0\s+1\s+0\s+0", output), output


# -- failures ----------------------------------------------------------------------------

def test_a_temporary_refusal_is_retried_and_delivered_once(
        seeded: Path, tmp_path: Path, sink: Sink) -> None:
    settings = project(seeded, tmp_path, sink)
    sink.data_replies = ["451 4.3.0 Try again later"]
    pauses: list[float] = []
    report = send(settings, base_delay=0.05, sleep=pauses.append)
    assert sink.by_recipient() == Counter({address: 1 for address, _ in READERS})
    assert report.failures == [] and pauses == [0.05]
    first = subscribers(settings)["maria@example.org"]
    assert log_rows(settings)[first.id] == ("sent", 2, "")


def test_temporary_refusals_past_the_retries_fail_that_subscriber(
        seeded: Path, tmp_path: Path, sink: Sink) -> None:
    settings = project(seeded, tmp_path, sink)
    sink.data_replies = ["451 4.3.0 Try again later"] * 3  # smtp.retries = 2: three tries
    pauses: list[float] = []
    report = send(settings, base_delay=0.05, sleep=pauses.append)
    assert pauses == [0.05, 0.1]
    assert report.failures == [Failure("maria@example.org", 451, "4.3.0 Try again later")]
    assert sink.by_recipient() == Counter({a: 1 for a, _ in READERS if a != "maria@example.org"})
    maria = subscribers(settings)["maria@example.org"]
    assert log_rows(settings)[maria.id] == ("failed", 3, "451 4.3.0 Try again later")
    send(settings)  # a rerun tries the failed message again
    assert sink.by_recipient()["maria@example.org"] == 1


def test_a_dropped_connection_is_reopened(seeded: Path, tmp_path: Path, sink: Sink) -> None:
    settings = project(seeded, tmp_path, sink)
    sink.data_replies = ["421 4.3.2 Shutting down"]
    report = send(settings)
    assert sink.by_recipient() == Counter({address: 1 for address, _ in READERS})
    assert report.failures == [] and sink.connections == 2


def test_a_permanent_refusal_fails_that_address_only(
        seeded: Path, tmp_path: Path, sink: Sink) -> None:
    readers = (*READERS, ("bad@example.org", "en"))
    settings = project(seeded, tmp_path, sink, readers=readers)
    sink.refuse = frozenset({"bad@example.org"})
    report = send(settings)
    assert report.failures == [Failure("bad@example.org", 550,
                                       "5.1.1 <bad@example.org>: no such mailbox (after RCPT TO)")]
    assert report.languages["en"].sent == 1 and report.languages["en"].failed == 1
    assert sink.by_recipient() == Counter({address: 1 for address, _ in READERS})
    bad = subscribers(settings)["bad@example.org"]
    assert log_rows(settings)[bad.id] == (
        "failed", 1, "550 5.1.1 <bad@example.org>: no such mailbox (after RCPT TO)")

    code, output = run_cli(settings, WEEK)  # tried again, refused again; nobody else resent
    assert code == 1
    assert "bad@example.org" in output and "550" in output and "no such mailbox" in output
    assert sink.by_recipient() == Counter({address: 1 for address, _ in READERS})


def test_an_unanswered_end_of_data_is_unconfirmed_and_not_resent(
        seeded: Path, tmp_path: Path, sink: Sink) -> None:
    """The server kept layla's message but the connection broke before its answer: SMTP
    cannot tell the client whether it was delivered. It is reported, never resent unasked;
    resent on request with the same Message-ID."""
    settings = project(seeded, tmp_path, sink)
    sink.drop_after = frozenset({"layla@example.org"})
    report = send(settings)
    assert report.unconfirmed == ["layla@example.org"] and report.failures == []
    assert report.languages["ar"].unconfirmed == 1
    assert sink.by_recipient() == Counter({address: 1 for address, _ in READERS})
    layla = subscribers(settings)["layla@example.org"]
    assert log_rows(settings)[layla.id][0] == "sending"

    sink.drop_after = frozenset()
    code, output = run_cli(settings, WEEK)
    assert code == 0 and "layla@example.org" in output and "--resend-unconfirmed" in output
    assert sink.by_recipient()["layla@example.org"] == 1

    report = send(settings, resend_unconfirmed=True)
    assert report.languages["ar"].sent == 1
    copies = [r.message["Message-ID"] for r in sink.received
              if r.recipients == ("layla@example.org",)]
    assert copies == [f"<digest.{WEEK}.{layla.id}@news.example.org>"] * 2
    assert log_rows(settings)[layla.id][0] == "sent"


def test_an_unreachable_server_stops_the_run(seeded: Path, tmp_path: Path, sink: Sink) -> None:
    settings = project(seeded, tmp_path, sink)
    (settings.project_dir / "newsletter.toml").write_text(
        CONFIG.format(port=free_port(), sender=SENDER, extra=""), "utf-8")
    settings = load_settings(settings.project_dir)
    with pytest.raises(SendError) as caught:
        send(settings)
    assert str(caught.value).startswith(
        f"cannot send through 127.0.0.1:{settings.smtp.port} (smtp.host, smtp.port): ")
    assert str(caught.value).endswith(
        "; 0 sent before it stopped; run the command again to send the rest")
    # Only the first reader was tried: one failed row, after every retry.
    rows = log_rows(settings)
    assert list(rows) == [subscribers(settings)["maria@example.org"].id]
    assert {status for status, _, _ in rows.values()} == {"failed"}


# -- login ------------------------------------------------------------------------------

def test_login_uses_the_password_from_the_environment(
        seeded: Path, tmp_path: Path, sink: Sink) -> None:
    logins: list[tuple[str, str]] = []

    def authenticate(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"s3cret", handled=False)

    controller = Controller(sink, hostname="127.0.0.1", port=free_port(),
                            authenticator=authenticate, auth_require_tls=False)
    controller.start()
    try:
        sink.port = controller.port
        settings = project(seeded, tmp_path, sink,
                           extra='username = "digest"\npassword_env = "DIGEST_SMTP_PASSWORD"')
        with pytest.raises(SendError) as caught:
            send(settings)
        assert str(caught.value) == (
            "smtp.username is 'digest' but the environment variable DIGEST_SMTP_PASSWORD "
            "(smtp.password_env) is not set; set it to the SMTP password")
        code, output = run_cli(settings, WEEK)
        assert code == 1 and "DIGEST_SMTP_PASSWORD (smtp.password_env) is not set" in output

        with pytest.raises(SendError) as caught:
            send(settings, environ={**ENV, "DIGEST_SMTP_PASSWORD": "wrong"})
        assert str(caught.value).startswith(
            f"127.0.0.1:{controller.port} refused the login as 'digest' (smtp.username, and "
            "the password in the environment variable DIGEST_SMTP_PASSWORD): 535")

        report = send(settings, environ={**ENV, "DIGEST_SMTP_PASSWORD": "s3cret"})
        assert sum(counts.sent for counts in report.languages.values()) == len(READERS)
        assert logins[-1] == ("digest", "s3cret")
    finally:
        controller.stop()


def test_no_secret_no_sending(seeded: Path, tmp_path: Path, sink: Sink) -> None:
    settings = project(seeded, tmp_path, sink)
    with pytest.raises(SendError) as caught:
        send(settings, environ={})
    assert str(caught.value).startswith("the environment variable NEWSLETTER_SECRET "
                                        "(subscribers.secret_env) is not set")
    assert sink.count() == 0


# -- options -----------------------------------------------------------------------------

def test_limit_sends_at_most_n_new_messages(seeded: Path, tmp_path: Path, sink: Sink) -> None:
    settings = project(seeded, tmp_path, sink)
    code, output = run_cli(settings, WEEK, "--limit", "3")
    assert code == 0 and sink.count() == 3
    assert "1 messages left for a later run (--limit)." in output
    code, output = run_cli(settings, WEEK, "--limit", "3")
    assert code == 0
    assert sink.by_recipient() == Counter({address: 1 for address, _ in READERS})


def test_dry_run_writes_messages_and_sends_nothing(
        seeded: Path, tmp_path: Path, sink: Sink) -> None:
    settings = project(seeded, tmp_path, sink, approved=False)  # a dry run needs no approval
    out = tmp_path / "out"
    code, output = run_cli(settings, WEEK, "--dry-run", str(out))
    assert code == 0, output
    assert sink.count() == 0 and sink.connections == 0
    people = subscribers(settings)
    assert sorted(path.name for path in out.iterdir()) == sorted(
        f"{people[address].id}.{language}.eml" for address, language in READERS)
    maria = people["maria@example.org"]
    message = email.message_from_bytes((out / f"{maria.id}.el.eml").read_bytes(),
                                       policy=email.policy.default)
    assert message["To"] == "maria@example.org" and message["Content-Language"] == "el"
    assert message.get_content_type() == "multipart/alternative"
    with sqlite3.connect(settings.subscribers_db) as connection:
        assert connection.execute(
            "SELECT name FROM sqlite_master WHERE name = 'sends'").fetchall() == []


def test_an_empty_week_is_reported_and_sent_only_with_force(
        seeded: Path, tmp_path: Path, sink: Sink) -> None:
    settings = project(seeded, tmp_path, sink)
    code, output = run_cli(settings, "2021-W01")
    assert code == 0 and sink.count() == 0
    assert "The digest of 2021-W01 has no news and no events; nothing was sent (--force sends " \
           "it anyway)." in " ".join(output.split())
    approve(settings, list(settings.languages), week="2021-W01")
    report = send_issue(settings, "2021-W01", force=True, environ=ENV)
    assert not report.empty and sink.count() == len(READERS)


def test_a_week_that_is_not_a_week_is_a_usage_error(
        seeded: Path, tmp_path: Path, sink: Sink) -> None:
    settings = project(seeded, tmp_path, sink)
    code, output = run_cli(settings, "2021-W54")
    assert code == 2
    assert "'2021-W54' is not a week of 2021 (expected a week from 2021-W01 to 2021-W52)" \
        in " ".join(output.split())


def test_the_rate_limit_spaces_messages(seeded: Path, tmp_path: Path, sink: Sink) -> None:
    settings = project(seeded, tmp_path, sink, extra="rate_per_second = 20")
    started = time.monotonic()
    send(settings)
    assert time.monotonic() - started >= (len(READERS) - 1) / 20


# -- approval ----------------------------------------------------------------------------

def test_a_language_no_editor_approved_stops_the_run_before_anything_is_sent(
        seeded: Path, tmp_path: Path, sink: Sink) -> None:
    settings = project(seeded, tmp_path, sink, approved=False)
    approve(settings, ["el", "en", "es"])
    with pytest.raises(SendError) as caught:
        send(settings)
    assert caught.value.report is None
    assert str(caught.value) == (
        "the digest of 2021-W24 is not approved in every language it would be sent in (ar not "
        "approved); nothing was sent. An editor approves each language after reading it in the "
        "editor preview (newsletter serve): /editor/2021-W24/ar; --unapproved sends them anyway")
    assert sink.count() == 0 and sink.connections == 0
    assert log_rows(settings) == {}

    code, output = run_cli(settings, WEEK)
    assert code == 1 and "/editor/2021-W24/ar" in " ".join(output.split())
    assert sink.count() == 0 and log_rows(settings) == {}


def test_approving_one_language_approves_no_other(
        seeded: Path, tmp_path: Path, sink: Sink) -> None:
    settings = project(seeded, tmp_path, sink, approved=False)
    approve(settings, ["el"])
    with pytest.raises(SendError, match=r"\(ar, en, es not approved\)"):
        send(settings)
    assert sink.count() == 0


def test_a_change_after_approval_unapproves_the_language(
        seeded: Path, tmp_path: Path, sink: Sink) -> None:
    """An edit to an item of the issue changes what every language would send: each is
    refused as changed since it was approved, until approved again."""
    settings = project(seeded, tmp_path, sink)
    path = settings.content_dir / f"{EVENT_ID}.md"
    path.write_text(path.read_text("utf-8").replace("title: 'Online Workshop",
                                                    "title: 'Online workshop"), "utf-8")
    with pytest.raises(SendError) as caught:
        send(settings)
    assert "(ar, el, en, es changed since it was approved)" in str(caught.value)
    assert sink.count() == 0 and log_rows(settings) == {}

    approve(settings, ["ar", "el", "en", "es"])
    send(settings)
    assert sink.by_recipient() == Counter({address: 1 for address, _ in READERS})
    text = next(sink.messages()["maria@example.org"].message.iter_parts()).get_content()
    assert "* Online workshop for Local" in text


def test_unapproved_languages_are_sent_when_asked(
        seeded: Path, tmp_path: Path, sink: Sink) -> None:
    settings = project(seeded, tmp_path, sink, approved=False)
    approve(settings, ["el"])
    code, output = run_cli(settings, WEEK, "--unapproved", "--limit", "2")
    assert code == 0, output
    assert sink.count() == 2
    report = send(settings, unapproved=True)
    assert sum(counts.sent for counts in report.languages.values()) == 2
    assert sink.by_recipient() == Counter({address: 1 for address, _ in READERS})


def test_a_language_with_nothing_left_to_send_needs_no_approval(
        seeded: Path, tmp_path: Path, sink: Sink) -> None:
    """Once every Greek reader has the issue, a later change to it does not stop a run that
    only has others left to send to."""
    settings = project(seeded, tmp_path, sink, readers=(("maria@example.org", "el"),))
    send(settings)
    store = SubscriberStore.open(settings.subscribers_db)
    store.add("sam@example.org", "en", status="confirmed")
    store.close()
    with pytest.raises(SendError, match=r"\(en not approved\)"):
        send(settings)
    approve(settings, ["en"])
    path = settings.content_dir / f"{EVENT_ID}.md"
    path.write_text(path.read_text("utf-8").replace("title: 'Online Workshop",
                                                    "title: 'Online workshop"), "utf-8")
    with pytest.raises(SendError, match=r"\(en changed since it was approved\)"):
        send(settings)
    approve(settings, ["en"])
    report = send(settings)
    assert report.languages["el"].skipped == 1 and report.languages["en"].sent == 1
    assert sink.by_recipient() == Counter({"maria@example.org": 1, "sam@example.org": 1})


# -- killed mid-run ----------------------------------------------------------------------

KILL_READERS = 60
KILL_AFTER = 20


@pytest.mark.parametrize("moment", ["before-end-of-data", "awaiting-answer", "any"])
def test_killed_and_run_again_every_subscriber_gets_exactly_one(
        seeded: Path, tmp_path: Path, sink: Sink, moment: str) -> None:
    """`before-end-of-data`: killed while the server reads message 20's envelope (the
    log has no 'sending' row: a rerun sends it). `awaiting-answer`: killed after the
    server kept message 20, before its 250 reached the client (the ambiguous moment: the
    row says 'sending', so the rerun reports it and does not resend). `any`: killed at an
    unsynchronised moment after 20 messages. Either way the server ends up with exactly
    one message per subscriber."""
    readers = tuple((f"reader{n:02d}@example.org", ("en", "el", "ar", "es")[n % 4])
                    for n in range(KILL_READERS))
    settings = project(seeded, tmp_path, sink, extra="rate_per_second = 25", readers=readers)
    environment = {**os.environ, **ENV, "LANG": "C"}
    command = [sys.executable, "-m", "newsletter", "--project", str(settings.project_dir),
               "send", WEEK]
    child = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)

    def kill(count: int) -> None:
        if count == KILL_AFTER:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()

    if moment == "before-end-of-data":
        sink.on_rcpt = kill
    elif moment == "awaiting-answer":
        sink.on_data = kill
    deadline = time.monotonic() + 60
    while sink.count() < KILL_AFTER and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    if moment == "any":
        time.sleep(random.uniform(0, 1 / 25))
        os.kill(child.pid, signal.SIGKILL)
    output = child.communicate(timeout=60)[0].decode()
    assert child.returncode == -signal.SIGKILL, output
    first_run = sink.count()
    assert KILL_AFTER - 1 <= first_run < KILL_READERS

    rerun = subprocess.run(command, env=environment, capture_output=True, text=True,
                           timeout=120, check=False)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert sink.by_recipient() == Counter({address: 1 for address, _ in readers})
    rows = log_rows(settings)
    statuses = Counter(status for status, _, _ in rows.values())
    assert len(rows) == KILL_READERS and statuses["sent"] >= KILL_READERS - 1
    if moment == "awaiting-answer":
        assert statuses["sending"] == 1
        assert "unconfirmed" in rerun.stderr
    if moment == "before-end-of-data":
        assert statuses == Counter({"sent": KILL_READERS})


def test_sending_rows_are_committed_before_the_end_of_data(
        seeded: Path, tmp_path: Path, sink: Sink) -> None:
    """What the kill tests rely on: while the server holds a message's data, the log
    already says 'sending' (in a committed transaction another connection can read)."""
    settings = project(seeded, tmp_path, sink)
    seen: list[set[str]] = []

    def look(count: int) -> None:
        with sqlite3.connect(settings.subscribers_db) as connection:
            seen.append({row[0] for row in connection.execute("SELECT status FROM sends")})

    sink.on_data = look
    send(settings)
    assert seen[0] == {"sending"} and all("sending" in statuses for statuses in seen)
