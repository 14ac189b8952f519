"""Items on disk: round trips, error messages that name file and field, atomic writes."""

from __future__ import annotations

import os
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter import content
from newsletter.content import (
    ContentError,
    atomic_write,
    dump_item,
    load_item,
    parse_item,
    save_item,
    source_item_paths,
)
from newsletter.messages import Message
from newsletter.model import (
    AGENDA_TIME_PATTERN,
    MAX_ID_LENGTH,
    SLUG_PATTERN,
    AgendaRow,
    Event,
    ImportRecord,
    ItemWarning,
    Link,
    ModelError,
    NewsItem,
)

# --------------------------------------------------------------------------- strategy

LANGUAGES = ["en", "el", "fr", "es", "pt-BR", "ar", "uk"]
ZONES = ["Europe/Brussels", "Europe/Athens", "Europe/Lisbon", "Europe/London", "UTC",
         "America/Sao_Paulo", "Asia/Kolkata", "Australia/Lord_Howe"]

# Any character but surrogates (which UTF-8 cannot store).
_chars = st.characters(blacklist_categories=("Cs",))
_tricky = st.sampled_from([
    "", " ", "\n", "\r", "\r\n", "---", "\n---\n", "---\n", "\n---", "'", '"', "''", "\\",
    "Αθήνα", "Ελληνικά: «νέα»", "مرحبا بالعالم", "العربية", "Київ", "São Paulo", "€",
    ": ", "- ", "# ", "{a: 1}", "[x]", "&anchor", "*alias", "!tag", "%", "@", "`",
    "null", "~", "true", "no", "1.0", "0x1F", "2024-01-02", "12:30", "\t", "\x85",
    "\u2028", "\u2029", "\ufeff", "\x00", "\x1b", "...", "\n...\n",
])
# Text mixing arbitrary characters with pieces that YAML, the front-matter
# fences or line handling could trip on.
text = st.lists(st.one_of(st.text(_chars, max_size=12), _tricky), max_size=6).map("".join)
non_blank_text = text.filter(lambda s: s.strip() != "")


@st.composite
def moments(draw, kind):
    """A tz-aware datetime in one of several zones (or at a fixed offset), or a date."""
    if kind == "date":
        return draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
    zone = draw(st.one_of(
        st.sampled_from(ZONES).map(ZoneInfo),
        st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m))),
    ))
    value = draw(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1),
                              timezones=st.just(zone), allow_imaginary=False))
    # Python never calls a time in a repeated (DST fall-back) hour equal to the
    # same instant in another zone, and a loaded item carries fixed offsets, not
    # the zone; leave those hours out so `==` compares instants.
    if value.utcoffset() != value.replace(fold=1 - value.fold).utcoffset():
        value = value + timedelta(hours=3)
    return value


def _repeated_hour(value, zone_name):
    """Whether `value` falls in a repeated hour of its own zone or of `zone_name`."""
    if not isinstance(value, datetime):
        return False
    return any(local.utcoffset() != local.replace(fold=1 - local.fold).utcoffset()
               for local in (value, value.astimezone(ZoneInfo(zone_name))))


