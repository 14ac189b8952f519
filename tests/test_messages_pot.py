"""locales/messages.pot holds every message of the code and templates (run `make messages`)."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from conftest import REPO

KEYWORDS = {"msg": None, "msg_plural": (1, 2), "_": None, "gettext": None,
            "ngettext": (1, 2)}


def extracted_ids() -> set[str]:
    with (REPO / "locales" / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = set()
    for folder in ("newsletter", "templates"):
        for _, _, message, _, _ in extract_from_dir(REPO / folder, method_map, options_map,
                                                    keywords=KEYWORDS):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_extraction_finds_code_and_template_messages() -> None:
    found = extracted_ids()
    assert {"Localised items", "Add to calendar", "Read the original"} <= found


def test_the_template_is_up_to_date_with_the_code() -> None:
    with (REPO / "locales" / "messages.pot").open("rb") as stream:
        template = {m.id[0] if isinstance(m.id, tuple) else m.id for m in read_po(stream) if m.id}
    code = extracted_ids()
    missing = sorted(code - template)
    assert not missing, f"run 'make messages' and translate: {missing[:10]}"
    unused = sorted(template - code)
    assert not unused, f"no longer in the code; run 'make messages': {unused[:10]}"
