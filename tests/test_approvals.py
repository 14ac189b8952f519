"""Editors' approvals: stored per issue and language, valid while the rendering is unchanged."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import copy_project, seed_project

from newsletter.config import Settings
from newsletter.delivery.approvals import ApprovalStore, issue_fingerprint, language_states
from newsletter.delivery.sendlog import SendLog
from newsletter.delivery.subscribers import SubscriberStore
from newsletter.digest import select_issue
from newsletter.localise.store import save_localised
from newsletter.model import LocalisedField, Provenance, untranslated
from newsletter.render.email import render_issue
from newsletter.render.views import load_items

WEEK = "2021-W24"
EVENT_ID = "online-workshop-for-local-and-regional-authorities-setting-up-a-local"
NOON = datetime(2021, 6, 14, 12, 0, 30, 123456, tzinfo=UTC)
CONFIG = """
[site]
base_url = "https://news.example.org/"
languages = ["en", "el", "ar"]

[translation]
engines = []
"""


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_project(tmp_path_factory.mktemp("seeded"), CONFIG)


@pytest.fixture
def settings(seeded: Path, tmp_path: Path) -> Settings:
    return copy_project(seeded, tmp_path)


def test_an_approval_is_kept_per_week_and_language(tmp_path: Path) -> None:
    path = tmp_path / "subscribers.db"
    with ApprovalStore.open(path) as store:
        assert store.approval(WEEK, "el") is None
        made = store.approve(WEEK, "el", "abc", "  Maria  ", NOON.astimezone(timezone(timedelta(hours=3))))
        assert made.editor == "Maria"
        assert made.approved_at == datetime(2021, 6, 14, 12, 0, 30, tzinfo=UTC)
    with ApprovalStore.open(path) as store:  # kept, and the migration runs once
        assert store.approval(WEEK, "el") == made
        assert store.approval(WEEK, "en") is None
        assert store.approval("2021-W25", "el") is None
        again = store.approve(WEEK, "el", "def", "Nikos", NOON + timedelta(hours=1))
        assert store.approval(WEEK, "el") == again  # approving again replaces it
        store.approve("2021-W25", "en", "xyz", "Sam", NOON)
        assert set(store.approvals()) == {(WEEK, "el"), ("2021-W25", "en")}
        assert set(store.approvals([WEEK])) == {(WEEK, "el")}
        assert store.revoke(WEEK, "el") is True
        assert store.revoke(WEEK, "el") is False
        assert store.approval(WEEK, "el") is None
        assert store.approval("2021-W25", "en") is not None


def test_approvals_share_the_database_with_subscribers_and_the_send_log(tmp_path: Path) -> None:
    path = tmp_path / "subscribers.db"
    with SubscriberStore.open(path) as subscribers:
        subscribers.add("maria@example.org", "el", status="confirmed")
    with ApprovalStore.open(path) as store:
        store.approve(WEEK, "el", "abc", "Maria", NOON)
    with SendLog.open(path) as log:
        assert log.records(WEEK) == {}
    with sqlite3.connect(path) as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM migrations")}
    assert "approvals-0001-table" in names and "sendlog-0001-sends" in names


def test_the_fingerprint_covers_subject_html_and_text(settings: Settings) -> None:
    rendered = render_issue(settings, select_issue(settings, WEEK), "el")
    assert issue_fingerprint(rendered) == issue_fingerprint(
        render_issue(settings, select_issue(settings, WEEK), "el"))  # rendering is repeatable
    fingerprints = {issue_fingerprint(rendered)}
    for name in ("subject", "html", "text"):
        fingerprints.add(issue_fingerprint(replace(rendered, **{name: getattr(rendered, name) + " "})))
    # A part's end moved into the next one is a different issue too.
    fingerprints.add(issue_fingerprint(replace(rendered, subject=rendered.subject + rendered.html[:1],
                                               html=rendered.html[1:])))
    assert len(fingerprints) == 5


def test_states_approved_not_approved_and_changed(settings: Settings) -> None:
    items = load_items(settings)
    issue = select_issue(settings, WEEK, items)
    with ApprovalStore.open(settings.subscribers_db) as store:
        for language in ("en", "el"):
            rendered = render_issue(settings, issue, language, items)
            store.approve(WEEK, language, issue_fingerprint(rendered), "Maria", NOON)
    states = language_states(settings, issue, ["en", "el", "ar"], items)
    assert {language: found.state for language, found in states.items()} == {
        "en": "approved", "el": "approved", "ar": "not-approved"}
    assert states["el"].approval is not None and states["el"].approval.editor == "Maria"
    assert states["ar"].approval is None and states["ar"].label.render() == "not approved"

    # An editor's Greek title saved after the approval: Greek changed, English did not.
    item = next(item for item in items if item.id == EVENT_ID)
    greek = untranslated(item, "el", "fingerprint")
    fields = {**greek.fields, "title": LocalisedField("Διαδικτυακό εργαστήριο", Provenance("human"))}
    save_localised(replace(greek, fields=fields), settings.data_dir)
    states = language_states(settings, issue, ["en", "el", "ar"], items)
    assert {language: found.state for language, found in states.items()} == {
        "en": "approved", "el": "changed", "ar": "not-approved"}
    assert states["el"].label.render() == "changed since it was approved"