@st.composite
def events(draw):
    kind = draw(st.sampled_from(["datetime", "date", "none", "start-only", "end-only"]))
    start = end = None
    if kind in ("datetime", "date"):
        start = draw(moments(kind))
        if draw(st.booleans()):
            if kind == "date":
                end = start + timedelta(days=draw(st.integers(0, 30)))
            else:
                end = (start + timedelta(minutes=draw(st.integers(0, 60 * 24 * 5)))).astimezone(
                    draw(st.sampled_from(ZONES).map(ZoneInfo)))
                if end.utcoffset() != end.replace(fold=1 - end.fold).utcoffset():
                    end = None
    elif kind == "start-only":
        start = draw(moments(draw(st.sampled_from(["date", "datetime"]))))
    elif kind == "end-only":
        end = draw(moments(draw(st.sampled_from(["date", "datetime"]))))
    # Loading restores times into the event's own zone: keep them out of its repeated hour too.
    zone_name = draw(st.sampled_from(ZONES))
    while _repeated_hour(start, zone_name):
        start = start + timedelta(hours=3)
        end = end + timedelta(hours=3) if isinstance(end, datetime) else end
    if _repeated_hour(end, zone_name):
        end = None
    return Event(
        timezone=zone_name,
        timezone_assumed=draw(st.booleans()),
        start=start,
        end=end,
        online=draw(st.booleans()),
        location=draw(text),
        agenda=tuple(draw(st.lists(st.builds(
            AgendaRow,
            time=st.from_regex(AGENDA_TIME_PATTERN, fullmatch=True),
            text=text,
        ), max_size=4))),
        organiser=draw(text),
        contact=draw(text),
    )


urls = st.builds(
    lambda scheme, host, path: f"{scheme}://{host}{path}",
    st.sampled_from(["http", "https"]),
    st.from_regex(r"[a-z0-9-]{1,12}(\.[a-z]{2,5}){1,2}", fullmatch=True),
    st.one_of(st.just(""), st.from_regex(r"/[\w/.?=&%-]{0,30}", fullmatch=True)),
)
links = st.builds(Link, url=urls, title=text,
                  rel=st.one_of(st.sampled_from(["related", "more"]), text))
param_values = st.one_of(text, st.integers(-10**12, 10**12), st.booleans())
warnings = st.builds(
    ItemWarning,
    field=st.one_of(st.sampled_from(["published", "event.start", "lead", "body"]), text),
    message=st.builds(Message, text,
                      st.dictionaries(st.one_of(st.from_regex(r"[a-z_]{1,10}", fullmatch=True),
                                                text), param_values, max_size=3)),
)
import_records = st.builds(ImportRecord, page=text, key=text,
                           fingerprint=st.from_regex(r"[0-9a-f]{64}", fullmatch=True))


@st.composite
def news_items(draw):
    kind = draw(st.sampled_from(["news", "publication", "event"]))
    event = draw(events()) if kind == "event" else draw(st.one_of(st.none(), events()))
    return NewsItem(
        id=draw(st.from_regex(SLUG_PATTERN, fullmatch=True).filter(lambda s: len(s) <= MAX_ID_LENGTH)),
        kind=kind,
        title=draw(non_blank_text),
        source_org=draw(non_blank_text),
        language=draw(st.sampled_from(LANGUAGES)),
        source_org_name=draw(text),
        section=draw(text),
        source_url=draw(st.one_of(st.none(), urls, text)),
        lead=draw(text),
        body=draw(text),
        published=draw(st.one_of(st.none(), st.dates(min_value=date(1, 1, 1)))),
        tags=tuple(draw(st.lists(text, max_size=4))),
        page_language=draw(st.one_of(st.none(), st.sampled_from(LANGUAGES))),
        links=tuple(draw(st.lists(links, max_size=3))),
        event=event,
        warnings=tuple(draw(st.lists(warnings, max_size=3))),
        imported=draw(st.one_of(st.none(), import_records)),
    )


# --------------------------------------------------------------------------- round trips


@settings(max_examples=150, deadline=None)
@given(news_items())
def test_dump_then_parse_gives_the_same_item(item):
    assert parse_item(dump_item(item), "x.md") == item


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(item=news_items())
def test_save_then_load_gives_the_same_item(tmp_path, item):
    path = save_item(item, tmp_path)
    assert path == tmp_path / f"{item.id}.md"
    assert load_item(path) == item
    # The file is stored byte for byte as dumped (no newline translation).
    assert path.read_bytes() == dump_item(item).encode("utf-8")


