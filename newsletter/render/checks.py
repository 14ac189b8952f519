"""What an editor should look at before approving one language of an issue: `issue_warnings`.

Each `IssueWarning` is a translatable `Message`, a severity, and the item (and
field) it is about when it is about one. For the issue in one language:

- the issue is empty, or its HTML is large enough for Gmail to clip;
- interface strings of the email (headings, labels, notices) that have no
  translation in that language, or no catalog at all (English never warns:
  the strings are English);
- per item, in the issue's order: what the importer and the localise stage
  flagged (`NewsItem.warnings`, `LocalisedItem.warnings`, such as a source
  changed after an editor's translation), fields not yet translated
  (provenance `missing`), machine-translated fields (for information), an
  event whose time zone was assumed, and an event without a publication date
  (for information: feeds date it by its start).

The strings the email uses are read from its templates and the modules that
word its subject, notices and event times, with Babel's extractors, the same
way `make messages` finds them; so the count is of what readers of this
email see in English, not of every string of the program.
"""

from __future__ import annotations

import gettext
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from babel.messages.extract import extract
from jinja2.ext import babel_extract

from newsletter.config import Settings
from newsletter.digest import DigestIssue
from newsletter.localise import formatting, notices
from newsletter.messages import Message, load_catalog, msg, msg_plural
from newsletter.model import base_language
from newsletter.render import email as render_email
from newsletter.render.email import CLIP_LIMIT, RenderedIssue
from newsletter.render.views import ItemView, load_views
from newsletter.resources import resource_dir

Severity = Literal["warning", "info"]
EMAIL_TEMPLATES = ("issue.mjml", "issue.txt")
"""The digest's templates in `templates/email/`."""
EMAIL_MODULES = (render_email, notices, formatting)
"""Modules whose `msg` strings end up in the digest (subject, notices, event times)."""

Msgid = str | tuple[str, str]
"""A singular msgid, or (singular, plural)."""


@dataclass(frozen=True)
class IssueWarning:
    """One thing to check in one language of an issue."""

    message: Message
    severity: Severity = "warning"
    """`warning`: check before approving; `info`: worth knowing, nothing wrong."""
    item_id: str | None = None
    """The item it is about; None for the issue as a whole."""
    field: str = ""
    """The item's field it is about (`title`, `event.start`, ...), when one."""


