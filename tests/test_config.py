"""newsletter.toml: defaults, typed values, and every problem named at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.config import ConfigError, load_settings


def write_config(folder: Path, text: str) -> Path:
    path = folder / "newsletter.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_built_in_defaults_without_a_config_file(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.config_file is None
    assert settings.languages == ("en", "el", "fr", "es")
    assert settings.content_dir == tmp_path.resolve() / "content"
    assert settings.feeds_dir == tmp_path.resolve() / "feeds"
    assert settings.data_dir == tmp_path.resolve() / ".newsletter"
    assert settings.timezone_for("CoR") == "Europe/Brussels"


def test_values_from_the_file(tmp_path: Path) -> None:
    path = write_config(tmp_path, """
[site]
name = "Integrating Cities Weekly"
base_url = "https://news.example.org/weekly"
languages = ["en", "pt_br", "ar"]
default_timezone = "Europe/Lisbon"

[paths]
content = "items"
feeds = "/srv/feeds"

[organisations.CoR]
timezone = "Europe/Brussels"
name = "European Committee of the Regions"
""")
    settings = load_settings(tmp_path)
    assert settings.config_file == path
    assert settings.site_name == "Integrating Cities Weekly"
    assert settings.base_url == "https://news.example.org/weekly/"
    assert settings.languages == ("en", "pt-BR", "ar")
    assert settings.content_dir == tmp_path.resolve() / "items"
    assert settings.feeds_dir == Path("/srv/feeds")
    assert settings.timezone_for("CoR") == "Europe/Brussels"
    assert settings.timezone_for("CEMR") == "Europe/Lisbon"


def test_every_problem_is_reported_with_file_key_value_and_expectation(tmp_path: Path) -> None:
    path = write_config(tmp_path, """
[site]
name = ""
base_url = "ftp://example.org"
languages = ["en", "el", "xx-nope", "el"]
default_timezone = "Mars/Olympus"
colour = "blue"

[paths]
content = 3

[organisations.CEMR]
timezone = "CEST"
""")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    assert caught.value.render().splitlines() == [
        f"{path}: site.colour: unknown setting (known here: base_url, default_timezone, "
        "languages, name, source_language)",
        f"{path}: site.name: got '', expected non-empty text",
        f"{path}: site.base_url: got 'ftp://example.org', expected an http(s) URL such as "
        "'https://example.org/news/'",
        f"{path}: site.default_timezone: got 'Mars/Olympus', expected an IANA time zone such as "
        "'Europe/Brussels'",
        f"{path}: site.languages[2]: got 'xx-nope', expected a language code such as 'el' or 'pt-BR'",
        f"{path}: site.languages[3]: got 'el', expected each language once",
        f"{path}: organisations.CEMR.timezone: got 'CEST', expected an IANA time zone such as "
        "'Europe/Brussels'",
        f"{path}: paths.content: got 3, expected non-empty text",
    ]


def test_broken_toml_names_the_file_and_line(tmp_path: Path) -> None:
    path = write_config(tmp_path, "[site\nname = 1\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    assert caught.value.render().startswith(f"{path}: not valid TOML: ")
    assert "line 1" in caught.value.render()


def test_a_named_config_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, tmp_path / "elsewhere.toml")
    assert caught.value.render() == f"{tmp_path / 'elsewhere.toml'}: no such configuration file"


def test_translation_engines_per_pair(tmp_path: Path) -> None:
    write_config(tmp_path, """
[translation]
engines = ["argos"]
argos_packages = "models"
threads = 2
pairs = { "en-es" = ["apertium", "argos"], "*-ca" = ["apertium"], "pt_BR-*" = [] }
""")
    settings = load_settings(tmp_path)
    assert settings.argos_dir == tmp_path.resolve() / "models"
    assert settings.translation_threads == 2
    assert settings.engines_for("en", "es") == ("apertium", "argos")
    assert settings.engines_for("fr", "ca") == ("apertium",)
    assert settings.engines_for("pt-BR", "el") == ()
    assert settings.engines_for("en", "el") == ("argos",)
    assert load_settings(tmp_path / "nowhere").argos_dir == \
        (tmp_path / "nowhere").resolve() / ".newsletter" / "argos-packages"


def test_translation_problems_are_named(tmp_path: Path) -> None:
    path = write_config(tmp_path, """