def test_round_trip_keeps_event_instants_and_the_body_verbatim(tmp_path):
    body = "Line one\r\n---\nnot front matter\n---\n  indented\rend  \n"
    item = NewsItem(
        id="workshop", kind="event", title="  Εργαστήριο «ένταξη» ", source_org="CoR",
        language="el", lead="ورشة عمل", body=body, published=date(2021, 6, 18),
        event=Event(timezone="Europe/Brussels", timezone_assumed=False,
                    start=datetime(2021, 6, 18, 10, 0, tzinfo=ZoneInfo("Europe/Brussels")),
                    end=datetime(2021, 6, 18, 12, 30, tzinfo=ZoneInfo("Europe/Brussels")),
                    agenda=(AgendaRow("10:00", "Start: 'welcome'"),)),
    )
    loaded = load_item(save_item(item, tmp_path))
    assert loaded == item
    assert loaded.body == body
    assert loaded.event is not None
    assert loaded.event.start.isoformat() == "2021-06-18T10:00:00+02:00"


# --------------------------------------------------------------------------- error messages

VALID_FRONT = "id: x\nkind: news\ntitle: T\nsource_org: CEMR\nlanguage: en\n"


def front(*lines: str, drop: str | None = None) -> str:
    fields = [line for line in VALID_FRONT.splitlines() if not drop or not line.startswith(drop)]
    return "---\n" + "\n".join([*fields, *lines]) + "\n---\nBody text.\n"


def content_error(text: str) -> ContentError:
    with pytest.raises(ContentError) as caught:
        parse_item(text, "x.md")
    return caught.value


def test_a_valid_minimal_file_parses():
    item = parse_item(front(), "x.md")
    assert (item.id, item.kind, item.title, item.body) == ("x", "news", "T", "Body text.\n")


def test_a_file_saved_with_windows_line_ends_parses():
    item = parse_item(front().replace("\n", "\r\n"), "x.md")
    assert (item.id, item.title, item.body) == ("x", "T", "Body text.\n")


def test_impossible_quoted_date_names_file_and_field():
    error = content_error(front("published: '31/02/2024'"))
    assert str(error) == "x.md: field 'published': '31/02/2024' is not a date (expected YYYY-MM-DD)"
    assert error.path == "x.md"
    assert error.field_name == "published"


def test_impossible_unquoted_date_is_a_content_error():
    # YAML itself turns 2024-02-31 into a date and fails; that must still come
    # out as a ContentError naming the file, not a bare ValueError.
    error = content_error(front("published: 2024-02-31"))
    assert str(error) == "x.md: the front matter is not valid YAML: day is out of range for month"


def test_missing_title():
    error = content_error(front(drop="title"))
    assert str(error) == "x.md: field 'title': this field is required"
    assert error.field_name == "title"


def test_blank_title():
    error = content_error(front("title: '   '", drop="title"))
    assert str(error) == "x.md: field 'title': the title is empty"


def test_unknown_kind():
    error = content_error(front("kind: blog", drop="kind"))
    assert str(error) == ("x.md: field 'kind': 'blog' is not a kind "
                          "(expected one of news, event, publication)")


def test_event_start_without_offset():
    error = content_error(front(
        "event:", "  start: '2024-06-18T10:00:00'", "  timezone: Europe/Brussels",
        "  timezone_assumed: false",
    ))
    assert str(error) == ("x.md: field 'event.start': '2024-06-18T10:00:00' has no time zone "
                          "(expected a UTC offset such as +02:00)")


def test_event_start_unquoted_naive_datetime():
    error = content_error(front(
        "event:", "  start: 2024-06-18 10:00:00", "  timezone: Europe/Brussels",
    ))
    assert str(error) == ("x.md: field 'event.start': '2024-06-18T10:00:00' has no time zone "
                          "(expected a UTC offset such as +02:00)")


def test_event_start_not_a_moment():
    error = content_error(front("event:", "  start: next Tuesday", "  timezone: Europe/Brussels"))
    assert str(error) == ("x.md: field 'event.start': 'next Tuesday' is not a date or date-time "
                          "(expected YYYY-MM-DD or YYYY-MM-DDTHH:MM+HH:MM)")


