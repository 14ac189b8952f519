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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from newsletter.content import ContentError, item_path, read_text, split_front_matter
from newsletter.messages import msg
from newsletter.model import normalise_language

HUMAN_KEYS = frozenset({"language", "title", "lead", "agenda", "links", "source_fingerprint"})
LISTS = {"agenda": "event.agenda[{index}]", "links": "links[{index}].title"}
"""List fields of the editor's file, and the localised field each entry fills."""


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
