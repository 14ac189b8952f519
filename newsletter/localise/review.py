"""An editor's review of one item in one language, and saving what they fix.

`side_by_side` reads: the source item and, per localisable field, its sentences
next to the translation readers get, each with where it came from, worked out
as the localise stage works it out (the editor's file wins for a whole field;
else, per sentence, editors' sentences in the memory, then the output of the
engine the stage would choose; else the sentence is missing). No engine is
called: a sentence the memory does not hold is shown as missing until the
next `newsletter localise`.

`save_translation` writes: one field into the editor's file `content/<id>.<lang>.md`
(refused with `EditConflict` when the file changed since the editor opened it),
each sentence the editor changed into the memory as an editor's sentence (so the
same sentence elsewhere gets it too), then localises that item for that language
and renders that language's feeds and pages again, so feeds, site and digest show
the change at once. Text is stored as typed; it is escaped when rendered.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from newsletter.config import Settings
from newsletter.content import ContentError, fingerprint, item_path, load_item
from newsletter.localise import stage
from newsletter.localise.engines.base import Engine
from newsletter.localise.human import HumanEdit, edit_version, read_human_edit, save_human_field
from newsletter.localise.memory import EngineVersion, TranslationMemory, segment_key
from newsletter.localise.segment import Template
from newsletter.localise.store import load_localised, localised_path
from newsletter.messages import MessageError, msg
from newsletter.model import (
    SLUG_PATTERN,
    LocalisedField,
    NewsItem,
    Provenance,
    localisable_texts,
    same_language,
)
from newsletter.render import build

LOCK_FILE = "review.lock"
"""In the data folder: one save at a time localises and renders."""


class UnknownItem(MessageError, LookupError):
    """No such item, field or configured language."""


class InvalidEdit(MessageError, ValueError):
    """An edit that cannot be saved as sent (the form does not fit the source)."""


@dataclass(frozen=True)
class SegmentReview:
    """One source sentence and what readers get for it."""

    source: str
    """The sentence as engines see it: inline markup as numbered marks `{1}...{/1}`, `{2/}`."""
    text: str
    """The translation readers get; the source sentence when there is none."""
    provenance: Provenance


@dataclass(frozen=True)
class FieldReview:
    """One localisable field: its sentences, or one block for an editor's whole text."""

    name: str
    """`title`, `lead`, `body`, `event.agenda[N]`, `links[N].title`."""
    source_text: str
    segments: tuple[SegmentReview, ...]
    """One per source sentence; a single one holding the whole field when `whole`."""
    whole: bool
    """The editor's text does not split into the source's sentences (or the field has no
    sentence to translate): shown and edited as one block."""
    localised: LocalisedField
    """The field as the localise stage makes it now."""
    published: LocalisedField | None
    """The field as feeds, site and digest show it (the localised store); None before the
    item was first localised."""
    edited: str | None
    """The editor's text for the field (their file), None when they have not written one."""

    @property
    def up_to_date(self) -> bool:
        """Whether readers already get `localised` (else the next localise run gives it)."""
        return self.published == self.localised

    @property
    def translatable(self) -> bool:
        """Whether the field has anything to translate (a time alone has not)."""
        return self.localised.provenance.kind != "source"


@dataclass(frozen=True)
class ItemReview:
    """An item and one language's translation of it, field by field."""

    item: NewsItem
    language: str
    fields: tuple[FieldReview, ...]
    version: str
    """`edit_version` of the editor's file: what a save is based on."""
    edit_path: Path
    """The editor's file (it may not exist yet)."""
    error: ContentError | None = None
    """The editor's file cannot be read: fields are shown without it, and nothing can be
    saved until it is fixed."""
    source_changed: bool = False
    """The source item changed after the editor's file was written."""

    @property
    def is_source(self) -> bool:
        """Whether `language` is the item's own: nothing to translate."""
        return same_language(self.item.language, self.language)

    def field(self, name: str) -> FieldReview:
        for found in self.fields:
            if found.name == name:
                return found
        raise UnknownItem(msg("the item {item} has no field {field} to translate",
                              item=self.item.id, field=name))


@dataclass(frozen=True)
class SaveResult:
    version: str
    """The editor's file's new version."""
    remembered: int
    """Sentences stored in the memory as the editor's."""
    forgotten: int
    """Editors' sentences removed from the memory (the field was emptied)."""
    localise: stage.LocaliseReport
    build: build.BuildReport