def test_event_unknown_zone():
    error = content_error(front("event:", "  timezone: Europe/Atlantis"))
    assert str(error) == ("x.md: field 'event.timezone': 'Europe/Atlantis' is not a time zone "
                          "(expected an IANA name such as 'Europe/Brussels')")


def test_agenda_row_bad_time():
    error = content_error(front("event:", "  timezone: UTC", "  agenda:",
                                "  - {time: '9am', text: Coffee}"))
    assert str(error) == ("x.md: field 'event.agenda.time': '9am' is not a time "
                          "(expected HH:MM or HH:MM-HH:MM)")


def test_bad_language_and_link():
    error = content_error(front("language: greek", drop="language"))
    assert str(error) == ("x.md: field 'language': 'greek' is not a language code "
                          "(expected a code such as 'el' or 'pt-BR')")
    error = content_error(front("links:", "- url: javascript:alert(1)"))
    assert str(error) == "x.md: field 'links.url': 'javascript:alert(1)' is not an http(s) URL"


def test_wrong_types():
    assert str(content_error(front("tags: cooperation"))) == (
        "x.md: field 'tags': expected a list of text")
    assert str(content_error(front("links: [1]"))) == (
        "x.md: field 'links[0]': expected a mapping of fields")
    assert str(content_error(front("title: [a, b]", drop="title"))) == (
        "x.md: field 'title': ['a', 'b'] is not text")
    assert str(content_error(front("event: yes"))) == (
        "x.md: field 'event': expected a mapping of event fields")
    assert str(content_error(front("event:", "  timezone: UTC", "  online: maybe"))) == (
        "x.md: field 'event.online': 'maybe' is not true or false")
    assert str(content_error(front("imported: abc"))) == (
        "x.md: field 'imported': expected a mapping with page, key and fingerprint")


def test_broken_yaml_names_the_line():
    # (Cases whose wording is the same from libyaml and from PyYAML's own parser.)
    error = content_error("---\nid: x\nkind: !!python/object/apply:os.system ['echo hi']\n"
                          "title: T\n---\n")
    assert str(error) == ("x.md: the front matter is not valid YAML (line 3): could not determine "
                          "a constructor for the tag 'tag:yaml.org,2002:python/object/apply:"
                          "os.system'")
    assert error.field_name is None
    error = content_error("---\nid: x\nkind: news\ntitle: 'unclosed\nsource_org: CEMR\n---\n")
    assert str(error) == ("x.md: the front matter is not valid YAML (line 6): "
                          "found unexpected end of stream")
    error = content_error("---\nid: x\ntitle: a: b\n---\n")
    assert str(error).startswith("x.md: the front matter is not valid YAML (line 3): "
                                 "mapping values are not allowed ")


def test_front_matter_that_is_not_a_mapping():
    error = content_error("---\n- a\n- b\n---\nbody")
    assert str(error) == "x.md: the front matter is not a mapping of fields"


def test_no_front_matter_fence():
    assert str(content_error("id: x\ntitle: T\n")) == (
        "x.md: the file does not start with '---' front matter")
    assert str(content_error("")) == "x.md: the file does not start with '---' front matter"


def test_no_closing_fence():
    assert str(content_error("---\nid: x\ntitle: T\n")) == (
        "x.md: the front matter has no closing '---' line")


def test_non_utf8_file_via_load_item(tmp_path):
    path = tmp_path / "x.md"
    path.write_bytes(b"---\nid: caf\xe9\n---\n")
    with pytest.raises(ContentError) as caught:
        load_item(path)
    assert str(caught.value) == f"{path}: the file is not UTF-8 text (byte 11)"
    assert caught.value.path == str(path)