[translation]
engines = ["argos", "deepl"]
threads = -1
pairs = { "english-es" = ["argos"], "en-el" = "argos" }
""")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    text = str(caught.value)
    assert f"{path}: translation.engines: got ['argos', 'deepl'], expected a list of engine names" \
        in text
    assert "translation.threads: got -1, expected a whole number, 0 or more" in text
    assert "translation.pairs.english-es: got 'english-es', expected a language pair" in text
    assert "translation.pairs.en-el: got 'argos', expected a list of engine names" in text


def test_feed_settings(tmp_path: Path) -> None:
    write_config(tmp_path, """
[feeds]
max_items = 20
events_past_days = 7

[feeds.filtered.events]
kinds = ["event"]

[feeds.filtered.cemr-news]
kinds = ["news", "publication"]
organisations = ["CEMR"]
""")
    settings = load_settings(tmp_path)
    assert (settings.feed_max_items, settings.events_past_days) == (20, 7)
    assert sorted(settings.feed_filters) == ["cemr-news", "events"]
    assert settings.feed_filters["events"].keeps("event", "CoR")
    assert not settings.feed_filters["events"].keeps("news", "CoR")
    assert settings.feed_filters["cemr-news"].keeps("news", "CEMR")
    assert not settings.feed_filters["cemr-news"].keeps("news", "EUROCITIES")


def test_feed_problems_are_named(tmp_path: Path) -> None:
    path = write_config(tmp_path, """
[feeds]
max_items = 0

[feeds.filtered.Bad_Name]
kinds = ["event"]

[feeds.filtered.talks]
kinds = ["talk"]
""")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    text = str(caught.value)
    assert f"{path}: feeds.max_items: got 0, expected a whole number, 1 or more" in text
    assert "feeds.filtered.Bad_Name: got {'kinds': ['event']}, expected a table named by a slug" \
        in text
    assert "feeds.filtered.talks.kinds: got ['talk'], expected a list of: news, event, " \
        "publication" in text


def test_a_filtered_feed_does_not_hide_the_organisation_settings(tmp_path: Path) -> None:
    write_config(tmp_path, """
[organisations.CoR]
timezone = "Europe/Athens"

[feeds.filtered.cor]
organisations = ["CoR"]
""")
    assert load_settings(tmp_path).timezone_for("CoR") == "Europe/Athens"


def test_digest_smtp_and_subscriber_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    write_config(tmp_path, """
[digest]
upcoming_weeks = 2
sections = ["Events", "News"]

[smtp]
host = "smtp.example.org"
port = 587
security = "starttls"
username = "digest"
sender = "Digest <digest@example.org>"
rate_per_second = 10
timeout = 5.5

[subscribers]
secret_env = "DIGEST_SECRET"
""")
    settings = load_settings(tmp_path)
    assert settings.digest_upcoming_weeks == 2 and settings.digest_sections == ("Events", "News")
    assert (settings.smtp.host, settings.smtp.port, settings.smtp.security) == (
        "smtp.example.org", 587, "starttls")
    assert settings.smtp.rate_per_second == 10.0 and settings.smtp.timeout == 5.5
    assert settings.smtp.password_env == "NEWSLETTER_SMTP_PASSWORD"
    assert settings.subscribers_secret_env == "DIGEST_SECRET"
    assert settings.subscribers_db == tmp_path.resolve() / ".newsletter" / "subscribers.db"


def test_smtp_problems_are_named(tmp_path: Path) -> None:
    path = write_config(tmp_path, """
[smtp]
port = 70000
security = "ssl"
password = "secret"
""")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    text = str(caught.value)
    assert f"{path}: smtp.port: got 70000, expected a port number (1-65535)" in text
    assert "smtp.security: got 'ssl', expected one of: starttls, tls, none" in text
    assert "smtp.password: unknown setting" in text