def side_by_side(settings: Settings, item_id: str, language: str, *,
                 engines: Mapping[str, Engine] | None = None,
                 memory: TranslationMemory | None = None) -> ItemReview:
    """`item_id`'s source and its `language` translation, sentence by sentence.

    `engines` and `memory` are the ones to use when the caller has them open already.
    Raises `UnknownItem` for an item or language that is not there, and `ContentError`
    when the source item cannot be read; a broken editor's file is reported in
    `ItemReview.error`.
    """
    item = _load_source(settings, item_id, language)
    texts = localisable_texts(item)
    templates = {name: stage.segment_field(name, text) for name, text in texts.items()}
    edit_path = item_path(settings.content_dir, item.id, language)
    version = edit_version(settings.content_dir, item.id, language)
    published = _published(settings, language, item.id)
    if same_language(item.language, language):
        fields = tuple(
            FieldReview(name, texts[name], tuple(SegmentReview(s, s, Provenance("source"))
                                                 for s in template.segments),
                        False, LocalisedField(texts[name], Provenance("source")),
                        published.get(name), None)
            for name, template in templates.items())
        return ItemReview(item, language, fields, version, edit_path)

    error: ContentError | None = None
    edit: HumanEdit | None = None
    try:
        edit = read_human_edit(settings.content_dir, item.id, language)
    except ContentError as problem:
        error = problem
    found = _remembered(settings, item, language, templates, engines, memory)
    fields = tuple(_field(name, texts[name], template, edit, found, published.get(name))
                   for name, template in templates.items())
    changed = bool(edit and edit.source_fingerprint
                   and edit.source_fingerprint != fingerprint(item))
    return ItemReview(item, language, fields, version, edit_path, error, changed)


def save_translation(settings: Settings, item_id: str, language: str, field_name: str,
                     segments_or_text: Sequence[str] | str, based_on: str | None, *,
                     today: date, engines: Mapping[str, Engine] | None = None) -> SaveResult:
    """Save an editor's translation of one field and publish it in that language.

    `segments_or_text` is one text per source sentence (as `side_by_side` lists them),
    or the whole field as one text (Markdown for the body). Empty text, or every
    sentence empty, removes the editor's translation of the field, so the machine's
    comes back. `based_on` is the `ItemReview.version` the editor saw: when the
    editor's file changed since, `EditConflict` is raised and nothing is written.
    Raises `UnknownItem`, `InvalidEdit`, and `ContentError` for an unreadable source
    item or editor's file.
    """
    # One set of engines and one memory for the whole save: reading the side by side,
    # storing the editor's sentences and localising the item again.
    engines = engines if engines is not None else stage.default_engines(settings)
    with contextlib.closing(TranslationMemory.open(stage.memory_path(settings))) as memory:
        return _save(settings, item_id, language, field_name, segments_or_text, based_on,
                     today, engines, memory)


def _save(settings: Settings, item_id: str, language: str, field_name: str,
          segments_or_text: Sequence[str] | str, based_on: str | None, today: date,
          engines: Mapping[str, Engine], memory: TranslationMemory) -> SaveResult:
    review = side_by_side(settings, item_id, language, engines=engines, memory=memory)
    if review.is_source:
        raise InvalidEdit(msg("{language} is the language the item is written in: there is "
                              "nothing to translate", language=language))
    if review.error is not None:
        raise review.error
    field = review.field(field_name)
    template = stage.segment_field(field_name, field.source_text)
    text, sentences = _edited_text(field_name, template, segments_or_text)
    item = review.item
    version = save_human_field(settings.content_dir, item, language, field_name, text,
                               based_on=based_on)
    remembered = forgotten = 0
    if text.strip():
        own = {source: target for source, target in sentences.items()
               if not _unchanged(field, source, target)}
        memory.store(item.language, language, stage.HUMAN, own)
        remembered = len(own)
    else:
        human = {s.source: s.text for s in field.segments
                 if s.provenance.kind == "human" and not field.whole}
        forgotten = memory.forget(item.language, language, stage.HUMAN, human)
    with _one_at_a_time(settings.data_dir):
        localised = stage.run(settings, [language], engines=engines, memory=memory,
                              item_ids=[item.id])
        built = build.run(settings, today=today, languages=[language])
    return SaveResult(version, remembered, forgotten, localised, built)


