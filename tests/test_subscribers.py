"""Subscribers, signed links and `newsletter subscribers`, on real SQLite files."""

from __future__ import annotations

import io
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import cli
from newsletter.config import Settings, load_settings
from newsletter.db import connect
from newsletter.delivery.subscribers import (
    CsvError,
    SubscriberError,
    SubscriberStore,
    UnknownSubscriber,
    normalise_email,
    resolve_language,
)
from newsletter.delivery.tokens import (
    SecretError,
    TokenError,
    confirm_url,
    load_secret,
    make_token,
    read_token,
    unsubscribe_url,
)

CONFIGURED = ("en", "el", "pt")
SECRET = b"0123456789abcdef-test-secret"
T0 = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[SubscriberStore]:
    store = SubscriberStore(connect(tmp_path / "subscribers.db"), clock=clock)
    yield store
    store.close()


def write_csv(folder: Path, text: str | bytes, name: str = "list.csv") -> Path:
    path = folder / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def rendered(problems: list[tuple[int, object]]) -> list[tuple[int, str]]:
    return [(line, str(message)) for line, message in problems]


# -- addresses and languages ---------------------------------------------------------------


def test_addresses_are_normalised() -> None:
    assert normalise_email("  Maria@Example.ORG ") == "Maria@example.org"
    assert normalise_email("jan@gemeente.example.be") == "jan@gemeente.example.be"


@pytest.mark.parametrize(("text", "reason"), [
    ("not-an-address", "An email address must have an @-sign."),
    ("a@b", "The part after the @-sign is not valid. It should have a period."),
])
def test_an_invalid_address_is_named_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(SubscriberError) as caught:
        normalise_email(text)
    assert caught.value.field == "email"
    assert str(caught.value.message) == f"{text!r} is not an email address: {reason}"


def test_an_empty_address_says_so() -> None:
    with pytest.raises(SubscriberError, match=r"^the email address is empty$"):
        normalise_email("   ")


@pytest.mark.parametrize(("requested", "configured", "expected"), [
    ("pt-BR", ["en", "pt"], "pt"),
    ("de", ["en", "el"], "en"),
    ("el", ["en", "el"], "el"),
    ("pt_br", ["en", "pt-BR"], "pt-BR"),
    ("pt", ["en", "pt-BR"], "pt-BR"),
    ("zh-Hant-TW", ["en", "zh-Hant"], "zh-Hant"),
    (" EL ", ["en", "el"], "el"),
])
def test_languages_fall_back_to_a_configured_one(requested: str, configured: list[str],
                                                 expected: str) -> None:
    assert resolve_language(requested, configured) == expected


def test_a_language_that_is_no_code_is_refused() -> None:
    with pytest.raises(SubscriberError) as caught:
        resolve_language("greek", CONFIGURED)
    assert caught.value.field == "language"
    assert str(caught.value.message) == "'greek' is not a language code such as 'el' or 'pt-BR'"


# -- the store -----------------------------------------------------------------------------


def test_add_stores_the_normalised_address(store: SubscriberStore) -> None:
    subscriber = store.add("  Maria@Example.ORG ", "el")
    assert (subscriber.email, subscriber.language, subscriber.status) == \
        ("Maria@example.org", "el", "pending")
    assert subscriber.created_at == subscriber.updated_at == "2026-01-05T09:30:00Z"
    assert store.get("maria@example.org") == subscriber
    assert store.get(" MARIA@EXAMPLE.ORG") == subscriber
    assert store.by_id(subscriber.id) == subscriber
    assert store.get("nobody@example.org") is None
    assert store.get("not-an-address") is None
    assert store.by_id(999) is None


