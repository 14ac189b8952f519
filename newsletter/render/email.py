"""The weekly digest as an email: HTML (MJML) and plain text, once per reader language.

`render_issue` turns a `DigestIssue` into a `RenderedIssue` for one language: Jinja2
writes MJML from `templates/email/issue.mjml` and mjml-python (the Rust port of MJML)
compiles it into the table-based, inline-styled HTML that Gmail, Outlook and Apple
Mail lay out alike; `templates/email/issue.txt` writes the plain-text part from the
same entries. Both show the same `ItemView`s as the site and feeds, so titles,
notices, dates and links agree with the pages the email links to.

A language is rendered once for all its subscribers: the unsubscribe link is the
marker `PERSONAL_UNSUBSCRIBE`, which `personalise` (and `build_message`) replaces per
subscriber. Rendering per subscriber would cost a compile each, and would make a
send depend on the renderer staying up for the whole list.

Gmail clips a message whose HTML passes about 102 KB and hides the rest behind a
link, footer and unsubscribe link included. The digest shows leads, never bodies;
when an issue is still too large, the leads are shortened and then left out, so the
footer is always seen.
"""

from __future__ import annotations

import email.policy
import html
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any

from babel.dates import format_interval
from babel.numbers import format_decimal
from jinja2 import Environment
from markupsafe import Markup
from mjml import mjml2html

from newsletter.config import Settings
from newsletter.content import atomic_write
from newsletter.digest import DigestIssue
from newsletter.localise.formatting import text_direction
from newsletter.messages import Message, load_catalog, msg, msg_plural
from newsletter.model import NewsItem
from newsletter.render.environment import template_environment
from newsletter.render.html import lang_attributes
from newsletter.render.views import ItemView, SiteLayout, field_attributes, load_views
from newsletter.resources import resource_dir

PERSONAL_UNSUBSCRIBE = "@@unsubscribe_url@@"
"""Stands for the subscriber's own unsubscribe URL in `RenderedIssue.html` and `.text`."""
CLIP_LIMIT = 102 * 1024
"""Bytes of HTML above which Gmail clips a message."""
SUMMARY_LIMITS = (700, 240, 0)
"""Characters of each entry's lead tried in turn until the HTML fits `CLIP_LIMIT`
(0: no lead). 700 keeps every seed lead whole and bounds a runaway one."""
EXAMPLE_UNSUBSCRIBE_URL = "https://example.org/unsubscribe?token=example"
"""The unsubscribe link of review files, which no subscriber receives."""
EXAMPLE_RECIPIENT = "reader@example.org"
UNFOLDED_HEADERS = frozenset({"list-unsubscribe", "list-unsubscribe-post", "list-id",
                              "message-id"})
"""Headers mail clients read as addresses: never RFC 2047-encoded (a long unsubscribe URL
would otherwise become `=?utf-8?q?=3Chttps...` and lose the client's button)."""


class _MessagePolicy(email.policy.EmailPolicy):
    """The SMTP policy, except that ASCII address-like headers are written as they are."""

    def fold(self, name: str, value: str) -> str:
        if name.lower() in UNFOLDED_HEADERS and str(value).isascii():
            return f"{name}: {value}{self.linesep}"
        return super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() in UNFOLDED_HEADERS and str(value).isascii():
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


MESSAGE_POLICY = _MessagePolicy(linesep="\r\n", cte_type="7bit")
"""CRLF lines, RFC 2047 headers (but see UNFOLDED_HEADERS), and 7-bit bodies
(quoted-printable or base64, whichever is shorter), so a message passes any relay, with
or without 8BITMIME; MJML's long lines are wrapped by the transfer encoding."""


@dataclass(frozen=True)
class RenderedIssue:
    """One week's digest for readers of one language, before personalisation."""

    week: str
    """ISO week, "2021-W24"."""
    language: str
    """Reader language (BCP 47)."""
    direction: str
    """`ltr` or `rtl`."""
    subject: str
    """Subject line, in the reader's language."""
    preheader: str
    """The summary inboxes show after the subject."""
    html: str
    """The compiled HTML; holds `PERSONAL_UNSUBSCRIBE` where the unsubscribe link goes."""
    text: str
    """The plain-text alternative; holds `PERSONAL_UNSUBSCRIBE` likewise."""


