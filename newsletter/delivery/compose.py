"""Each subscriber's message from one template per language, in a fraction of a millisecond.

Building a MIME message with the email package costs about 3 ms; a send of 10,000 needs
better. `MessageTemplate` builds each language's message once with stand-in values,
checks that replacing them reproduces `build_message` byte for byte, and then only
substitutes the personal header lines and re-encodes the two body parts per subscriber.
When the check fails (or for non-ASCII addresses) it falls back to `build_message`.
"""

from __future__ import annotations

import binascii
import re
from datetime import UTC, datetime
from email import quoprimime
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import format_datetime
from io import BytesIO

from newsletter.render import email as render_email
from newsletter.render.email import RenderedIssue, personalise


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
        # Looked up in its module on each call, so a replaced `build_message` is the one
        # the template is checked against (the tests replace it).
        message = render_email.build_message(rendered, sender=sender, recipient=cls.RECIPIENT,
                                             unsubscribe_url=cls.URL,
                                             message_id=cls.MESSAGE_ID)
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