def test_add_is_idempotent_and_updates_the_language(store: SubscriberStore,
                                                    clock: Clock) -> None:
    first = store.add("maria@example.org", "el")
    clock.now += timedelta(hours=1)
    assert store.add("Maria@example.org ", "el") == first  # nothing changed, nothing touched
    again = store.add("MARIA@example.org", "pt")
    assert (again.id, again.email, again.language) == (first.id, "maria@example.org", "pt")
    assert (again.created_at, again.updated_at) == ("2026-01-05T09:30:00Z",
                                                    "2026-01-05T10:30:00Z")
    assert store.list() == [again]


def test_statuses(store: SubscriberStore) -> None:
    subscriber = store.add("maria@example.org", "el", status="confirmed")
    # Signing up again never takes the digest away from someone who confirmed...
    assert store.add("maria@example.org", "en").status == "confirmed"
    # ...unless asked for explicitly.
    assert store.set_status(subscriber.id, "pending").status == "pending"
    assert store.set_status(subscriber.id, "unsubscribed").status == "unsubscribed"
    # Someone who unsubscribed and signs up again waits for confirmation.
    assert store.add("maria@example.org", "en").status == "pending"
    assert store.add("maria@example.org", "en", status="confirmed").status == "confirmed"


def test_invalid_values_are_refused_with_their_field(store: SubscriberStore) -> None:
    with pytest.raises(SubscriberError) as caught:
        store.add("maria@example.org", "el", status="active")  # type: ignore[arg-type]
    assert caught.value.field == "status"
    assert str(caught.value.message) == \
        "'active' is not a status (expected one of: pending, confirmed, unsubscribed)"
    with pytest.raises(SubscriberError) as caught:
        store.add("maria@example.org", "greek")
    assert caught.value.field == "language"
    with pytest.raises(SubscriberError) as caught:
        store.add("a@b", "el")
    assert caught.value.field == "email"
    with pytest.raises(UnknownSubscriber, match=r"^no subscriber has the id 42$"):
        store.set_status(42, "confirmed")
    assert store.list() == []


def test_list_filters_and_orders_by_id(store: SubscriberStore) -> None:
    a = store.add("a@example.org", "el", status="confirmed")
    b = store.add("b@example.org", "en")
    c = store.add("c@example.org", "el")
    d = store.add("d@example.org", "en", status="confirmed")
    assert store.list() == [a, b, c, d]
    assert store.list(status="confirmed") == store.confirmed() == [a, d]
    assert store.list(language="el") == [a, c]
    assert store.list(status="pending", language="en") == [b]


def test_remove_erases_and_ids_are_never_reused(store: SubscriberStore) -> None:
    first = store.add("a@example.org", "el")
    assert store.remove(" A@example.org")
    assert not store.remove("a@example.org")
    assert store.get("a@example.org") is None
    # A link signed for the erased subscriber must not reach the next one.
    assert store.add("b@example.org", "el").id != first.id


def test_the_list_survives_reopening(tmp_path: Path) -> None:
    store = SubscriberStore.open(tmp_path / "data" / "subscribers.db")
    added = store.add("maria@example.org", "el")
    store.close()
    store = SubscriberStore.open(tmp_path / "data" / "subscribers.db")
    assert store.list() == [added]
    store.close()


# -- CSV -----------------------------------------------------------------------------------