def _load_source(settings: Settings, item_id: str, language: str) -> NewsItem:
    if language not in settings.languages:
        raise UnknownItem(msg("{language} is not one of the site's languages",
                              language=language))
    path = item_path(settings.content_dir, item_id) if SLUG_PATTERN.fullmatch(item_id) else None
    if path is None or not path.is_file():
        raise UnknownItem(msg("there is no item {item}", item=item_id))
    return load_item(path)


def _published(settings: Settings, language: str, item_id: str) -> dict[str, LocalisedField]:
    try:
        return dict(load_localised(localised_path(settings.data_dir, language, item_id)).fields)
    except (FileNotFoundError, ContentError):  # not localised yet, or to be rewritten
        return {}


def _remembered(settings: Settings, item: NewsItem, language: str,
                templates: Mapping[str, Template], engines: Mapping[str, Engine] | None,
                memory: TranslationMemory | None) -> dict[str, tuple[str, Provenance]]:
    """The memory's translation of every sentence of the item, as the stage would pick it."""
    engines = engines if engines is not None else stage.default_engines(settings)
    chosen = stage.choose_engine(settings, item.language, language, engines, [])
    version: EngineVersion | None = chosen[1] if chosen else None
    segments = [s for t in templates.values() for s in t.segments]
    if memory is not None:
        return stage.remembered(memory, item.language, language, segments, version)
    with contextlib.closing(TranslationMemory.open(stage.memory_path(settings))) as own:
        return stage.remembered(own, item.language, language, segments, version)


def _field(name: str, source_text: str, template: Template, edit: HumanEdit | None,
           found: Mapping[str, tuple[str, Provenance]],
           published: LocalisedField | None) -> FieldReview:
    human = Provenance("human")
    if edit is not None and name in edit.fields:
        text = edit.fields[name]
        own = stage.segment_field(name, text).segments
        localised = LocalisedField(text, human)
        if template.segments and len(own) == len(template.segments):
            rows = tuple(SegmentReview(s, t, human)
                         for s, t in zip(template.segments, own, strict=True))
            return FieldReview(name, source_text, rows, False, localised, published, text)
        return FieldReview(name, source_text, (SegmentReview(source_text, text, human),), True,
                           localised, published, text)
    translations = [found.get(segment_key(s)) for s in template.segments]
    localised = stage.assemble_field(template, source_text, translations)
    if not template.segments:
        return FieldReview(name, source_text, (SegmentReview(source_text, source_text,
                                                             localised.provenance),),
                           True, localised, published, None)
    rows = tuple(SegmentReview(s, t[0], t[1]) if t else SegmentReview(s, s, Provenance("missing"))
                 for s, t in zip(template.segments, translations, strict=True))
    return FieldReview(name, source_text, rows, False, localised, published, None)


def _edited_text(field_name: str, template: Template, segments_or_text: Sequence[str] | str
                 ) -> tuple[str, dict[str, str]]:
    """The field's new text, and the editor's translation of each source sentence it gives
    (none when a whole text does not split into the source's sentences)."""
    if isinstance(segments_or_text, str):
        text = segments_or_text
        if not text.strip():
            return "", {}
        # A whole text whose sentences line up with the source's still teaches the memory.
        own = stage.segment_field(field_name, text).segments
        if len(own) != len(template.segments):
            return text, {}
        return text, dict(zip(template.segments, own, strict=True))
    given = [s.strip() for s in segments_or_text]
    if len(given) != len(template.segments):
        raise InvalidEdit(msg("the source text changed since this form was opened; reload the "
                              "page and apply your change again"))
    if not any(given):
        return "", {}
    empty = sum(1 for s in given if not s)
    if empty:
        raise InvalidEdit(msg("{count} sentences are empty: translate every sentence of the "
                              "field, or empty them all to go back to the machine translation",
                              count=empty))
    return template.fill(given), dict(zip(template.segments, given, strict=True))


def _unchanged(field: FieldReview, source: str, target: str) -> bool:
    """Whether `target` is the machine's sentence (or the untranslated source) the editor
    was shown for `source`: kept, not written, so it is not remembered as theirs."""
    shown = next((row for row in field.segments if row.source == source and not field.whole),
                 None)
    if shown is None:
        return segment_key(target) == segment_key(source)
    return shown.provenance.kind != "human" and segment_key(target) == segment_key(shown.text)


@contextlib.contextmanager
def _one_at_a_time(data_dir: Path) -> Iterator[None]:
    """Two saves at once would localise and render the same language together."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / LOCK_FILE).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
