"""The localise stage: every item in every configured language, with provenance.

Per item, field and reader language the text comes from, in this order:

1. the editor's file `content/<id>.<lang>.md` (field by field): `human`;
2. the translation memory, per sentence: sentences an editor fixed (engine
   `human`) first, then the chosen engine's own earlier output;
3. the engine, for the sentences the memory does not have: `machine`;
4. nothing: the source text stands in, marked `missing`.

All sentences one run needs for one language pair are collected first,
deduplicated and sent to the engine together (longest first, in chunks so
progress can be shown); the engine batches them further. Whatever comes back
is stored in the memory before anything is written, so a second run on the
same content makes no engine call at all. A field is `machine` if any of its
sentences is; `human` if all came from editors; `missing` if any had no
translation.

Output: `<data>/localised/<lang>/<id>.json` (see `store`), rewritten only when
it changes. An item whose source or editor file cannot be read keeps its
previous output and is reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.config import Settings
from newsletter.content import ContentError, fingerprint, load_item, source_item_paths
from newsletter.localise.engines.base import Engine, EngineError
from newsletter.localise.human import HumanEdit, read_human_edit
from newsletter.localise.memory import EngineVersion, TranslationMemory, segment_key
from newsletter.localise.segment import Template, segment_markdown, segment_plain
from newsletter.localise.store import localised_dir, save_localised
from newsletter.messages import Message, msg
from newsletter.model import (
    ItemWarning,
    LocalisedField,
    LocalisedItem,
    NewsItem,
    Provenance,
    localisable_texts,
    same_language,
    untranslated,
)

HUMAN = EngineVersion("human", "")
"""How editors' sentences are stored in the translation memory."""
ENGINE_CHUNK = 256
"""Segments per engine call: big enough to batch well, small enough to show progress."""
MEMORY_FILE = "memory.db"

ProgressCallback = Callable[[Message, int, int], None]
"""Called with what is being done, how much of it is done, and the total."""


@dataclass
class LanguageReport:
    """What one reader language got."""

    language: str
    items: int = 0
    fields: Counter[str] = field(default_factory=Counter)
    """Fields by provenance kind."""
    from_memory: int = 0
    """Distinct sentences found in the translation memory."""
    translated: int = 0
    """Distinct sentences the engines translated."""
    engine_calls: int = 0
    written: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class MissingPair:
    """A language pair no configured engine can translate."""

    source: str
    target: str
    items: int
    command: str
    """The command that would install a model for it."""


@dataclass
class LocaliseReport:
    languages: dict[str, LanguageReport] = field(default_factory=dict)
    missing: list[MissingPair] = field(default_factory=list)
    errors: list[ContentError | Message] = field(default_factory=list)
    warnings: list[tuple[Path, ItemWarning]] = field(default_factory=list)


@dataclass(frozen=True)
class _Source:
    """An item cut into sentences once, for every target language."""

    item: NewsItem
    path: Path
    fingerprint: str
    templates: Mapping[str, Template]
    """By field name; only fields with text."""


def memory_path(settings: Settings) -> Path:
    return settings.data_dir / MEMORY_FILE


def default_engines(settings: Settings) -> dict[str, Engine]:
    """The engines `settings` may name, built lazily on first use."""
    return _LazyEngines(settings)


