"""Signed links: confirming a subscription and unsubscribing without logging in.

A token is `<subscriber id>.<expiry>.<signature>`: the expiry is Unix
seconds, or `-` for a link that never expires (unsubscribe links in mail
already sent must keep working); the signature is HMAC-SHA256 with the
site's secret over the purpose and the rest, base64url without padding. So
a token names its subscriber openly but cannot be forged, edited, or used
for another purpose (a confirmation link never unsubscribes), and it is
compared in constant time. Every character is URL-safe.

The hmac module is all this needs; a dependency (itsdangerous) would add
nothing here. Changing the secret invalidates every link ever sent, so it
is set once per site, in the environment variable `subscribers.secret_env`
names, never in `newsletter.toml`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from newsletter.config import Settings
from newsletter.delivery.subscribers import SubscriberError
from newsletter.messages import Message, MessageError, msg

CONFIRM = "confirm"
UNSUBSCRIBE = "unsubscribe"
"""The purposes links are made for; a token made for one is invalid for the other."""
MIN_SECRET_LENGTH = 16
NEVER = "-"
"""The expiry field of a token that never expires."""
_TOKEN = re.compile(r"([1-9][0-9]{0,18})\.(-|[1-9][0-9]{0,11})\.([A-Za-z0-9_-]{43})")
_PURPOSE = re.compile(r"[a-z]+(?:-[a-z]+)*")


class TokenError(MessageError, ValueError):
    """A link that cannot be used; `message` says whether it is invalid or expired."""


class SecretError(SubscriberError):
    """The signing secret is missing or too short; says which variable to set."""

    def __init__(self, message: Message, variable: str) -> None:
        super().__init__(message, "secret")
        self.variable = variable


def load_secret(settings: Settings, environ: Mapping[str, str] = os.environ) -> bytes:
    """The secret from the environment variable `settings.subscribers_secret_env` names."""
    name = settings.subscribers_secret_env
    value = environ.get(name, "")
    how = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"  # a command: not translated
    if not value.strip():
        raise SecretError(msg(
            "the environment variable {name} (subscribers.secret_env) is not set; set it to a "
            "random secret of at least {minimum} characters, which signs confirmation and "
            "unsubscribe links, for example the output of: {how}",
            name=name, minimum=MIN_SECRET_LENGTH, how=how), name)
    if len(value) < MIN_SECRET_LENGTH:
        raise SecretError(msg(
            "the environment variable {name} (subscribers.secret_env) holds {length} "
            "characters; the secret that signs links needs at least {minimum}, for example "
            "the output of: {how}", name=name, length=len(value), minimum=MIN_SECRET_LENGTH,
            how=how), name)
    return value.encode("utf-8")


def make_token(secret: bytes, purpose: str, subscriber_id: int,
               expires: datetime | None = None) -> str:
    """A token for one subscriber and purpose, valid until `expires` (time-zone-aware) or
    for ever."""
    _check_purpose(purpose)
    if isinstance(subscriber_id, bool) or not isinstance(subscriber_id, int) \
            or subscriber_id < 1:
        raise ValueError(f"subscriber id must be a positive integer, got {subscriber_id!r}")
    expiry = NEVER if expires is None else str(int(_aware(expires, "expires").timestamp()))
    body = f"{subscriber_id}.{expiry}"
    return f"{body}.{_signature(secret, purpose, body)}"


def read_token(secret: bytes, purpose: str, token: str, now: datetime | None = None) -> int:
    """The subscriber id a valid, unexpired token for `purpose` was made for.

    Raises `TokenError`: "the link is invalid" for anything not signed with
    this secret for this purpose (including a cut-off or edited link), "the
    link has expired" only for a genuine token past its expiry.
    """
    _check_purpose(purpose)
    match = _TOKEN.fullmatch(token.strip()) if isinstance(token, str) else None
    if match is None:
        raise TokenError(msg("the link is invalid"))
    id_text, expiry, signature = match.groups()
    expected = _signature(secret, purpose, f"{id_text}.{expiry}")
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii")):
        raise TokenError(msg("the link is invalid"))
    moment = datetime.now(UTC) if now is None else _aware(now, "now")
    if expiry != NEVER and moment.timestamp() >= int(expiry):
        raise TokenError(msg("the link has expired"))
    return int(id_text)


def unsubscribe_url(settings: Settings, secret: bytes, subscriber_id: int) -> str:
    """The link every digest carries; it never expires."""
    return f"{settings.base_url}unsubscribe?token={make_token(secret, UNSUBSCRIBE, subscriber_id)}"


def confirm_url(settings: Settings, secret: bytes, subscriber_id: int, now: datetime) -> str:
    """The double opt-in link, valid for `settings.confirm_days` from `now`."""
    expires = _aware(now, "now") + timedelta(days=settings.confirm_days)
    return f"{settings.base_url}confirm?token={make_token(secret, CONFIRM, subscriber_id, expires)}"


def _signature(secret: bytes, purpose: str, body: str) -> str:
    # The purpose is signed but not written into the token, so it cannot be swapped.
    digest = hmac.new(secret, f"newsletter-link\0{purpose}\0{body}".encode("ascii"),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _check_purpose(purpose: str) -> None:
    if not isinstance(purpose, str) or not _PURPOSE.fullmatch(purpose):
        raise ValueError(f"a token purpose is a lower-case word such as {CONFIRM!r}, "
                         f"got {purpose!r}")


def _aware(moment: datetime, name: str) -> datetime:
    """Naive datetimes are refused: read as local time, a link would expire hours off."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a time-zone-aware datetime, got {moment!r}")
    return moment