def test_load_item_names_the_real_path(tmp_path):
    path = tmp_path / "item.md"
    path.write_text(front("kind: blog", drop="kind"), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_item(path)
    assert str(caught.value) == (f"{path}: field 'kind': 'blog' is not a kind "
                                 "(expected one of news, event, publication)")


def test_ids_must_be_slugs_to_the_end():
    # The id becomes the file name; a trailing newline must not slip through.
    for bad in ("abc\n", "Abc", "a b", "a--b", "-a", "a.b"):
        with pytest.raises(ModelError) as caught:
            NewsItem(id=bad, kind="news", title="T", source_org="CEMR", language="en")
        assert caught.value.field_name == "id"
    with pytest.raises(ModelError):
        AgendaRow(time="10:00\n", text="x")


# --------------------------------------------------------------------------- atomic writes


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_atomic_write_creates_folders_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "content" / "x.md"
    atomic_write(path, "ελληνικά\r\n")
    assert path.read_bytes() == "ελληνικά\r\n".encode()
    assert sorted(p.name for p in path.parent.iterdir()) == ["x.md"]


def test_atomic_write_replaces_an_existing_file(tmp_path):
    path = tmp_path / "x.md"
    path.write_text("old content, longer than the new one\n", encoding="utf-8")
    atomic_write(path, "new\n")
    assert path.read_text(encoding="utf-8") == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.md"]


def test_atomic_write_failure_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "x.md"
    path.write_text("old\n", encoding="utf-8")

    def refuse(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(content.os, "replace", refuse)
    with pytest.raises(OSError, match="No space left"):
        atomic_write(path, "new\n")
    assert path.read_text(encoding="utf-8") == "old\n"
    assert leftovers(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.md"]


def test_atomic_write_of_unencodable_text_keeps_the_old_file(tmp_path):
    path = tmp_path / "x.md"
    path.write_text("old\n", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        atomic_write(path, "half a surrogate \ud800")
    assert path.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.md"]


def test_save_item_is_atomic_too(tmp_path, monkeypatch):
    item = NewsItem(id="x", kind="news", title="New title", source_org="CEMR", language="en")
    path = tmp_path / "x.md"
    path.write_text("an editor's file\n", encoding="utf-8")
    def refuse(source, target):
        raise OSError("disk gone")

    monkeypatch.setattr(content.os, "replace", refuse)
    with pytest.raises(OSError):
        save_item(item, tmp_path)
    assert path.read_text(encoding="utf-8") == "an editor's file\n"
    assert leftovers(tmp_path) == []


def test_atomic_write_uses_a_temporary_in_the_same_folder(tmp_path, monkeypatch):
    # os.replace is only atomic within one file system: the temporary must sit
    # next to the target, not in the system's temp folder.
    seen = []
    real_replace = os.replace

    def spy(source, target):
        seen.append((Path(source).parent, Path(target)))
        real_replace(source, target)

    monkeypatch.setattr(content.os, "replace", spy)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "elsewhere"))
    atomic_write(tmp_path / "x.md", "x")
    assert seen == [(tmp_path, tmp_path / "x.md")]


# --------------------------------------------------------------------------- listing


def test_source_item_paths_lists_source_files_only(tmp_path):
    content_dir = tmp_path / "content"
    assert source_item_paths(content_dir) == []
    content_dir.mkdir()
    for name in ("x.md", "x.el.md", "b.md", "b.pt-BR.md", ".x.md.abc123.tmp", "notes.txt"):
        (content_dir / name).write_text("", encoding="utf-8")
    (content_dir / "folder").mkdir()
    assert source_item_paths(content_dir) == [content_dir / "b.md", content_dir / "x.md"]


def test_an_id_too_long_for_a_file_name_is_refused():
    with pytest.raises(ModelError) as caught:
        NewsItem(id="a" * 121, kind="news", title="T", source_org="CEMR", language="en")
    assert str(caught.value) == "field 'id': the id is 121 characters long (at most 120)"