def test_import_reports_bad_rows_by_line_and_imports_the_rest(store: SubscriberStore,
                                                              tmp_path: Path) -> None:
    store.add("kept@example.org", "el", status="confirmed")
    path = write_csv(tmp_path, (
        "email,language,status\n"                  # 1
        "  Maria@Example.ORG ,el,\n"               # 2
        "not-an-address,el\n"                      # 3
        "\n"                                       # 4 (blank: skipped)
        "jan@example.be,greek\n"                   # 5
        '"two\nlines@example.org",en\n'            # 6-7: one record over two lines
        "ana@example.org,pt-BR,confirmed\n"        # 8
        "ines@example.org,en,active\n"             # 9
        "maria@example.org,en\n"                   # 10: same address as line 2
        "kept@example.org,el\n"                    # 11: confirmed, stays confirmed
        "extra@example.org,en,pending,oops\n"      # 12
        "noone@example.org,\n"                     # 13
        ",,\n"                                     # 14 (blank: skipped)
        "kept@example.org,el\n"                    # 15: same as line 11
    ))
    result = store.import_csv(path, CONFIGURED)
    assert rendered(result.problems) == [
        (3, "'not-an-address' is not an email address: An email address must have an "
            "@-sign."),
        (5, "'greek' is not a language code such as 'el' or 'pt-BR'"),
        (6, "'two\\nlines@example.org' is not an email address: The email address contains "
            "invalid characters before the @-sign: U+000A."),
        (9, "'active' is not a status (expected one of: pending, confirmed, unsubscribed)"),
        (10, "maria@example.org is already on line 2"),
        (12, "4 values, but the header names 3 columns"),
        (13, "no language given"),
        (15, "kept@example.org is already on line 11"),
    ]
    assert rendered(result.notes) == [
        (8, "language pt-BR is not configured; subscribed in pt")]
    assert (result.added, result.updated, result.unchanged) == (2, 0, 1)
    assert [(s.email, s.language, s.status) for s in store.list()] == [
        ("kept@example.org", "el", "confirmed"),
        ("Maria@example.org", "el", "pending"),
        ("ana@example.org", "pt", "confirmed"),
    ]


def test_import_reads_spreadsheet_csv(store: SubscriberStore, tmp_path: Path) -> None:
    """Semicolons, a byte-order mark, CRLF, columns in another order and case."""
    path = write_csv(tmp_path, "\ufeffLanguage;Email\r\nel;maria@example.org\r\n"
                               "en;jan@example.be\r\n".encode())
    result = store.import_csv(path, CONFIGURED)
    assert (result.added, result.updated, result.problems) == (2, 0, [])
    assert [(s.email, s.language) for s in store.list()] == \
        [("maria@example.org", "el"), ("jan@example.be", "en")]
    write_csv(tmp_path, "email\tlanguage\nmaria@example.org\ten\n")
    assert store.import_csv(path, CONFIGURED).updated == 1


def test_import_never_resubscribes_someone_who_unsubscribed(store: SubscriberStore,
                                                            tmp_path: Path) -> None:
    gone = store.add("gone@example.org", "el", status="unsubscribed")
    path = write_csv(tmp_path, "email,language,status\ngone@example.org,en,confirmed\n")
    result = store.import_csv(path, CONFIGURED)
    assert rendered(result.notes) == [
        (2, "gone@example.org has unsubscribed and stays unsubscribed; to subscribe them "
            "again, use 'newsletter subscribers add'")]
    assert store.by_id(gone.id).status == "unsubscribed"  # type: ignore[union-attr]
    assert store.by_id(gone.id).language == "en"  # type: ignore[union-attr]


@pytest.mark.parametrize(("content", "expected"), [
    (b"email,language\nmaria@example.org,el\njos\xe9@example.org,el\n",
     "{file}: line 3: not UTF-8 text; save the file as 'CSV UTF-8' and import it again"),
    ("email,language\n".encode("utf-16"),
     "{file}: line 1: not UTF-8 text; save the file as 'CSV UTF-8' and import it again"),
    (b"PK\x03\x04\x00\x00rest of a spreadsheet",
     "{file}: not a CSV file (it holds binary data); save it as 'CSV UTF-8' and import it "
     "again"),
    (b"maria@example.org,el\n",
     "{file}: line 1: the first row must name the columns: email, language and optionally "
     "status (found: maria@example.org, el)"),
    (b"email,language,name\n",
     "{file}: line 1: the first row must name the columns: email, language and optionally "
     "status (found: email, language, name)"),
    (b"\n\n",
     "{file}: empty; expected a header row 'email,language' (and optionally 'status') and a "
     "row per subscriber"),
    (b'email,language\n"maria@example.org"x,el\n',
     "{file}: line 2: not valid CSV: ',' expected after '\"'"),
])
def test_a_file_that_is_not_utf8_csv_is_refused_whole(store: SubscriberStore, tmp_path: Path,
                                                      content: bytes, expected: str) -> None:
    path = write_csv(tmp_path, content)
    with pytest.raises(CsvError) as caught:
        store.import_csv(path, CONFIGURED)
    assert str(caught.value.message) == expected.format(file=path)
    assert store.list() == []


