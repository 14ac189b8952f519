"""One SMTP connection, reused: login, pacing, and an end of data sent on its own.

The message body and its final "." are written separately so the send log can commit
between them (see `sendlog`); replies are read back as `Attempt`s that say whether a
failure is temporary, permanent, or unconfirmed.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from email.utils import parseaddr
from typing import TYPE_CHECKING, NamedTuple

from newsletter.config import SmtpSettings
from newsletter.delivery.compose import flatten
from newsletter.messages import Message, MessageError, msg

if TYPE_CHECKING:
    from newsletter.delivery.send import SendReport


class SendError(MessageError):
    """The run cannot go on (no digest, no secret, no password, no server); `message`
    says why, `report` what was done before it stopped (None when nothing was)."""

    def __init__(self, message: Message, report: SendReport | None = None) -> None:
        super().__init__(message)
        self.report = report


def smtp_password(smtp: SmtpSettings, environ: Mapping[str, str]) -> str | None:
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


class Pacer:
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

    @property
    def delivered(self) -> bool:
        """Whether the message should be taken as delivered: accepted, or wholly handed
        over when the connection failed (asking again could only bring a second copy)."""
        return self.kind in ("sent", "unconfirmed")


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
        self.envelope_sender = parseaddr(smtp.sender)[1]
        """The bare address of `smtp.sender`, for MAIL FROM."""

    def attempt(self, recipient: str, data: bytes, international: bool, *,
                before_end: Callable[[], None]) -> Attempt:
        """Try once to hand `data` (a flattened message) from `smtp.sender` to the server
        for `recipient`."""
        end_sent = False
        try:
            client = self.client or self._connect()
            options = self._mail_options(client, data, international)
            if isinstance(options, Attempt):
                return options
            code, reply = client.mail(self.envelope_sender, options)
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


def send_once(smtp: SmtpSettings, password: str | None, recipient: str,
              message: EmailMessage) -> Attempt:
    """Hand one message to the server over a connection of its own, with one try and no
    log: for messages a person asked for just now (a confirmation, a test), who can ask
    again."""
    international = not recipient.isascii()
    session = SmtpSession(smtp, password)
    try:
        return session.attempt(recipient, flatten(message, international=international),
                               international, before_end=lambda: None)
    finally:
        session.close()

