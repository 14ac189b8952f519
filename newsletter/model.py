"""The content model: news items, events and their parts, as plain dataclasses.

Every dataclass checks itself in `__post_init__` and raises `ModelError`
naming the offending field, so a bad value is caught where it is made, not
when a feed is written three stages later.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.core import Locale, UnknownLocaleError

from newsletter.messages import Message, msg

Kind = Literal["news", "event", "publication"]
KINDS: tuple[str, ...] = get_args(Kind)

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ID_LENGTH = 120
"""Ids are file names (`<id>.<lang>.md`); this keeps them well inside 255 bytes."""
AGENDA_TIME_PATTERN = re.compile(r"^\d{2}:\d{2}(?:-\d{2}:\d{2})?$")


class ModelError(ValueError):
    """A value that the content model does not accept."""

    def __init__(self, field_name: str, message: Message) -> None:
        super().__init__(f"field '{field_name}': {message}")
        self.field_name = field_name
        self.message = message


def normalise_language(code: str) -> str:
    """The BCP 47 form of a language code Babel knows (`pt_br` -> `pt-BR`).

    >>> normalise_language("el")
    'el'
    >>> normalise_language("pt_br")
    'pt-BR'
    """
    try:
        locale = Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError, AttributeError) as error:
        raise ValueError(f"{code!r} is not a language code Babel knows") from error
    parts = [locale.language]
    if locale.script:
        parts.append(locale.script)
    if locale.territory:
        parts.append(locale.territory)
    return "-".join(parts)


def check_language(field_name: str, code: str) -> None:
    try:
        normalised = normalise_language(code)
    except ValueError:
        normalised = None
    if normalised != code:
        raise ModelError(
            field_name,
            msg("{value!r} is not a language code (expected a code such as 'el' or 'pt-BR')",
                value=code),
        )


def check_timezone(field_name: str, name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ModelError(
            field_name,
            msg("{value!r} is not a time zone (expected an IANA name such as 'Europe/Brussels')",
                value=name),
        ) from None


@dataclass(frozen=True)
class Link:
    """A link the source page points to, kept next to the item."""

    url: str
    """Absolute http(s) URL."""
    title: str = ""
    """The link text as the page shows it."""
    rel: str = "related"
    """What the link is to the item: `related` (another item) or `more` (further reading)."""

    def __post_init__(self) -> None:
        if not re.match(r"^https?://[^\s/]+", self.url, re.IGNORECASE):
            raise ModelError("links.url", msg("{value!r} is not an http(s) URL", value=self.url))


@dataclass(frozen=True)
class AgendaRow:
    """One row of an event's programme."""

    time: str
    """Local time `HH:MM`, or a range `HH:MM-HH:MM`, in the event's time zone."""
    text: str
    """What happens then, as the page words it."""

    def __post_init__(self) -> None:
        if not AGENDA_TIME_PATTERN.fullmatch(self.time):
            raise ModelError(
                "event.agenda.time",
                msg("{value!r} is not a time (expected HH:MM or HH:MM-HH:MM)", value=self.time),
            )