class _LazyEngines(dict[str, Engine]):
    """Engine by name, constructed when first asked for (loading finds models on disk)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def __missing__(self, name: str) -> Engine:
        engine: Engine
        if name == "argos":
            from newsletter.localise.engines.argos import ArgosEngine

            engine = ArgosEngine(self.settings.argos_dir, self.settings.translation_threads)
        elif name == "apertium":
            from newsletter.localise.engines.apertium import ApertiumEngine

            engine = ApertiumEngine()
        else:
            raise KeyError(name)
        self[name] = engine
        return engine


def run(settings: Settings, languages: Iterable[str] | None = None, *,
        engines: Mapping[str, Engine] | None = None, memory: TranslationMemory | None = None,
        item_ids: Collection[str] | None = None,
        on_progress: ProgressCallback | None = None) -> LocaliseReport:
    """Localise every source item (or only those in `item_ids`) into `languages`
    (default: all configured)."""
    report = LocaliseReport()
    sources = _load_sources(settings.content_dir, report, item_ids)
    engines = engines if engines is not None else default_engines(settings)
    own_memory = memory is None
    memory = memory or TranslationMemory.open(memory_path(settings))
    try:
        for language in languages or settings.languages:
            report.languages[language] = _localise_language(
                settings, language, sources, engines, memory, report, on_progress)
        _remove_orphans(settings, report.languages)
    finally:
        if own_memory:
            memory.close()
    return report


def segment_field(name: str, text: str) -> Template:
    """A localised field cut into sentences: the body as Markdown, every other field as
    plain text."""
    return (segment_markdown if name == "body" else segment_plain)(text)


def _load_sources(content_dir: Path, report: LocaliseReport,
                  item_ids: Collection[str] | None) -> list[_Source]:
    sources = []
    for path in source_item_paths(content_dir):
        if item_ids is not None and path.stem not in item_ids:
            continue
        try:
            item = load_item(path)
        except ContentError as error:
            report.errors.append(error)
            continue
        templates = {name: segment_field(name, text)
                     for name, text in localisable_texts(item).items()}
        sources.append(_Source(item, path, fingerprint(item), templates))
    return sources


def _localise_language(settings: Settings, language: str, sources: list[_Source],
                       engines: Mapping[str, Engine], memory: TranslationMemory,
                       report: LocaliseReport, on_progress: ProgressCallback | None
                       ) -> LanguageReport:
    result = LanguageReport(language)
    edits: dict[str, HumanEdit | None] = {}
    by_source_language: dict[str, list[_Source]] = {}
    for source in sources:
        if same_language(source.item.language, language):
            continue
        try:
            edits[source.item.id] = read_human_edit(settings.content_dir, source.item.id, language)
        except ContentError as error:
            report.errors.append(error)
            continue
        by_source_language.setdefault(source.item.language, []).append(source)

    translations: dict[tuple[str, str], tuple[str, Provenance]] = {}
    """(source language, segment key) -> (translation, provenance of that sentence)."""
    for source_language, group in sorted(by_source_language.items()):
        needed = _needed_segments(group, edits)
        translations.update(
            ((source_language, key), value) for key, value in _translate_pair(
                settings, source_language, language, needed, engines, memory, result, report,
                len(group), on_progress).items())

    total = len(sources)
    for done, source in enumerate(sources, 1):
        if on_progress:
            on_progress(msg("Writing {language}", language=language), done, total)
        item = source.item
        if same_language(item.language, language):
            localised = untranslated(item, language, source.fingerprint)
        elif item.id not in edits:
            continue  # its editor file is broken: the previous output stays
        else:
            localised = _assemble(source, language, edits[item.id], translations)
        edit = edits.get(item.id)
        for warning in localised.warnings:  # all about the editor's file
            report.warnings.append((edit.path if edit else source.path, warning))
        result.items += 1
        result.fields.update(f.provenance.kind for f in localised.fields.values())
        if save_localised(localised, settings.data_dir):
            result.written += 1
        else:
            result.unchanged += 1
    return result


def _needed_segments(group: list[_Source], edits: Mapping[str, HumanEdit | None]) -> list[str]:
    """The distinct sentences of fields no editor translated, by key, longest first."""
    needed: dict[str, str] = {}
    for source in group:
        edit = edits.get(source.item.id)
        for name, template in source.templates.items():
            if edit and name in edit.fields:
                continue
            for segment in template.segments:
                needed.setdefault(segment_key(segment), segment)
    return sorted(needed.values(), key=len, reverse=True)


def _translate_pair(settings: Settings, source_language: str, language: str, segments: list[str],
                    engines: Mapping[str, Engine], memory: TranslationMemory,
                    result: LanguageReport, report: LocaliseReport, item_count: int,
                    on_progress: ProgressCallback | None) -> dict[str, tuple[str, Provenance]]:
    """Each segment's translation, by key: editors' memory, engine memory, then the engine."""
    chosen = choose_engine(settings, source_language, language, engines, report.errors)
    found = remembered(memory, source_language, language, segments,
                       chosen[1] if chosen else None)
    result.from_memory += len(found)
    to_translate = [s for s in segments if segment_key(s) not in found]
    if chosen is None:
        if to_translate:
            report.missing.append(MissingPair(
                source_language, language, item_count,
                f"newsletter models install {source_language} {language}"))
        return found
    engine, version = chosen
    provenance = Provenance("machine", engine.name, version.model_version)
    for start in range(0, len(to_translate), ENGINE_CHUNK):
        chunk = to_translate[start:start + ENGINE_CHUNK]
        if on_progress:
            on_progress(msg("Translating {source} to {target}", source=source_language,
                            target=language), start, len(to_translate))
        try:
            output = engine.translate(source_language, language, chunk)
        except EngineError as error:
            report.errors.append(error.message)
            break
        result.engine_calls += 1
        result.translated += len(chunk)
        memory.store(source_language, language, version, dict(zip(chunk, output, strict=True)))
        for segment, text in zip(chunk, output, strict=True):
            found[segment_key(segment)] = (text, provenance)
    return found


def remembered(memory: TranslationMemory, source_language: str, language: str,
               segments: Iterable[str], version: EngineVersion | None
               ) -> dict[str, tuple[str, Provenance]]:
    """What the memory holds for `segments`, by segment key, with each sentence's
    provenance: editors' sentences first, then the output of the engine `version` (None
    when no engine translates the pair)."""
    segments = list(segments)
    found: dict[str, tuple[str, Provenance]] = {}
    human = memory.lookup(source_language, language, HUMAN, segments)
    for segment, text in human.items():
        found[segment_key(segment)] = (text, Provenance("human"))
    if version is not None:
        provenance = Provenance("machine", version.engine, version.model_version)
        remaining = [s for s in segments if s not in human]
        for segment, text in memory.lookup(source_language, language, version,
                                           remaining).items():
            found[segment_key(segment)] = (text, provenance)
    return found


def choose_engine(settings: Settings, source: str, target: str, engines: Mapping[str, Engine],
                  errors: list[ContentError | Message]) -> tuple[Engine, EngineVersion] | None:
    """The first configured engine with a model for the pair; an engine that cannot even
    start (a broken package on disk) is added to `errors` and the next one tried."""
    for name in settings.engines_for(source, target):
        try:
            engine = engines[name]
            version = engine.model_version(source, target)
        except KeyError:
            continue
        except EngineError as error:
            if error.message not in errors:
                errors.append(error.message)
            continue
        if version is not None:
            return engine, EngineVersion(engine.name, version)
    return None


def _assemble(source: _Source, language: str, edit: HumanEdit | None,
              translations: Mapping[tuple[str, str], tuple[str, Provenance]]) -> LocalisedItem:
    item = source.item
    texts = localisable_texts(item)
    fields: dict[str, LocalisedField] = {}
    warnings: list[ItemWarning] = []
    for name, template in source.templates.items():
        if edit and name in edit.fields:
            fields[name] = LocalisedField(edit.fields[name], Provenance("human"))
            continue
        fields[name] = assemble_field(template, texts[name], [
            translations.get((item.language, segment_key(s))) for s in template.segments])
    if edit:
        for name in sorted(set(edit.fields) - set(source.templates)):
            warnings.append(ItemWarning(name, msg("the translation has this field but the "
                                                  "source item does not; it is ignored")))
        if edit.source_fingerprint and edit.source_fingerprint != source.fingerprint:
            warnings.append(ItemWarning("source_fingerprint", msg(
                "the source item changed after this translation was edited; check it")))
    return LocalisedItem(item.id, language, item.language, source.fingerprint, fields,
                         tuple(warnings))


def assemble_field(template: Template, source_text: str,
                   found: Sequence[tuple[str, Provenance] | None]) -> LocalisedField:
    """A field from its sentences' translations (None where there is none), with the
    field's provenance: `machine` if any sentence is, `missing` if any has no
    translation, `human` if all came from editors."""
    if not template.segments:
        return LocalisedField(source_text, Provenance("source"))
    if all(f is None for f in found):
        return LocalisedField(source_text, Provenance("missing"))
    filled = template.fill([f[0] if f else s for f, s in zip(found, template.segments,
                                                               strict=True)])
    kinds = [f[1] for f in found if f is not None]
    if len(kinds) < len(found):
        return LocalisedField(filled, Provenance("missing"))
    return LocalisedField(filled, next((p for p in kinds if p.kind == "machine"),
                                       Provenance("human")))


def _remove_orphans(settings: Settings, languages: Iterable[str]) -> None:
    """Drop localised files of items whose source file is gone (not merely unreadable)."""
    for language in languages:
        folder = localised_dir(settings.data_dir, language)
        if not folder.is_dir():
            continue
        for path in folder.glob("*.json"):
            if not (settings.content_dir / f"{path.stem}.md").exists():
                path.unlink()
