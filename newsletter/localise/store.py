"""Localised items on disk: `<data>/localised/<lang>/<id>.json`, one per item and language.

The localise stage writes them and the renderers read them; they are
generated output (rebuilt from content, human edits and the translation
memory), so they live in the data folder, not next to the content. JSON with
sorted keys keeps a rebuild with nothing changed byte-identical, and a file is
only rewritten when its text changes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from newsletter.content import ContentError, read_text, write_if_changed
from newsletter.messages import Message, msg
from newsletter.model import ItemWarning, LocalisedField, LocalisedItem, ModelError, Provenance

FORMAT_VERSION = 1


def localised_dir(data_dir: Path, language: str) -> Path:
    return data_dir / "localised" / language


def localised_path(data_dir: Path, language: str, item_id: str) -> Path:
    return localised_dir(data_dir, language) / f"{item_id}.json"


def dump_localised(item: LocalisedItem) -> str:
    data = {
        "format": FORMAT_VERSION,
        "id": item.id,
        "language": item.language,
        "source_language": item.source_language,
        "source_fingerprint": item.source_fingerprint,
        "fields": {
            name: {"text": field.text, **_provenance_dict(field.provenance)}
            for name, field in item.fields.items()
        },
        "warnings": [{"field": w.field, "message": w.message.text, "params": dict(w.message.params)}
                     for w in item.warnings],
    }
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1) + "\n"


def _provenance_dict(provenance: Provenance) -> dict[str, str]:
    data = {"provenance": provenance.kind}
    if provenance.kind == "machine":
        data |= {"engine": provenance.engine, "model_version": provenance.model_version}
    return data


def load_localised(path: Path) -> LocalisedItem:
    """Read one localised item, naming the file and field of any problem."""
    text = read_text(path)
    try:
        data: dict[str, Any] = json.loads(text)
        if data.get("format") != FORMAT_VERSION:
            raise ContentError(path, "format", msg("written by another version; run "
                                                   "'newsletter localise' again"))
        fields = {
            name: LocalisedField(value["text"], Provenance(value["provenance"],
                                                           value.get("engine", ""),
                                                           value.get("model_version", "")))
            for name, value in data["fields"].items()
        }
        warnings = tuple(ItemWarning(w["field"], Message(w["message"], w.get("params", {})))
                         for w in data.get("warnings", []))
        return LocalisedItem(id=data["id"], language=data["language"],
                             source_language=data["source_language"],
                             source_fingerprint=data["source_fingerprint"], fields=fields,
                             warnings=warnings)
    except ValueError as error:  # JSON errors and ModelError
        if isinstance(error, ContentError):
            raise
        field = error.field_name if isinstance(error, ModelError) else None
        raise ContentError(path, field, msg("not a localised item: {problem}",
                                            problem=str(error))) from None
    except (KeyError, TypeError, AttributeError) as error:
        raise ContentError(path, None, msg("not a localised item: {problem}",
                                           problem=repr(error))) from None


def save_localised(item: LocalisedItem, data_dir: Path) -> bool:
    """Write the item unless the file already holds exactly this; True when written."""
    path = localised_path(data_dir, item.language, item.id)
    return write_if_changed(path, dump_localised(item).encode("utf-8"))
