"""Double opt-in: a reader asks for the digest, confirms from their inbox, and leaves.

`request_subscription` never puts anyone on the list: it records the address as
`pending` (or leaves it as it is) and emails a link; only `confirm_subscription`,
reached from that link, makes a subscriber `confirmed`. So nobody can subscribe
someone else, and an address that unsubscribed stays unsubscribed until its owner
confirms again.

Every request for a valid address sends exactly one email, whatever the address's
state, so the page that answers it (and the time it takes) cannot tell a stranger
whether an address is subscribed: a new, pending or unsubscribed address gets a
confirmation link; an address that is already confirmed gets a short note saying
so, with its unsubscribe link, and is not changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Literal
from zoneinfo import ZoneInfo

from newsletter.config import Settings
from newsletter.delivery.sendlog import sender_domain
from newsletter.delivery.smtp import SendError, send_once
from newsletter.delivery.subscribers import (
    Subscriber,
    SubscriberStore,
    UnknownSubscriber,
    normalise_email,
    resolve_language,
)
from newsletter.delivery.tokens import (
    CONFIRM,
    UNSUBSCRIBE,
    TokenError,
    confirm_url,
    read_token,
    unsubscribe_url,
)
from newsletter.localise.formatting import format_published
from newsletter.localise.notices import language_name
from newsletter.messages import load_catalog, msg, msg_plural
from newsletter.render.email import MESSAGE_POLICY
from newsletter.render.environment import template_environment
from newsletter.render.views import SiteLayout
from newsletter.resources import resource_dir

EmailKind = Literal["confirm", "already-subscribed"]


@dataclass(frozen=True)
class SubscriptionRequest:
    """What `request_subscription` stored and sent."""

    subscriber: Subscriber
    """The subscriber as stored after the request."""
    sent: EmailKind
    """`confirm`: a confirmation link went out; `already-subscribed`: the address was
    confirmed already and was told so."""
    language: str
    """The configured language the request asked for, which the email was written in
    (a confirmed subscriber's stored language may differ)."""


def request_subscription(settings: Settings, secret: bytes, email: str, language: str,
                         now: datetime, *, password: str | None) -> SubscriptionRequest:
    """Record a wish to get the digest at `email` in `language`, and email its owner.

    A new or pending address is stored as `pending` in `language`; an unsubscribed
    one takes `language` but stays unsubscribed; either way it gets a link to
    `confirm_subscription`, valid for `settings.confirm_days` from `now`. A
    confirmed address is left as it is and gets a note instead (see the module's
    docstring). `password` is the SMTP login's (`smtp_password`).

    Raises `SubscriberError` (field `email` or `language`) for a value that cannot be
    stored, and `SendError` when the email cannot be handed to the SMTP server (a
    pending record then stays, inert, for the next try).
    """
    address = normalise_email(email)
    chosen = resolve_language(language, settings.languages)
    with SubscriberStore.open(settings.subscribers_db) as store:
        current = store.get(address)
        if current is not None and current.status == "confirmed":
            subscriber, kind = current, "already-subscribed"
        elif current is not None and current.status == "unsubscribed":
            # The language they ask in now, for the email, the confirmation page and the
            # digest once they confirm; the status only the confirmation link changes.
            subscriber, kind = store.add(address, chosen, status="unsubscribed"), "confirm"
        else:
            subscriber, kind = store.add(address, chosen), "confirm"
    # The email speaks the language asked for, which is the stored one except for a
    # confirmed subscriber, whose stored language is left alone.
    message = _message(settings, secret, subscriber, kind, chosen, now)
    _send(settings, password, subscriber.email, message)
    return SubscriptionRequest(subscriber, kind, chosen)


def confirmation_owner(settings: Settings, secret: bytes, token: str,
                       now: datetime) -> Subscriber:
    """The subscriber a confirmation link was made for, unchanged (the page that asks them
    to press the button). Raises `TokenError` like `confirm_subscription`."""
    subscriber_id = read_token(secret, CONFIRM, token, now)
    with SubscriberStore.open(settings.subscribers_db) as store:
        subscriber = store.by_id(subscriber_id)
    if subscriber is None:
        raise TokenError(msg("the link is invalid"))
    return subscriber


def confirm_subscription(settings: Settings, secret: bytes, token: str,
                         now: datetime) -> Subscriber:
    """The subscriber a confirmation link was made for, now `confirmed`.

    Confirming twice is harmless. Raises `TokenError` for a link that is not
    genuine, has expired, or names a subscriber erased since.
    """
    subscriber_id = read_token(secret, CONFIRM, token, now)
    with SubscriberStore.open(settings.subscribers_db) as store:
        try:
            return store.set_status(subscriber_id, "confirmed")
        except UnknownSubscriber:
            raise TokenError(msg("the link is invalid")) from None


def unsubscribe_link_owner(settings: Settings, secret: bytes, token: str) -> Subscriber | None:
    """The subscriber an unsubscribe link was made for, unchanged; None when they have
    been erased since. Raises `TokenError` for a link that is not genuine."""
    subscriber_id = read_token(secret, UNSUBSCRIBE, token)
    with SubscriberStore.open(settings.subscribers_db) as store:
        return store.by_id(subscriber_id)


def unsubscribe(settings: Settings, secret: bytes, token: str) -> Subscriber | None:
    """The subscriber an unsubscribe link was made for, now `unsubscribed`; None when they
    have been erased since (so they get nothing either way).

    Unsubscribing twice is harmless. Raises `TokenError` for a link that is not genuine.
    """
    subscriber_id = read_token(secret, UNSUBSCRIBE, token)
    with SubscriberStore.open(settings.subscribers_db) as store:
        try:
            return store.set_status(subscriber_id, "unsubscribed")
        except UnknownSubscriber:
            return None


def _message(settings: Settings, secret: bytes, subscriber: Subscriber, kind: EmailKind,
             language: str, now: datetime) -> EmailMessage:
    """The confirmation email (or the already-subscribed note) in `language`, plain text."""
    catalog = load_catalog(resource_dir("locales"), language)
    site = settings.site_name
    values: dict[str, object] = {
        "kind": kind, "site_name": site,
        "digest_language": language_name(subscriber.language, language),
        "index_url": SiteLayout(settings.base_url).index_url(language),
        "unsubscribe_url": unsubscribe_url(settings, secret, subscriber.id),
        "confirm_url": "", "validity": "",
    }
    if kind == "confirm":
        subject = msg("Confirm your subscription to {site}", site=site)
        # The last day the link works, as the site's readers count days.
        expires = (now + timedelta(days=settings.confirm_days)).astimezone(
            ZoneInfo(settings.default_timezone))
        values["confirm_url"] = confirm_url(settings, secret, subscriber.id, now)
        values["validity"] = msg_plural(
            "The link works for {count} day, until {date}.",
            "The link works for {count} days, until {date}.", settings.confirm_days,
            date=format_published(expires.date(), language)).render(catalog)
    else:
        subject = msg("You are already subscribed to {site}", site=site)
    text = (template_environment(language, catalog, html=False)
            .get_template("email/confirm.txt").render(values))

    message = EmailMessage(policy=MESSAGE_POLICY)
    message["Subject"] = subject.render(catalog)
    message["From"] = settings.smtp.sender
    message["To"] = subscriber.email
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender_domain(settings.smtp.sender))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to it
    message.set_content(text, subtype="plain", charset="utf-8")
    message["Content-Language"] = language  # set_content clears Content-* headers
    return message


def _send(settings: Settings, password: str | None, recipient: str,
          message: EmailMessage) -> None:
    """Hand `message` to the SMTP server once; `SendError` when it is not taken."""
    smtp = settings.smtp
    result = send_once(smtp, password, recipient, message)
    if result.delivered:
        return
    raise SendError(msg("the confirmation email could not be sent through {host}:{port} "
                        "(smtp.host, smtp.port): {reason}", host=smtp.host, port=smtp.port,
                        reason=result.describe()))