def test_export_round_trip(store: SubscriberStore, tmp_path: Path) -> None:
    store.add("maria@example.org", "el", status="confirmed")
    store.add("jan@example.be", "pt")
    store.add("gone@example.org", "en", status="unsubscribed")
    stream = io.StringIO()
    assert store.export_csv(stream) == 3
    assert stream.getvalue() == ("email,language,status\n"
                                 "maria@example.org,el,confirmed\n"
                                 "jan@example.be,pt,pending\n"
                                 "gone@example.org,en,unsubscribed\n")
    path = write_csv(tmp_path, stream.getvalue())
    other = SubscriberStore.open(tmp_path / "other.db")
    result = other.import_csv(path, CONFIGURED)
    assert (result.added, result.problems, result.notes) == (3, [], [])
    assert [(s.email, s.language, s.status) for s in other.list()] == \
        [(s.email, s.language, s.status) for s in store.list()]
    other.close()


# -- signed links --------------------------------------------------------------------------


def test_tokens_round_trip() -> None:
    token = make_token(SECRET, "confirm", 42, T0 + timedelta(days=7))
    assert read_token(SECRET, "confirm", token, now=T0) == 42
    forever = make_token(SECRET, "unsubscribe", 42)
    assert read_token(SECRET, "unsubscribe", forever, now=T0 + timedelta(days=3650)) == 42
    assert all(c.isalnum() or c in "-_." for c in token + forever)  # URL-safe as they are


def test_a_tampered_token_is_invalid() -> None:
    token = make_token(SECRET, "unsubscribe", 42)
    identifier, expiry, signature = token.split(".")
    flipped = signature[:5] + ("A" if signature[5] != "A" else "B") + signature[6:]
    for bad in (f"43.{expiry}.{signature}", f"{identifier}.{expiry}.{flipped}",
                token[:-1], token + "A", f"{identifier}.1999999999.{signature}", "",
                "42", "ünïcode.-.x", token.replace(".", "")):
        with pytest.raises(TokenError) as caught:
            read_token(SECRET, "unsubscribe", bad)
        assert str(caught.value.message) == "the link is invalid"


def test_a_token_is_for_one_purpose_and_one_secret() -> None:
    token = make_token(SECRET, "unsubscribe", 42)
    with pytest.raises(TokenError, match=r"^the link is invalid$"):
        read_token(SECRET, "confirm", token)
    with pytest.raises(TokenError, match=r"^the link is invalid$"):
        read_token(b"another-secret-of-some-length", "unsubscribe", token)


def test_an_expired_token_says_so_and_an_edited_expiry_is_invalid() -> None:
    expires = T0 + timedelta(days=7)
    token = make_token(SECRET, "confirm", 42, expires)
    assert read_token(SECRET, "confirm", token, now=expires - timedelta(seconds=1)) == 42
    with pytest.raises(TokenError) as caught:
        read_token(SECRET, "confirm", token, now=expires)
    assert str(caught.value.message) == "the link has expired"
    identifier, _, signature = token.split(".")
    with pytest.raises(TokenError, match=r"^the link is invalid$"):
        read_token(SECRET, "confirm", f"{identifier}.-.{signature}", now=expires)
    with pytest.raises(ValueError, match="time-zone-aware"):
        make_token(SECRET, "confirm", 42, datetime(2026, 1, 1))