@dataclass(frozen=True)
class Entry:
    """One item of the email, with what the templates cannot work out themselves."""

    view: ItemView
    summary: str
    """The lead (else the body's first paragraph) as plain text, shortened to the limit."""
    title_attributes: Markup
    """`lang`/`dir` for a title still in the source language; empty otherwise."""
    summary_attributes: Markup


@dataclass(frozen=True)
class Group:
    """The news of one section, under the section's name as the source gives it."""

    section: str
    attributes: Markup
    """`lang`/`dir` of the section name, which is source text and never translated."""
    entries: tuple[Entry, ...]


def render_issue(settings: Settings, issue: DigestIssue, language: str,
                 items: Sequence[NewsItem] | None = None) -> RenderedIssue:
    """The digest of `issue` for readers of `language`.

    `items` is the content as loaded once for all languages (`load_items`); the issue's
    items are taken from it by id so every email shows the current text. By default the
    issue's own items are used.
    """
    catalog = load_catalog(resource_dir("locales"), language)
    current = {item.id: item for item in items} if items is not None else {}
    chosen = [current.get(item.id, item) for item in (*issue.news, *issue.events)]
    views = {view.item.id: view for view in load_views(settings, language, chosen)}
    number = issue.first_day.isocalendar().week
    values = {"site": settings.site_name, "number": format_decimal(number, locale=_babel(language)),
              "dates": format_interval(issue.first_day, issue.last_day, "yMMMMd",
                                       locale=_babel(language))}
    subject = msg("{site} — week {number}, {dates}", **values).render(catalog)
    token = f"unsubscribe-{secrets.token_hex(16)}"  # no item text can hold it
    context: dict[str, Any] = {
        "site_name": settings.site_name, "subject": subject,
        "heading": msg("Week {number}, {dates}", **values).render(catalog),
        "preheader": _preheader(issue).render(catalog),
        "index_url": SiteLayout(settings.base_url).index_url(language),
        "unsubscribe_url": token,
    }
    html_templates = template_environment(language, catalog, html=True)
    for limit in SUMMARY_LIMITS:
        context.update(_entries(issue, views, limit))
        compiled = _compile(html_templates, context)
        if len(compiled.encode("utf-8")) <= CLIP_LIMIT:
            break
    text = (template_environment(language, catalog, html=False)
            .get_template("email/issue.txt").render(context))
    return RenderedIssue(week=issue.week, language=language,
                         direction=text_direction(language), subject=subject,
                         preheader=context["preheader"],
                         html=_place_marker(compiled, token, html_entity=True),
                         text=_place_marker(text, token, html_entity=False))


def _place_marker(rendered: str, token: str, *, html_entity: bool) -> str:
    """`token` (where the templates put the unsubscribe link) becomes the marker, and a
    marker that came with an item's text is defused, so a title holding
    "@@unsubscribe_url@@" cannot make the sender put a subscriber's link in it."""
    defused = ("&#64;&#64;unsubscribe_url&#64;&#64;" if html_entity
               else PERSONAL_UNSUBSCRIBE.replace("@@", "@\u2060@"))
    return rendered.replace(PERSONAL_UNSUBSCRIBE, defused).replace(token, PERSONAL_UNSUBSCRIBE)


def _babel(language: str) -> str:
    return language.replace("-", "_")


def _compile(environment: Environment, context: dict[str, Any]) -> str:
    """MJML from the template, compiled. Comments go (they are only ours); Outlook's
    conditional comments stay. `fonts={}`: no web fonts, so opening the email makes no
    request to a font service."""
    source = environment.get_template("email/issue.mjml").render(context)
    return mjml2html(source, disable_comments=True, fonts={})


def _preheader(issue: DigestIssue) -> Message:
    if issue.empty:
        return msg("Nothing new this week.")
    news = msg_plural("{count} news item", "{count} news items", len(issue.news))
    events = msg_plural("{count} event", "{count} events", len(issue.events))
    if not issue.events:
        return news
    if not issue.news:
        return events
    return msg("{news} and {events}", news=news, events=events)


