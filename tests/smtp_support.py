"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, keeping what it accepts.

The server keeps every message it accepted with its envelope; a `Sink` can
also refuse one address (550), answer 451 or 421 once, or drop the
connection after a message's data.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class Received:
    sender: str
    recipients: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[return-value]


@dataclass
class Sink:
    """An SMTP handler that keeps what it accepts, with ways to misbehave."""

    received: list[Received] = field(default_factory=list)
    refuse: frozenset[str] = frozenset()
    """Addresses answered 550 at RCPT TO."""
    data_replies: list[str] = field(default_factory=list)
    """Replies to the next ends of data instead of accepting (`451 ...`, `421 ...`)."""
    drop_after: frozenset[str] = frozenset()
    """Recipients whose message is kept, after which the connection is cut unanswered."""
    on_rcpt: Callable[[int], None] | None = None
    """Called with the number of RCPT TO commands seen so far, before answering."""
    on_data: Callable[[int], None] | None = None
    """Called with the number of messages kept so far, before answering."""
    rcpts: int = 0
    port: int = 0
    """Where the server listens, once `running_sink` started it."""
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # type: ignore[no-untyped-def]
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
        self.rcpts += 1
        if self.on_rcpt:
            self.on_rcpt(self.rcpts)
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        if self.data_replies:
            return self.data_replies.pop(0)
        with self.lock:
            self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos),
                                          envelope.original_content or envelope.content))
            count = len(self.received)
        if self.on_data:
            self.on_data(count)
        if set(envelope.rcpt_tos) & self.drop_after:
            server.transport.abort()
        return "250 2.0.0 queued"

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def by_recipient(self) -> Counter[str]:
        with self.lock:
            return Counter(r for received in self.received for r in received.recipients)

    def messages(self) -> dict[str, Received]:
        with self.lock:
            return {received.recipients[0]: received for received in self.received}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_sink(handler: Sink | None = None) -> Iterator[Sink]:
    """`handler` (a new `Sink` by default) served on a free loopback port; its `port` set."""
    handler = handler or Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(),
                            enable_SMTPUTF8=True)
    controller.start()
    handler.port = controller.port
    try:
        yield handler
    finally:
        controller.stop()