def test_links(project: Settings) -> None:
    url = unsubscribe_url(project, SECRET, 7)
    assert url.startswith("http://127.0.0.1:8000/unsubscribe?token=")
    assert read_token(SECRET, "unsubscribe", url.split("token=")[1]) == 7
    url = confirm_url(project, SECRET, 7, T0)
    assert url.startswith("http://127.0.0.1:8000/confirm?token=")
    token = url.split("token=")[1]
    deadline = T0 + timedelta(days=project.confirm_days)
    assert read_token(SECRET, "confirm", token, now=deadline - timedelta(seconds=1)) == 7
    with pytest.raises(TokenError, match=r"^the link has expired$"):
        read_token(SECRET, "confirm", token, now=deadline)


def test_the_secret_comes_from_the_configured_variable(tmp_path: Path) -> None:
    (tmp_path / "newsletter.toml").write_text('[subscribers]\nsecret_env = "CITY_DIGEST_KEY"\n',
                                              "utf-8")
    settings = load_settings(tmp_path)
    assert load_secret(settings, {"CITY_DIGEST_KEY": "x" * 16}) == b"x" * 16
    how = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
    with pytest.raises(SecretError) as caught:
        load_secret(settings, {"NEWSLETTER_SECRET": "x" * 32})
    assert caught.value.variable == "CITY_DIGEST_KEY"
    assert str(caught.value.message) == (
        "the environment variable CITY_DIGEST_KEY (subscribers.secret_env) is not set; set it "
        "to a random secret of at least 16 characters, which signs confirmation and "
        f"unsubscribe links, for example the output of: {how}")
    with pytest.raises(SecretError) as caught:
        load_secret(settings, {"CITY_DIGEST_KEY": "short"})
    assert str(caught.value.message) == (
        "the environment variable CITY_DIGEST_KEY (subscribers.secret_env) holds 5 "
        "characters; the secret that signs links needs at least 16, for example the output "
        f"of: {how}")


# -- the command ---------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "newsletter.toml").write_text('[site]\nlanguages = ["en", "el", "pt"]\n', "utf-8")
    return folder