@dataclass(frozen=True)
class Event:
    """When and where an event happens.

    `start`/`end` are time-zone-aware datetimes, or plain dates for all-day
    events; `None` when the page gives no usable value (the item then carries
    a warning saying why).
    """

    timezone: str
    """IANA zone the event's local times are in."""
    timezone_assumed: bool
    """True when the page stated no zone and the organisation's default was used."""
    start: datetime | date | None = None
    """First moment of the event."""
    end: datetime | date | None = None
    """Last moment of the event (for all-day events, the last day)."""
    online: bool = False
    """Whether people take part over the internet."""
    location: str = ""
    """Where it takes place, as the page words it; empty when online or unknown."""
    agenda: tuple[AgendaRow, ...] = ()
    """The programme, in page order."""
    organiser: str = ""
    """Who runs the event."""
    contact: str = ""
    """Whom to ask, as `Name <address>` when the page gives both."""

    @property
    def all_day(self) -> bool:
        """Whether the event has dates but no times."""
        return self.start is not None and not isinstance(self.start, datetime)

    def __post_init__(self) -> None:
        check_timezone("event.timezone", self.timezone)
        for name in ("start", "end"):
            value = getattr(self, name)
            if isinstance(value, datetime) and value.utcoffset() is None:
                raise ModelError(
                    f"event.{name}",
                    msg("{value!r} has no time zone (expected a UTC offset such as +02:00)",
                        value=value.isoformat()),
                )
        if self.start is not None and self.end is not None:
            if isinstance(self.start, datetime) != isinstance(self.end, datetime):
                raise ModelError(
                    "event.end",
                    msg("start and end must both be dates or both be date-times"),
                )
            if self.end < self.start:  # type: ignore[operator]
                raise ModelError(
                    "event.end",
                    msg("{end} is before the start {start}",
                        end=self.end.isoformat(), start=self.start.isoformat()),
                )


@dataclass(frozen=True)
class ItemWarning:
    """Something the importer could not take at face value, kept on the item for editors."""

    field: str
    """The item field it concerns (`published`, `event.start`, ...)."""
    message: Message
    """What is wrong, translatable."""

    def render(self, catalog: gettext.NullTranslations | None = None) -> str:
        return f"{self.field}: {self.message.render(catalog)}"


@dataclass(frozen=True)
class ImportRecord:
    """Where an item came from, so a re-import can tell an editor's change from ours."""

    page: str
    """File name of the imported page."""
    key: str
    """Stable identity of the item within its source (organisation, title, date)."""
    fingerprint: str
    """SHA-256 of the item as imported; differs from the file's content once edited."""


@dataclass(frozen=True)
class NewsItem:
    """One piece of news, event or publication, in its source language."""

    id: str
    """Stable slug; the file is `content/<id>.md`."""
    kind: Kind
    """`news`, `event` or `publication`."""
    title: str
    """Headline, plain text."""
    source_org: str
    """Short name of the publishing organisation (`CEMR`, `EUROCITIES`, `CoR`)."""
    language: str
    """Language of title, lead and body (BCP 47)."""
    source_org_name: str = ""
    """Full name of the organisation as the page gives it."""
    section: str = ""
    """The source's topic or section line."""
    source_url: str | None = None
    """Address of the original page, when known."""
    lead: str = ""
    """Standfirst, plain text."""
    body: str = ""
    """Main text, Markdown."""
    published: date | None = None
    """Publication date; None when the page gives none or an invalid one."""
    tags: tuple[str, ...] = ()
    """Free tags from the source."""
    page_language: str | None = None
    """Language of the page's interface (menus, banners), when it differs or is known."""
    links: tuple[Link, ...] = ()
    """Links the page lists next to the item."""
    event: Event | None = None
    """When and where, for kind `event`."""
    warnings: tuple[ItemWarning, ...] = ()
    """Problems found on import, for editors to check."""
    imported: ImportRecord | None = None
    """Import bookkeeping; None for items written by hand."""

    def __post_init__(self) -> None:
        if len(self.id) > MAX_ID_LENGTH:
            raise ModelError(
                "id", msg("the id is {length} characters long (at most {limit})",
                          length=len(self.id), limit=MAX_ID_LENGTH))
        if not SLUG_PATTERN.fullmatch(self.id):
            raise ModelError(
                "id",
                msg("{value!r} is not a slug (expected lower-case letters, digits and hyphens)",
                    value=self.id),
            )
        if self.kind not in KINDS:
            raise ModelError(
                "kind",
                msg("{value!r} is not a kind (expected one of {expected})",
                    value=self.kind, expected=", ".join(KINDS)),
            )
        if not self.title.strip():
            raise ModelError("title", msg("the title is empty"))
        if not self.source_org.strip():
            raise ModelError("source_org", msg("the source organisation is empty"))
        check_language("language", self.language)
        if self.page_language is not None:
            check_language("page_language", self.page_language)
        if isinstance(self.published, datetime):
            raise ModelError(
                "published",
                msg("{value!r} is a date-time (expected a date)", value=self.published.isoformat()),
            )
        if self.kind == "event" and self.event is None:
            raise ModelError("event", msg("an event item needs its event details"))



