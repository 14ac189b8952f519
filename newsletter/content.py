"""Items on disk: one Markdown file with YAML front matter per item.

`content/<id>.md` holds the item in its source language; an editor's version
in another language is `content/<id>.<lang>.md`. Paths are POSIX strings
relative to the content folder. Files are replaced atomically, so a crash
never leaves half an item behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from newsletter.messages import Message, msg
from newsletter.model import (
    AgendaRow,
    Event,
    ImportRecord,
    ItemWarning,
    Link,
    ModelError,
    NewsItem,
)

FRONT_MATTER_FENCE = "---\n"

# libyaml's emitter and parser are an order of magnitude faster than PyYAML's own.
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ContentError(ValueError):
    """A content file that cannot be read as an item; names the file and field."""

    def __init__(self, path: Path | str, field_name: str | None, message: Message) -> None:
        self.path = str(path)
        self.field_name = field_name
        self.message = message
        super().__init__(self.render())

    def render(self, catalog: Any = None) -> str:
        where = f"{self.path}: field '{self.field_name}'" if self.field_name else self.path
        return f"{where}: {self.message.render(catalog)}"


def item_path(content_dir: Path, item_id: str, language: str | None = None) -> Path:
    """Where an item (or its `language` version) lives."""
    name = f"{item_id}.{language}.md" if language else f"{item_id}.md"
    return content_dir / name


def item_to_dict(item: NewsItem) -> dict[str, Any]:
    """The item as plain JSON/YAML values, in a stable field order."""
    data: dict[str, Any] = {
        "id": item.id,
        "kind": item.kind,
        "title": item.title,
        "lead": item.lead,
        "source_org": item.source_org,
        "source_org_name": item.source_org_name,
        "section": item.section,
        "source_url": item.source_url,
        "published": item.published.isoformat() if item.published else None,
        "language": item.language,
        "page_language": item.page_language,
        "tags": list(item.tags),
        "links": [{"url": link.url, "title": link.title, "rel": link.rel} for link in item.links],
        "event": _event_to_dict(item.event) if item.event else None,
        "warnings": [
            {"field": w.field, "message": w.message.text, "params": dict(w.message.params)}
            for w in item.warnings
        ],
    }
    if item.imported:
        data["imported"] = {
            "page": item.imported.page,
            "key": item.imported.key,
            "fingerprint": item.imported.fingerprint,
        }
    data["body"] = item.body
    return data


def _event_to_dict(event: Event) -> dict[str, Any]:
    return {
        "start": event.start.isoformat() if event.start else None,
        "end": event.end.isoformat() if event.end else None,
        "all_day": event.all_day,
        "timezone": event.timezone,
        "timezone_assumed": event.timezone_assumed,
        "online": event.online,
        "location": event.location,
        "agenda": [{"time": row.time, "text": row.text} for row in event.agenda],
        "organiser": event.organiser,
        "contact": event.contact,
    }


def fingerprint(item: NewsItem) -> str:
    """SHA-256 of everything an editor could change (all but the import record)."""
    data = item_to_dict(item)
    data.pop("imported", None)
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class _Dumper(_BaseDumper):  # type: ignore[misc,valid-type]
    """The safe dumper, but text with Unicode line breaks is always double-quoted.

    PyYAML writes NEL (U+0085) raw inside plain and single-quoted scalars and
    reads it back as a space; in double quotes it is escaped (`\\N`) and kept.
    """


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = '"' if any(ch in data for ch in "\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_item(item: NewsItem) -> str:
    """The file text of an item: YAML front matter, then the Markdown body."""
    data = item_to_dict(item)
    body = data.pop("body")
    return dump_front_matter(data, body)


def dump_front_matter(data: Mapping[str, Any], body: str) -> str:
    """`data` as YAML front matter between `---` lines, then `body`."""
    front = yaml.dump(
        dict(data), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
        default_flow_style=False, width=10_000,
    )
    return f"{FRONT_MATTER_FENCE}{front}{FRONT_MATTER_FENCE}{body}"


def parse_item(text: str, path: Path | str) -> NewsItem:
    """Read the file text of an item; `path` only names the file in errors."""
    data, body = split_front_matter(text, path)
    return item_from_dict({**data, "body": body}, path)


def split_front_matter(text: str, path: Path | str) -> tuple[dict[str, Any], str]:
    """The YAML front matter (a mapping) and the Markdown after it."""
    if text.startswith("---\r\n"):  # saved by an editor with Windows line ends
        text = text.replace("\r\n", "\n")
    if not text.startswith(FRONT_MATTER_FENCE):
        raise ContentError(path, None, msg("the file does not start with '---' front matter"))
    end = text.find("\n" + FRONT_MATTER_FENCE, len(FRONT_MATTER_FENCE) - 1)
    if end == -1:
        raise ContentError(path, None, msg("the front matter has no closing '---' line"))
    front_text = text[len(FRONT_MATTER_FENCE) : end + 1]
    body = text[end + 1 + len(FRONT_MATTER_FENCE) :]
    try:
        data = yaml.load(front_text, Loader=YAML_LOADER)
    except (yaml.YAMLError, ValueError) as error:
        # ValueError: a value YAML resolves as a date or time but cannot build
        # (`published: 2024-02-31`).
        mark = getattr(error, "problem_mark", None)
        line = f" (line {mark.line + 2})" if mark is not None else ""
        raise ContentError(
            path, None, msg("the front matter is not valid YAML{line}: {problem}",
                            line=line, problem=getattr(error, "problem", None) or str(error))
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ContentError(path, None, msg("the front matter is not a mapping of fields"))
    return data, body


def item_from_dict(data: Mapping[str, Any], path: Path | str) -> NewsItem:
    """Build an item from plain values, naming the file and field of any problem."""
    reader = _FieldReader(data, path)
    try:
        event_data = data.get("event")
        item = NewsItem(
            id=reader.text("id"),
            kind=reader.text("kind"),  # type: ignore[arg-type]
            title=reader.text("title"),
            lead=reader.text("lead", ""),
            source_org=reader.text("source_org"),
            source_org_name=reader.text("source_org_name", ""),
            section=reader.text("section", ""),
            source_url=reader.optional_text("source_url"),
            published=reader.date("published"),
            language=reader.text("language"),
            page_language=reader.optional_text("page_language"),
            tags=tuple(reader.text_list("tags")),
            links=tuple(
                Link(url=reader.text("url", source=link, prefix="links"),
                     title=reader.text("title", "", source=link, prefix="links"),
                     rel=reader.text("rel", "related", source=link, prefix="links"))
                for link in reader.mapping_list("links")
            ),
            event=_event_from_reader(reader, event_data) if event_data is not None else None,
            warnings=tuple(
                ItemWarning(
                    field=reader.text("field", source=w, prefix="warnings"),
                    message=Message(reader.text("message", source=w, prefix="warnings"),
                                    dict(w.get("params") or {})),
                )
                for w in reader.mapping_list("warnings")
            ),
            imported=_import_record(reader, data.get("imported")),
            body=reader.text("body", ""),
        )
    except ModelError as error:
        raise ContentError(path, error.field_name, error.message) from None
    return item


def _import_record(reader: _FieldReader, value: Any) -> ImportRecord | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise reader.error("imported", msg("expected a mapping with page, key and fingerprint"))
    return ImportRecord(
        page=reader.text("page", source=value, prefix="imported"),
        key=reader.text("key", source=value, prefix="imported"),
        fingerprint=reader.text("fingerprint", source=value, prefix="imported"),
    )


def _event_from_reader(reader: _FieldReader, value: Any) -> Event:
    if not isinstance(value, dict):
        raise reader.error("event", msg("expected a mapping of event fields"))
    event = Event(
        start=reader.moment("start", value),
        end=reader.moment("end", value),
        timezone=reader.text("timezone", source=value, prefix="event"),
        timezone_assumed=reader.flag("timezone_assumed", value),
        online=reader.flag("online", value),
        location=reader.text("location", "", source=value, prefix="event"),
        agenda=tuple(
            AgendaRow(time=reader.text("time", source=row, prefix="event.agenda"),
                      text=reader.text("text", source=row, prefix="event.agenda"))
            for row in reader.mapping_list("agenda", value, prefix="event")
        ),
        organiser=reader.text("organiser", "", source=value, prefix="event"),
        contact=reader.text("contact", "", source=value, prefix="event"),
    )
    # The file stores offsets; give the moments back their named zone, so
    # arithmetic across a clock change stays right. The instants are unchanged.
    zone = ZoneInfo(event.timezone)
    return replace(
        event,
        start=event.start.astimezone(zone) if isinstance(event.start, datetime) else event.start,
        end=event.end.astimezone(zone) if isinstance(event.end, datetime) else event.end,
    )


_REQUIRED = object()


class _FieldReader:
    """Typed access to front-matter values with errors that name file and field."""

    def __init__(self, data: Mapping[str, Any], path: Path | str) -> None:
        self.data = data
        self.path = path

    def error(self, field_name: str, message: Message) -> ContentError:
        return ContentError(self.path, field_name, message)

    def _get(self, key: str, default: Any, source: Mapping[str, Any] | None, prefix: str) -> Any:
        source = self.data if source is None else source
        name = f"{prefix}.{key}" if prefix else key
        if not isinstance(source, Mapping):
            raise self.error(prefix or key, msg("expected a mapping of fields"))
        if key not in source or source[key] is None:
            if default is _REQUIRED:
                raise self.error(name, msg("this field is required"))
            return default
        return source[key]

    def text(self, key: str, default: Any = _REQUIRED, *, source: Any = None,
             prefix: str = "") -> str:
        value = self._get(key, default, source, prefix)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.error(f"{prefix}.{key}" if prefix else key,
                             msg("{value!r} is not text", value=value))
        return str(value)

    def optional_text(self, key: str) -> str | None:
        value = self._get(key, None, None, "")
        return None if value is None else self.text(key)

    def flag(self, key: str, source: Mapping[str, Any]) -> bool:
        value = self._get(key, False, source, "event")
        if not isinstance(value, bool):
            raise self.error(f"event.{key}", msg("{value!r} is not true or false", value=value))
        return value

    def text_list(self, key: str) -> list[str]:
        value = self._get(key, [], None, "")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, msg("expected a list of text"))
        return value

    def mapping_list(self, key: str, source: Any = None, prefix: str = "") -> Iterator[Any]:
        value = self._get(key, [], source, prefix)
        name = f"{prefix}.{key}" if prefix else key
        if not isinstance(value, list):
            raise self.error(name, msg("expected a list"))
        for index, entry in enumerate(value):
            if not isinstance(entry, dict):
                raise self.error(f"{name}[{index}]", msg("expected a mapping of fields"))
            yield entry

    def date(self, key: str) -> date | None:
        value = self._get(key, None, None, "")
        if value is None:
            return None
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise self.error(
                key, msg("{value!r} is not a date (expected YYYY-MM-DD)", value=str(value))
            ) from None

    def moment(self, key: str, source: Mapping[str, Any]) -> datetime | date | None:
        value = self._get(key, None, source, "event")
        if value is None or isinstance(value, date):
            return value
        text = str(value)
        try:
            return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
        except ValueError:
            raise self.error(
                f"event.{key}",
                msg("{value!r} is not a date or date-time (expected YYYY-MM-DD or "
                    "YYYY-MM-DDTHH:MM+HH:MM)", value=text),
            ) from None


def atomic_write(path: Path, text: str | bytes, *, durable: bool = True,
                 mode: int = 0o644) -> None:
    """Replace `path` with `text` so readers see the old file or the new one, never half.

    The file gets the permissions `mode`: by default readable by others (0644),
    like one written by an editor or served by a web server (a temporary file
    alone would be private); 0o600 for one only its owner may read. `durable`
    syncs the data to disk before the rename; output that a rebuild recreates
    (feeds, pages) skips it, since a sync per file dominates a large build.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".newsletter-", suffix=".tmp")
    try:
        data = text.encode("utf-8") if isinstance(text, str) else text
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            if durable:
                os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_if_changed(path: Path, data: bytes, *, durable: bool = False) -> bool:
    """Replace `path` with `data` unless it already holds exactly that; True when written.

    For generated output (localised items, feeds, pages): an unchanged file keeps its
    time stamp, and by default it is not synced, since a rebuild recreates it.
    """
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    atomic_write(path, data, durable=durable)
    return True


def save_item(item: NewsItem, content_dir: Path) -> Path:
    """Write the item to `content/<id>.md` atomically; returns the path."""
    path = item_path(content_dir, item.id)
    atomic_write(path, dump_item(item))
    return path


def read_text(path: Path) -> str:
    """A content file's text, exactly as stored (no newline translation)."""
    return decode_text(path.read_bytes(), path)


def decode_text(data: bytes, path: Path) -> str:
    """The UTF-8 text of a content file's bytes; `path` names the file in the error."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ContentError(path, None, msg("the file is not UTF-8 text (byte {position})",
                                           position=error.start)) from None


def load_item(path: Path) -> NewsItem:
    """Read one item file."""
    return parse_item(read_text(path), path)


def source_item_paths(content_dir: Path) -> list[Path]:
    """The item files in source language (`<id>.md`, not `<id>.<lang>.md`), sorted."""
    if not content_dir.is_dir():
        return []
    return sorted(p for p in content_dir.glob("*.md") if "." not in p.stem)