def run(folder: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--project", str(folder), "subscribers", *args],
                                catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def stored(folder: Path) -> list[tuple[str, str, str]]:
    store = SubscriberStore.open(load_settings(folder).subscribers_db)
    try:
        return [(s.email, s.language, s.status) for s in store.list()]
    finally:
        store.close()


def test_cli_add(folder: Path) -> None:
    assert run(folder, "add", "  Maria@Example.ORG ", "--lang", "el") == \
        (0, "", "Added Maria@example.org (el, pending).\n")
    assert run(folder, "add", "maria@example.org", "--lang", "el", "--confirmed") == \
        (0, "", "Updated Maria@example.org: el, confirmed.\n")
    assert run(folder, "add", "maria@example.org", "--lang", "el") == \
        (0, "", "Maria@example.org is already listed (el, confirmed); nothing changed.\n"
                "They had confirmed already, so they stay confirmed.\n")
    assert run(folder, "add", "ana@example.org", "--lang", "pt-BR") == (0, "", (
        "note: pt-BR is not a configured language (configured: en, el, pt); using pt\n"
        "Added ana@example.org (pt, pending).\n"))
    assert stored(folder) == [("Maria@example.org", "el", "confirmed"),
                              ("ana@example.org", "pt", "pending")]


def test_cli_add_refuses_bad_values(folder: Path) -> None:
    code, _, err = run(folder, "add", "a@b", "--lang", "el")
    assert code == 2
    assert "Error: Invalid value for EMAIL: 'a@b' is not an email address: The part after " \
           "the @-sign is not valid. It should have a period." in err
    code, _, err = run(folder, "add", "maria@example.org", "--lang", "greek")
    assert code == 2
    assert "Error: Invalid value for '--lang': 'greek' is not a language code such as 'el' " \
           "or 'pt-BR'" in err
    code, _, _ = run(folder, "add", "maria@example.org")
    assert code == 2
    assert stored(folder) == []


def test_cli_import(folder: Path) -> None:
    path = write_csv(folder, "email,language\nmaria@example.org,el\nbad,el\n"
                             "ana@example.org,pt-BR\n\njan@example.be,xx-nonsense\n")
    code, out, err = run(folder, "import", str(path))
    assert code == 1
    assert out == ""
    assert err == (
        f"note: {path}:4: language pt-BR is not configured; subscribed in pt\n"
        f"error: {path}:3: 'bad' is not an email address: An email address must have an "
        "@-sign.\n"
        f"error: {path}:6: 'xx-nonsense' is not a language code such as 'el' or 'pt-BR'\n"
        "2 added, 0 updated, 0 unchanged; 2 rows with problems, not imported.\n")
    assert stored(folder) == [("maria@example.org", "el", "pending"),
                              ("ana@example.org", "pt", "pending")]
    good = write_csv(folder, "email,language,status\nmaria@example.org,el,confirmed\n",
                     "good.csv")
    assert run(folder, "import", str(good)) == \
        (0, "", "0 added, 1 updated, 0 unchanged; 0 rows with problems, not imported.\n")


def test_cli_import_refuses_a_file_that_is_not_utf8(folder: Path) -> None:
    path = write_csv(folder, "email,language\njosé@example.org,el\n".encode("latin-1"))
    code, _, err = run(folder, "import", str(path))
    assert code == 1
    assert err == (f"Error: {path}: line 2: not UTF-8 text; save the file as 'CSV UTF-8' and "
                   "import it again\n")
    assert stored(folder) == []


def test_cli_list(folder: Path) -> None:
    run(folder, "add", "maria@example.org", "--lang", "el", "--confirmed")
    run(folder, "add", "jan@example.be", "--lang", "en")
    code, out, err = run(folder, "list")
    assert code == 0
    assert err == "2 subscribers.\n"
    lines = [line.split() for line in out.splitlines() if "@" in line]
    assert [line[:4] for line in lines] == [["1", "maria@example.org", "el", "confirmed"],
                                            ["2", "jan@example.be", "en", "pending"]]
    code, out, err = run(folder, "list", "--status", "confirmed")
    assert (code, err) == (0, "1 subscriber.\n")
    assert "maria@example.org" in out and "jan@" not in out
    code, out, err = run(folder, "list", "--lang", "en")
    assert (code, err) == (0, "1 subscriber.\n")
    assert "jan@example.be" in out and "maria@" not in out
    assert run(folder, "list", "--status", "pending", "--lang", "el") == \
        (0, "", "0 subscribers.\n")
    assert run(folder, "list", "--status", "active")[0] == 2


def test_cli_remove(folder: Path) -> None:
    run(folder, "add", "maria@example.org", "--lang", "el")
    assert run(folder, "remove", "Maria@Example.org") == (0, "", "Removed Maria@Example.org.\n")
    assert run(folder, "remove", "maria@example.org") == \
        (1, "", "Error: no subscriber has the address maria@example.org\n")
    assert stored(folder) == []


def test_cli_export_round_trip(folder: Path, tmp_path: Path) -> None:
    run(folder, "add", "maria@example.org", "--lang", "el", "--confirmed")
    run(folder, "add", "ana@example.org", "--lang", "pt")
    expected = "email,language,status\nmaria@example.org,el,confirmed\nana@example.org,pt,pending\n"
    assert run(folder, "export") == (0, expected, "")
    assert run(folder, "export", "-") == (0, expected, "")
    target = tmp_path / "exports" / "list.csv"
    assert run(folder, "export", str(target)) == \
        (0, "", f"Exported 2 subscribers to {target}.\n")
    assert target.read_text("utf-8") == expected
    assert stat.S_IMODE(target.stat().st_mode) == 0o600

    other = tmp_path / "other"
    other.mkdir()
    (other / "newsletter.toml").write_text('[site]\nlanguages = ["en", "el", "pt"]\n', "utf-8")
    assert run(other, "import", str(target))[0] == 0
    assert stored(other) == stored(folder)
