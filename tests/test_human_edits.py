"""Editors' files written field by field, with conflicts refused and the stage following."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import copy_project, seed_project

from newsletter.config import Settings
from newsletter.content import ContentError, fingerprint, item_path, load_item
from newsletter.localise import stage
from newsletter.localise.human import (
    EditConflict,
    edit_version,
    read_human_edit,
    save_human_field,
)
from newsletter.localise.store import load_localised, localised_path

CoR_ID = "online-workshop-for-local-and-regional-authorities-setting-up-a-local"
CONFIG = '[site]\nlanguages = ["en", "el"]\n[translation]\nengines = []\n'


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_project(tmp_path_factory.mktemp("imported"), CONFIG)


@pytest.fixture
def settings(imported: Path, tmp_path: Path) -> Settings:
    return copy_project(imported, tmp_path)


def test_fields_are_saved_one_by_one_and_the_others_kept(settings: Settings) -> None:
    item = load_item(item_path(settings.content_dir, CoR_ID))
    content = settings.content_dir
    first = save_human_field(content, item, "el", "title", "Εργαστήριο", based_on="")
    second = save_human_field(content, item, "el", "event.agenda[2]", "Πρώτη συνεδρία",
                              based_on=first)
    version = save_human_field(content, item, "el", "body", "Κείμενο.\n", based_on=second)
    stored = item_path(content, CoR_ID, "el").read_bytes()
    assert len({first, second, version}) == 3
    assert version == hashlib.sha256(stored).hexdigest()[:16] == edit_version(content, CoR_ID, "el")
    edit = read_human_edit(content, CoR_ID, "el")
    assert edit is not None
    assert dict(edit.fields) == {"title": "Εργαστήριο", "event.agenda[2]": "Πρώτη συνεδρία",
                                 "body": "Κείμενο.\n"}
    assert edit.source_fingerprint == fingerprint(item)

    save_human_field(content, item, "el", "title", "  ", based_on=None)
    edit = read_human_edit(content, CoR_ID, "el")
    assert edit is not None and "title" not in edit.fields and "body" in edit.fields

    stage.run(settings, ["el"], engines={})
    localised = load_localised(localised_path(settings.data_dir, "el", CoR_ID))
    assert localised.fields["event.agenda[2]"].provenance.kind == "human"
    assert localised.text("body") == "Κείμενο.\n"
    assert localised.fields["title"].provenance.kind == "missing"


def test_a_stale_version_is_a_conflict_and_writes_nothing(settings: Settings) -> None:
    item = load_item(item_path(settings.content_dir, CoR_ID))
    content = settings.content_dir
    opened = edit_version(content, CoR_ID, "el")
    save_human_field(content, item, "el", "title", "Πρώτος", based_on=opened)
    before = item_path(content, CoR_ID, "el").read_bytes()
    with pytest.raises(EditConflict) as conflict:
        save_human_field(content, item, "el", "title", "Δεύτερος", based_on=opened)
    assert "someone else changed this translation" in str(conflict.value)
    assert item_path(content, CoR_ID, "el").read_bytes() == before


def test_an_unknown_field_is_refused(settings: Settings) -> None:
    item = load_item(item_path(settings.content_dir, CoR_ID))
    with pytest.raises(ContentError) as error:
        save_human_field(settings.content_dir, item, "el", "source_url", "x", based_on=None)
    assert error.value.field_name == "source_url"