def issue_warnings(settings: Settings, issue: DigestIssue, language: str, *,
                   views: Sequence[ItemView] | None = None,
                   rendered: RenderedIssue | None = None) -> list[IssueWarning]:
    """What to check in `issue` for readers of `language`: the issue's own warnings first,
    then each item's, in the issue's order.

    `views` are the issue's item views in `language` when the caller already has them;
    `rendered` the issue as rendered, to check its size.
    """
    chosen = [*issue.news, *issue.events]
    if views is None:
        views = load_views(settings, language, chosen)
    by_id = {view.item.id: view for view in views}

    warnings: list[IssueWarning] = []
    if issue.empty:
        until = issue.last_day + timedelta(weeks=settings.digest_upcoming_weeks)
        warnings.append(IssueWarning(msg(
            "nothing new in {week}: no news published from {first} to {last} and no events "
            "starting from {first} to {until}", week=issue.week,
            first=issue.first_day.isoformat(), last=issue.last_day.isoformat(),
            until=until.isoformat())))
    if rendered is not None and len(rendered.html.encode("utf-8")) > CLIP_LIMIT:
        warnings.append(IssueWarning(msg(
            "the HTML is over {limit} KB in {languages}, so Gmail will clip it; send fewer items",
            limit=CLIP_LIMIT // 1024, languages=language)))
    warnings.extend(_interface_warnings(language))
    for item in chosen:
        view = by_id.get(item.id)
        if view is not None:
            warnings.extend(_item_warnings(view))
    return warnings


def _item_warnings(view: ItemView) -> list[IssueWarning]:
    item, localised = view.item, view.localised
    found = [IssueWarning(w.message, "warning", item.id, w.field)
             for w in (*item.warnings, *localised.warnings)]
    fields = view.fields_in_order()
    missing = [name for name, field in fields if field.provenance.kind == "missing"]
    if missing:
        found.append(IssueWarning(msg_plural(
            "{count} field not yet translated ({fields}); readers get the original text, "
            "with a notice", "{count} fields not yet translated ({fields}); readers get the "
            "original text, with a notice", len(missing), fields=_field_names(missing)),
            "warning", item.id))
    machine = [name for name, field in fields if field.provenance.kind == "machine"]
    if machine:
        found.append(IssueWarning(msg_plural(
            "{count} field machine-translated ({fields}); readers are told so",
            "{count} fields machine-translated ({fields}); readers are told so",
            len(machine), fields=_field_names(machine)), "info", item.id))
    if item.event is not None and item.event.timezone_assumed:
        found.append(IssueWarning(msg(
            "the page gave no time zone, so {zone} was assumed; check the event's times",
            zone=item.event.timezone), "warning", item.id, "event.timezone"))
    if item.published is None:
        # In an issue, only an event (placed by its start) can lack one.
        found.append(IssueWarning(msg(
            "no publication date; feeds and pages date it by the event's start"),
            "info", item.id, "published"))
    return found


def _field_names(names: Sequence[str]) -> str:
    """`title, body, event.agenda (8), links (5)`: rows of a list counted, not named."""
    counts: dict[str, int] = {}
    for name in names:
        key = name.split("[", 1)[0]
        counts[key] = counts.get(key, 0) + (1 if key != name else 0)
    return ", ".join(f"{key} ({count})" if count else key for key, count in counts.items())


def _interface_warnings(language: str) -> list[IssueWarning]:
    if base_language(language) == "en":
        return []  # the strings are English
    catalog = load_catalog(resource_dir("locales"), language)
    missing = untranslated_strings(catalog, email_msgids())
    if missing is None:
        return [IssueWarning(msg(
            "there is no interface translation for {language}: the email's headings, labels "
            "and notices are in English", language=language))]
    if missing:
        return [IssueWarning(msg_plural(
            "{count} interface string of the email has no translation for {language} and "
            "is in English", "{count} interface strings of the email have no translation "
            "for {language} and are in English", len(missing), language=language))]
    return []


def untranslated_strings(catalog: gettext.NullTranslations, msgids: Sequence[Msgid]
                         ) -> list[Msgid] | None:
    """Those of `msgids` that `catalog` does not translate; None when it is no catalog at
    all (`load_catalog` found none for the language)."""
    translated = getattr(catalog, "_catalog", None)  # what the .mo holds: translated entries
    if not isinstance(catalog, gettext.GNUTranslations) or translated is None:
        return None
    return [msgid for msgid in msgids
            if (msgid if isinstance(msgid, str) else (msgid[0], 0)) not in translated]


@lru_cache(maxsize=1)
def email_msgids() -> tuple[Msgid, ...]:
    """Every msgid the digest email can show, in the order found."""
    found: dict[Msgid, None] = {}
    folder = resource_dir("templates") / "email"
    for name in EMAIL_TEMPLATES:
        with (folder / name).open("rb") as stream:
            for _, message, _, _ in extract(babel_extract, stream,
                                            options={"extensions": "jinja2.ext.i18n"}):
                found[_msgid(message)] = None
    for module in EMAIL_MODULES:
        assert module.__file__ is not None
        with Path(module.__file__).open("rb") as stream:
            for _, message, _, _ in extract("python", stream,
                                            keywords={"msg": None, "msg_plural": (1, 2)}):
                found[_msgid(message)] = None
    return tuple(found)


def _msgid(message: str | tuple[str, ...]) -> Msgid:
    if isinstance(message, str):
        return message
    return (message[0], message[1])
