"""Editors' translations: `content/<id>.<lang>.md`, field by field.

The file has the shape of an item file, but holds only what the editor
translated; every field it has wins over the translation memory and the
engines, every field it lacks is translated as usual:

    ---
    language: el
    title: Εργαστήριο για την ενσωμάτωση
    lead: ...
    agenda: [null, "Καλωσόρισμα"]   # per agenda row; null keeps the machine text
    links: ["Παγκόσμια Ημέρα του Παιδιού"]   # per link title, likewise
    source_fingerprint: 3f2a...     # the source it was made from (optional)
    ---
    Body in Markdown (optional: an empty body is not an edit).

`source_fingerprint` lets the stage warn when the source changed after the edit.

`save_human_field` is how a tool (the editor preview) writes one field: it
keeps every other field, records the source version, and refuses to
overwrite a file someone else changed since the editor opened it.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsletter.content import (
    ContentError,
    atomic_write,
    decode_text,
    dump_front_matter,
    fingerprint,
    item_path,
    read_text,
    split_front_matter,
)
from newsletter.messages import MessageError, msg
from newsletter.model import NewsItem, normalise_language

HUMAN_KEYS = ("language", "title", "lead", "agenda", "links", "source_fingerprint")
"""The editor's file's fields, in the order they are written."""
LISTS = {"agenda": "event.agenda[{index}]", "links": "links[{index}].title"}
"""List fields of the editor's file, and the localised field each entry fills."""
LIST_FIELD = re.compile("|".join(
    "(?P<{key}>{pattern})".format(key=key, pattern=re.escape(name).replace(r"\{index\}", r"\d+"))
    for key, name in LISTS.items()))
"""A localised field name that is an entry of one of LISTS."""


def list_entry(field_name: str) -> tuple[str, int] | None:
    """(`agenda` or `links`, index) for a localised field name that is a list entry
    (`event.agenda[2]`, `links[0].title`), else None."""
    match = LIST_FIELD.fullmatch(field_name)
    if match is None:
        return None
    return match.lastgroup or "", int(re.sub(r"\D", "", field_name))


@dataclass(frozen=True)
class HumanEdit:
    """The fields an editor translated for one item and language."""

    path: Path
    language: str
    fields: Mapping[str, str]
    """By localised field name: `title`, `lead`, `body`, `event.agenda[N]`."""
    source_fingerprint: str | None = None


def read_human_edit(content_dir: Path, item_id: str, language: str) -> HumanEdit | None:
    """The editor's file for the item and language, None when there is none.

    Raises `ContentError` naming the file and field when it cannot be used.
    """
    path = item_path(content_dir, item_id, language)
    try:
        text = read_text(path)
    except FileNotFoundError:
        return None
    data, body = split_front_matter(text, path)
    for key in data:
        if key not in HUMAN_KEYS:
            raise ContentError(path, str(key), msg("not a field of a translation (expected "
                                                   "{expected})",
                                                   expected=", ".join(sorted(HUMAN_KEYS))))
    stated = data.get("language", language)
    try:
        same = isinstance(stated, str) and normalise_language(stated) == language
    except ValueError:
        same = False
    if not same:
        raise ContentError(path, "language", msg("{value!r} does not match the file name's "
                                                 "language {language}", value=stated,
                                                 language=language))
    fields: dict[str, str] = {}
    for key in ("title", "lead"):
        if key in data:
            value = data[key]
            if not isinstance(value, str) or not value.strip():
                raise ContentError(path, key, msg("expected non-empty text"))
            fields[key] = value.strip()
    for key, field_name in LISTS.items():
        entries = data.get(key, [])
        if not isinstance(entries, list):
            raise ContentError(path, key, msg("expected a list with one entry per row of the "
                                              "source (null where not translated)"))
        for index, entry in enumerate(entries):
            if entry is None:
                continue
            if not isinstance(entry, str) or not entry.strip():
                raise ContentError(path, f"{key}[{index}]", msg("expected text or null"))
            fields[field_name.format(index=index)] = entry.strip()
    if body.strip():
        fields["body"] = body
    source_fingerprint = data.get("source_fingerprint")
    if source_fingerprint is not None and not isinstance(source_fingerprint, str):
        raise ContentError(path, "source_fingerprint", msg("expected text"))
    return HumanEdit(path, language, fields, source_fingerprint)


class EditConflict(MessageError, ValueError):
    """The editor's file changed since the version the edit was based on."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(msg("{path}: someone else changed this translation since you opened "
                             "it; reload it and apply your change again", path=str(path)))


def edit_version(content_dir: Path, item_id: str, language: str) -> str:
    """A short hash of the editor's file as stored ('' when there is none), for `save_human_field`."""
    try:
        return _version(item_path(content_dir, item_id, language).read_bytes())
    except FileNotFoundError:
        return ""


def _version(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def save_human_field(content_dir: Path, item: NewsItem, language: str, field_name: str,
                     text: str, *, based_on: str | None) -> str:
    """Write one translated field into `content/<id>.<lang>.md`; returns the file's new version.

    `field_name` is a localised field name (`title`, `lead`, `body`, `event.agenda[N]`,
    `links[N].title`); empty `text` removes the editor's version of that field, so the
    machine's comes back. `based_on` is the `edit_version` the editor started from:
    when the file has changed since, `EditConflict` is raised and nothing is written
    (None skips the check). Check and write happen under a lock, so two editors saving
    at once cannot both pass the check.
    """
    path = item_path(content_dir, item.id, language)
    content_dir.mkdir(parents=True, exist_ok=True)
    with (content_dir / ".editors.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            stored = path.read_bytes()
        except FileNotFoundError:
            stored = None
        if based_on is not None and (_version(stored) if stored is not None else "") != based_on:
            raise EditConflict(path)
        data: dict[str, Any] = {}
        body = ""
        if stored is not None:
            data, body = split_front_matter(decode_text(stored, path), path)
        data["language"] = language
        value = text.strip()
        entry = list_entry(field_name)
        if field_name in ("title", "lead"):
            if value:
                data[field_name] = value
            else:
                data.pop(field_name, None)
        elif field_name == "body":
            body = text if value else ""
        elif entry:
            key, index = entry
            entries = list(data.get(key) or [])
            entries.extend([None] * (index + 1 - len(entries)))
            entries[index] = value or None
            while entries and entries[-1] is None:
                entries.pop()
            if entries:
                data[key] = entries
            else:
                data.pop(key, None)
        else:
            raise ContentError(path, field_name, msg("not a field an editor can translate"))
        data["source_fingerprint"] = fingerprint(item)
        written = dump_front_matter({key: data[key] for key in HUMAN_KEYS if key in data}, body)
        atomic_write(path, written)
        return _version(written.encode("utf-8"))