def _entries(issue: DigestIssue, views: dict[str, ItemView], limit: int) -> dict[str, Any]:
    """The template's `groups` (news by section, in the issue's order) and `events`."""
    groups: list[Group] = []
    for item in issue.news:
        entry = _entry(views[item.id], limit)
        if groups and groups[-1].section == item.section:
            last = groups[-1]
            groups[-1] = Group(last.section, last.attributes, (*last.entries, entry))
        else:
            attributes = lang_attributes(item.language, views[item.id].language)
            groups.append(Group(item.section, attributes, (entry,)))
    events = [_entry(views[item.id], limit) for item in issue.events]
    return {"groups": groups, "events": events}


def _entry(view: ItemView, limit: int) -> Entry:
    """The view with its summary: the lead, else the body's first paragraph (as the
    feeds' summary), where a paragraph ending in a colon introduced more than the email
    shows, so it ends with an ellipsis instead."""
    summary, field_name = view.summary()
    if field_name == "body" and summary.endswith(":"):
        summary = summary[:-1].rstrip() + "…"
    return Entry(view, _shorten(summary, limit), field_attributes(view, "title"),
                 field_attributes(view, field_name))


def _shorten(text: str, limit: int) -> str:
    """`text` cut at the last word that fits in `limit` characters, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,.;:–—-") + "…" if limit else ""


def personalise(rendered: RenderedIssue, unsubscribe_url: str) -> tuple[str, str]:
    """`(html, text)` of `rendered` with the subscriber's unsubscribe URL in place of
    the marker (HTML-escaped in the HTML, where it sits in an `href`)."""
    return (rendered.html.replace(PERSONAL_UNSUBSCRIBE, html.escape(unsubscribe_url, quote=True)),
            rendered.text.replace(PERSONAL_UNSUBSCRIBE, unsubscribe_url))


def build_message(rendered: RenderedIssue, *, sender: str, recipient: str,
                  unsubscribe_url: str, message_id: str) -> EmailMessage:
    """The email for one subscriber: multipart/alternative, plain text first (clients
    show the last part they can), both parts UTF-8.

    `List-Unsubscribe` with `List-Unsubscribe-Post` (RFC 8058) lets Gmail and Yahoo
    show their own unsubscribe button, which POSTs to `unsubscribe_url`; they require
    it of bulk senders. `List-Id` (RFC 2919) names the list after the sender's address
    so readers can filter on it.
    """
    html_part, text_part = personalise(rendered, unsubscribe_url)
    message = EmailMessage(policy=MESSAGE_POLICY)
    message["Subject"] = rendered.subject
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id
    message["List-Id"] = list_id(sender)
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text_part, subtype="plain", charset="utf-8")
    message.add_alternative(html_part, subtype="html", charset="utf-8")
    message["Content-Language"] = rendered.language  # set_content clears Content-* headers
    return message


def list_id(sender: str) -> str:
    """`Name <local.domain>` from the From address: a stable list identity that belongs
    to the sender's domain, as RFC 2919 asks."""
    name, address = parseaddr(sender)
    label = re.sub(r"[^A-Za-z0-9.-]+", "-", address.replace("@", ".")).strip(".-") or "digest"
    return f"{name} <{label}>" if name else f"<{label}>"


def write_review_files(rendered: RenderedIssue, folder: Path, *, sender: str) -> list[Path]:
    """`<week>.<lang>.html`, `.txt` and `.eml` in `folder`, as a subscriber would get them
    but with an example unsubscribe link, for editors to check before sending (a browser
    opens the HTML, a mail client the .eml)."""
    html_text, plain = personalise(rendered, EXAMPLE_UNSUBSCRIBE_URL)
    message = build_message(rendered, sender=sender, recipient=EXAMPLE_RECIPIENT,
                            unsubscribe_url=EXAMPLE_UNSUBSCRIBE_URL,
                            message_id=f"<{rendered.week}.{rendered.language}.review@example.org>")
    base = folder / f"{rendered.week}.{rendered.language}"
    outputs: list[tuple[Path, str | bytes]] = [
        (base.with_name(base.name + ".html"), html_text),
        (base.with_name(base.name + ".txt"), plain),
        (base.with_name(base.name + ".eml"), message.as_bytes()),
    ]
    for path, data in outputs:
        atomic_write(path, data, durable=False)
    return [path for path, _ in outputs]