ProvenanceKind = Literal["source", "human", "machine", "missing"]
PROVENANCE_KINDS: tuple[str, ...] = get_args(ProvenanceKind)


@dataclass(frozen=True)
class Provenance:
    """Where the text of one localised field came from."""

    kind: ProvenanceKind
    """`source` (the original), `human` (an editor), `machine` (an engine), or `missing`
    (no translation yet: the source text stands in)."""
    engine: str = ""
    """For `machine`: the engine (`argos`, `apertium`)."""
    model_version: str = ""
    """For `machine`: the model version(s) the engine used."""

    def __post_init__(self) -> None:
        if self.kind not in PROVENANCE_KINDS:
            raise ModelError("provenance", msg("{value!r} is not a provenance (expected one of "
                                               "{expected})", value=self.kind,
                                               expected=", ".join(PROVENANCE_KINDS)))
        if (self.kind == "machine") != bool(self.engine):
            raise ModelError("provenance.engine",
                             msg("machine text names its engine; other text names none"))


@dataclass(frozen=True)
class LocalisedField:
    """One field of an item in one language, with where its text came from."""

    text: str
    provenance: Provenance


@dataclass(frozen=True)
class LocalisedItem:
    """An item's translatable fields in one reader language.

    Field names are `title`, `lead`, `body`, `event.agenda[N]` (the row's text) and
    `links[N].title`; everything
    else (dates, links, tags) is language-neutral and read from the source item.
    """

    id: str
    language: str
    """The reader's language."""
    source_language: str
    source_fingerprint: str
    """`fingerprint()` of the source item this was made from."""
    fields: Mapping[str, LocalisedField]
    warnings: tuple[ItemWarning, ...] = ()
    """Problems found while localising (a human edit older than its source)."""

    def text(self, name: str, default: str = "") -> str:
        found = self.fields.get(name)
        return found.text if found else default

    @property
    def machine_translated(self) -> bool:
        """Whether a reader sees machine text in it (and so must be told)."""
        return any(f.provenance.kind == "machine" for f in self.fields.values())

    @property
    def untranslated(self) -> bool:
        """Whether some field is shown in the source language for want of a translation."""
        return any(f.provenance.kind == "missing" for f in self.fields.values())


def base_language(code: str) -> str:
    """The language without script or region (`pt-BR` -> `pt`): models, catalogs and
    fallbacks are chosen per language."""
    return code.split("-", 1)[0]


def same_language(a: str, b: str) -> bool:
    """Whether readers of `a` read `b` as their own language (`pt` and `pt-BR` do)."""
    return base_language(a) == base_language(b)


def localisable_texts(item: NewsItem) -> dict[str, str]:
    """What a reader needs in their own language, by localised field name (`title`, `lead`,
    `body`, `event.agenda[N]`, `links[N].title`); blank fields are left out."""
    texts = {"title": item.title, "lead": item.lead, "body": item.body}
    for index, row in enumerate(item.event.agenda if item.event else ()):
        texts[f"event.agenda[{index}]"] = row.text
    for index, link in enumerate(item.links):
        texts[f"links[{index}].title"] = link.title
    return {name: text for name, text in texts.items() if text.strip()}


def untranslated(item: NewsItem, language: str, source_fingerprint: str) -> LocalisedItem:
    """`item` for readers of `language` with no translation: its own text, `source` when
    that is the reader's language, else `missing`."""
    provenance = Provenance("source" if same_language(item.language, language) else "missing")
    return LocalisedItem(item.id, language, item.language, source_fingerprint,
                         {name: LocalisedField(text, provenance)
                          for name, text in localisable_texts(item).items()})
