"""`newsletter.toml` -> typed, frozen settings, with every problem named at once.

Without a config file the built-in defaults apply, so the tool runs on a
fresh checkout. Relative paths are resolved against the folder holding the
config file (the project folder).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from newsletter.messages import Message, msg
from newsletter.model import KINDS, normalise_language

CONFIG_FILE_NAME = "newsletter.toml"
ENGINE_NAMES = ("argos", "apertium")
"""Machine translation engines the localise stage knows."""

KNOWN_KEYS: dict[str, frozenset[str]] = {
    "": frozenset({"site", "paths", "organisations", "translation", "feeds", "digest", "smtp",
                   "subscribers", "serve"}),
    "site": frozenset({"name", "base_url", "source_language", "languages", "default_timezone"}),
    "paths": frozenset({"content", "feeds", "site", "data"}),
    "organisations.<name>": frozenset({"timezone", "name"}),
    "translation": frozenset({"engines", "pairs", "argos_packages", "threads"}),
    "feeds": frozenset({"max_items", "events_past_days", "filtered"}),
    "feeds.filtered.<name>": frozenset({"kinds", "organisations"}),
    "digest": frozenset({"upcoming_weeks", "sections"}),
    "smtp": frozenset({"host", "port", "security", "username", "password_env", "sender",
                       "rate_per_second", "retries", "timeout"}),
    "subscribers": frozenset({"secret_env", "confirm_days"}),
    "serve": frozenset({"host", "port", "editor_token_env", "subscribe_limit", "test_send_limit",
                        "proxies"}),
}
SECURITY_MODES = ("starttls", "tls", "none")
"""Every setting, by table; `docs/config.md` documents each one."""


@dataclass(frozen=True)
class Organisation:
    """Settings for one source organisation, keyed by its short name."""

    timezone: str
    """IANA zone assumed for the organisation's event times when a page states none."""
    name: str = ""
    """Full name, for display when a page does not give it."""


@dataclass(frozen=True)
class FeedFilter:
    """A feed of some items only, published per language like the main feeds."""

    kinds: tuple[str, ...] = ()
    """Item kinds it keeps (`news`, `event`, `publication`); empty keeps all."""
    organisations: tuple[str, ...] = ()
    """Source organisations it keeps (`CEMR`); empty keeps all."""

    def keeps(self, kind: str, organisation: str) -> bool:
        return ((not self.kinds or kind in self.kinds)
                and (not self.organisations or organisation in self.organisations))


@dataclass(frozen=True)
class SmtpSettings:
    """How the digest is sent. The password is read from the environment, never the file."""

    host: str = "127.0.0.1"
    port: int = 25
    security: str = "none"
    """`starttls` (upgrade a plain connection, usually port 587), `tls` (port 465) or `none`."""
    username: str = ""
    password_env: str = "NEWSLETTER_SMTP_PASSWORD"
    """Name of the environment variable holding the password."""
    sender: str = "City Networks Digest <digest@localhost>"
    """From: address."""
    rate_per_second: float = 0.0
    """At most this many messages a second; 0 sends as fast as the server accepts."""
    retries: int = 3
    """Attempts after a temporary (4xx) failure, with growing pauses."""
    timeout: float = 30.0
    """Seconds to wait for the server."""


@dataclass(frozen=True)
class ServeSettings:
    """`newsletter serve`: the editor preview and the subscription pages."""

    host: str = "127.0.0.1"
    """Address to listen on. Editor pages are open on a loopback address, and need the
    editor token anywhere else."""
    port: int = 8000
    editor_token_env: str = "NEWSLETTER_EDITOR_TOKEN"
    """Name of the environment variable holding the editors' token."""
    subscribe_limit: str = "5 per minute"
    """Subscription requests allowed per client address (a `limits` rate string)."""
    test_send_limit: str = "10 per hour"
    """Test sends allowed per client address."""
    proxies: int = 0
    """Reverse proxies in front of the server whose `X-Forwarded-For/-Proto/-Host` headers
    are believed, so rate limits count readers, not the proxy; 0 believes none."""


@dataclass(frozen=True)
class Settings:
    """Everything the stages need to know about this site."""

    project_dir: Path
    """Folder the relative paths below were resolved against."""
    config_file: Path | None
    """The file these settings came from; None for the built-in defaults."""
    site_name: str = "City Networks Digest"
    """Shown in feed titles, email subjects and page headers."""
    base_url: str = "http://127.0.0.1:8000/"
    """Public address the site and feeds are served from; always ends with '/'."""
    source_language: str = "en"
    """Language assumed for pages whose language cannot be detected."""
    languages: tuple[str, ...] = ("en", "el", "fr", "es")
    """Languages every item is published in (BCP 47 codes)."""
    default_timezone: str = "Europe/Brussels"
    """Zone assumed for organisations without their own entry."""
    organisations: Mapping[str, Organisation] = field(default_factory=dict)
    """Per-organisation settings, keyed by short name (`CEMR`, `EUROCITIES`, `CoR`)."""
    content_dir: Path = Path("content")
    """Where items are stored as Markdown files (absolute once loaded)."""
    feeds_dir: Path = Path("feeds")
    """Where per-language feeds are written."""
    site_dir: Path = Path("site")
    """Where the per-language archive pages are written."""
    data_dir: Path = Path(".newsletter")
    """Where databases and installed models are kept."""
    engines: tuple[str, ...] = ENGINE_NAMES
    """Engines tried in order for each language pair: the first that has a model wins."""
    engine_pairs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per pair (`en-es`, `*-ca`, `en-*`) engines overriding `engines`."""
    argos_packages_dir: Path | None = None
    """Where Argos packages are installed (absolute once loaded); default `<data>/argos-packages`."""
    translation_threads: int = 0
    """CPU threads per translation model; 0 uses every core."""
    feed_max_items: int = 50
    """Entries per feed: the newest N items."""
    events_past_days: int = 30
    """How long past events stay in the calendar feed."""
    feed_filters: Mapping[str, FeedFilter] = field(default_factory=dict)
    """Extra feeds by name (a slug): `feeds/<lang>/<name>/rss.xml`, ..."""
    digest_upcoming_weeks: int = 4
    """A week's digest lists the events starting within this many weeks after it."""
    digest_sections: tuple[str, ...] = ()
    """Order of sections in the digest (item `section` values); others follow, by name."""
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    subscribers_secret_env: str = "NEWSLETTER_SECRET"
    """Environment variable holding the secret that signs confirmation and unsubscribe links."""
    confirm_days: int = 7
    """Days a confirmation link stays valid."""
    serve: ServeSettings = field(default_factory=ServeSettings)

    @property
    def subscribers_db(self) -> Path:
        """Subscribers and the send log: one SQLite file in the data folder."""
        return self.data_dir / "subscribers.db"

    @property
    def argos_dir(self) -> Path:
        """The Argos packages folder in effect."""
        return self.argos_packages_dir or self.data_dir / "argos-packages"

    def engines_for(self, source: str, target: str) -> tuple[str, ...]:
        """The engines to try, in order, for one language pair (most specific rule first)."""
        for key in (f"{source}-{target}", f"*-{target}", f"{source}-*"):
            if key in self.engine_pairs:
                return self.engine_pairs[key]
        return self.engines

    def timezone_for(self, organisation: str) -> str:
        """The zone assumed for an organisation's unstated times."""
        entry = self.organisations.get(organisation)
        return entry.timezone if entry else self.default_timezone


class ConfigError(click.ClickException):
    """One or more problems in the configuration, all listed."""

    def __init__(self, problems: list[Message]) -> None:
        self.problems = problems
        super().__init__(self.render())

    def render(self, catalog: Any = None) -> str:
        lines = [problem.render(catalog) for problem in self.problems]
        return "\n".join(lines)


def load_settings(project_dir: Path, config_file: Path | None = None) -> Settings:
    """Settings from `config_file`, or `project_dir/newsletter.toml`, or the defaults.

    Raises `ConfigError` listing every problem; unknown keys are problems too,
    since a misspelt key silently ignored is a setting silently lost.
    """
    explicit = config_file is not None
    path = config_file if explicit else project_dir / CONFIG_FILE_NAME
    assert path is not None
    if not path.exists():
        if explicit:
            raise ConfigError([msg("{file}: no such configuration file", file=str(path))])
        return replace(parse_settings({}, path), config_file=None)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError([msg("{file}: not valid TOML: {error}", file=str(path),
                               error=str(error))]) from None
    return parse_settings(data, path)


def parse_settings(data: Mapping[str, Any], path: Path) -> Settings:
    """Check `data` (parsed TOML) against the schema and build the settings."""
    checker = _Checker(path)
    project_dir = path.parent.resolve()
    defaults = Settings(project_dir=project_dir, config_file=path)
    checker.known_keys("", data, KNOWN_KEYS[""])

    site = checker.section("site", data)
    paths = checker.section("paths", data)

    site_name = checker.get("site.name", site, str, defaults.site_name, _non_empty)
    base_url = checker.get("site.base_url", site, str, defaults.base_url, _http_url)
    source_language = checker.get("site.source_language", site, str,
                                  defaults.source_language, _language)
    default_timezone = checker.get("site.default_timezone", site, str,
                                   defaults.default_timezone, _timezone)
    languages = _languages(checker, site, defaults.languages)

    organisations: dict[str, Organisation] = {}
    for name, entry in checker.table("organisations", data).items():
        key = f"organisations.{name}"
        if not isinstance(entry, dict):
            checker.problem(key, entry, msg("a table with 'timezone' and optionally 'name'"))
            continue
        checker.known_keys(key, entry, KNOWN_KEYS["organisations.<name>"])
        organisations[name] = Organisation(
            timezone=checker.get(f"{key}.timezone", entry, str, default_timezone,
                                 _timezone),
            name=checker.get(f"{key}.name", entry, str, "", None),
        )

    def folder(key: str, default: Path) -> Path:
        value = checker.get(f"paths.{key}", paths, str, str(default), _non_empty)
        return (project_dir / value).resolve()

    translation = checker.section("translation", data)
    engines = _engine_list(checker, "translation.engines", translation.get("engines"),
                           defaults.engines)
    engine_pairs: dict[str, tuple[str, ...]] = {}
    for pair, value in checker.table("translation.pairs", translation).items():
        key = f"translation.pairs.{pair}"
        if _pair(pair) is None:
            checker.problem(key, pair, msg("a language pair such as 'en-es', '*-ca' or 'en-*'"))
            continue
        engine_pairs[_pair(pair) or pair] = _engine_list(checker, key, value, engines)
    packages = checker.get("translation.argos_packages", translation, str, "",
                           None)
    threads = checker.get("translation.threads", translation, int,
                          defaults.translation_threads, _non_negative)

    feeds = checker.section("feeds", data)
    feed_max_items = checker.get("feeds.max_items", feeds, int,
                                 defaults.feed_max_items, _positive)
    events_past_days = checker.get("feeds.events_past_days", feeds, int,
                                   defaults.events_past_days, _non_negative)
    feed_filters: dict[str, FeedFilter] = {}
    for name, entry in checker.table("feeds.filtered", feeds).items():
        key = f"feeds.filtered.{name}"
        if not isinstance(entry, dict) or not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", name):
            checker.problem(key, entry, msg("a table named by a slug (lower-case letters, "
                                            "digits, hyphens) with 'kinds' and/or "
                                            "'organisations'"))
            continue
        checker.known_keys(key, entry, KNOWN_KEYS["feeds.filtered.<name>"])
        kinds = _text_list(checker, f"{key}.kinds", entry.get("kinds", []), KINDS)
        sources = _text_list(checker, f"{key}.organisations", entry.get("organisations", []),
                             None)
        feed_filters[name] = FeedFilter(kinds, sources)

    digest = checker.section("digest", data)
    upcoming = checker.get("digest.upcoming_weeks", digest, int,
                           defaults.digest_upcoming_weeks, _non_negative)
    sections = _text_list(checker, "digest.sections", digest.get("sections", []), None)

    smtp_value = checker.table_reader("smtp", data, SmtpSettings())

    smtp = SmtpSettings(
        host=smtp_value("host", str, _non_empty), port=smtp_value("port", int, _port),
        security=smtp_value("security", str, _security),
        username=smtp_value("username", str, None),
        password_env=smtp_value("password_env", str, _non_empty),
        sender=smtp_value("sender", str, _non_empty),
        rate_per_second=float(smtp_value("rate_per_second", (int, float), _non_negative)),
        retries=smtp_value("retries", int, _non_negative),
        timeout=float(smtp_value("timeout", (int, float), _positive_number)),
    )
    subscribers = checker.section("subscribers", data)
    secret_env = checker.get("subscribers.secret_env", subscribers, str,
                             defaults.subscribers_secret_env, _non_empty)
    confirm_days = checker.get("subscribers.confirm_days", subscribers, int,
                               defaults.confirm_days, _positive)

    serve_value = checker.table_reader("serve", data, ServeSettings())

    serve = ServeSettings(
        host=serve_value("host", str, _non_empty), port=serve_value("port", int, _port),
        editor_token_env=serve_value("editor_token_env", str, _non_empty),
        subscribe_limit=serve_value("subscribe_limit", str, _rate_limit),
        test_send_limit=serve_value("test_send_limit", str, _rate_limit),
        proxies=serve_value("proxies", int, _non_negative),
    )

    settings = Settings(
        project_dir=project_dir,
        config_file=path,
        site_name=site_name,
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        source_language=source_language,
        languages=languages,
        default_timezone=default_timezone,
        organisations=organisations,
        content_dir=folder("content", defaults.content_dir),
        feeds_dir=folder("feeds", defaults.feeds_dir),
        site_dir=folder("site", defaults.site_dir),
        data_dir=folder("data", defaults.data_dir),
        engines=engines,
        engine_pairs=engine_pairs,
        argos_packages_dir=(project_dir / packages).resolve() if packages.strip() else None,
        translation_threads=threads,
        feed_max_items=feed_max_items,
        events_past_days=events_past_days,
        feed_filters=feed_filters,
        digest_upcoming_weeks=upcoming,
        digest_sections=sections,
        smtp=smtp,
        subscribers_secret_env=secret_env,
        confirm_days=confirm_days,
        serve=serve,
    )
    checker.raise_if_any()
    return settings


def _languages(checker: _Checker, site: Mapping[str, Any], default: tuple[str, ...]
               ) -> tuple[str, ...]:
    value = site.get("languages", list(default))
    if not isinstance(value, list) or not value:
        checker.problem("site.languages", value, msg("a non-empty list of language codes"))
        return default
    languages: list[str] = []
    for index, code in enumerate(value):
        key = f"site.languages[{index}]"
        if not isinstance(code, str):
            checker.problem(key, code, msg("a language code such as 'el' or 'pt-BR'"))
            continue
        normalised = _language(code)
        if normalised is None:
            checker.problem(key, code, msg("a language code such as 'el' or 'pt-BR'"))
        elif normalised in languages:
            checker.problem(key, code, msg("each language once"))
        else:
            languages.append(normalised)
    return tuple(languages)


def _engine_list(checker: _Checker, key: str, value: Any, default: tuple[str, ...]
                 ) -> tuple[str, ...]:
    if value is None:
        return default
    expected = msg("a list of engine names from: {names}", names=", ".join(ENGINE_NAMES))
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        checker.problem(key, value, expected)
        return default
    unknown = [v for v in value if v not in ENGINE_NAMES]
    if unknown:
        checker.problem(key, value, expected)
        return default
    return tuple(dict.fromkeys(value))


def _pair(value: str) -> str | None:
    """`en-es`, `*-ca`, `en-*` with known language codes, normalised; else None."""
    source, separator, target = value.partition("-")
    if not separator or (source == "*" and target == "*"):
        return None
    codes = [code if code == "*" else _language(code) for code in (source, target)]
    if None in codes:
        return None
    return f"{codes[0]}-{codes[1]}"


def _text_list(checker: _Checker, key: str, value: Any, allowed: tuple[str, ...] | None
               ) -> tuple[str, ...]:
    ok = isinstance(value, list) and all(isinstance(v, str) and v for v in value)
    if ok and allowed is not None:
        ok = all(v in allowed for v in value)
    if not ok:
        expected = (msg("a list of: {names}", names=", ".join(allowed)) if allowed
                    else msg("a list of names"))
        checker.problem(key, value, expected)
        return ()
    return tuple(value)


def _positive(value: int) -> int | None:
    return value if value > 0 and not isinstance(value, bool) else None


def _positive_number(value: float) -> float | None:
    return value if value > 0 and not isinstance(value, bool) else None


def _non_negative(value: float) -> float | None:  # also whole numbers (int is a float here)
    return value if value >= 0 and not isinstance(value, bool) else None


def _port(value: int) -> int | None:
    return value if 0 < value < 65536 and not isinstance(value, bool) else None


def _security(value: str) -> str | None:
    return value if value in SECURITY_MODES else None


def _rate_limit(value: str) -> str | None:
    from limits import parse_many

    try:
        return value if parse_many(value) else None
    except ValueError:
        return None


def _non_empty(value: str) -> str | None:
    return value if value.strip() else None


def _http_url(value: str) -> str | None:
    parts = urlsplit(value)
    return value if parts.scheme in ("http", "https") and parts.netloc else None


def _language(value: str) -> str | None:
    try:
        return normalise_language(value)
    except ValueError:
        return None


def _timezone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return value


_EXPECTED = {
    _non_empty: msg("non-empty text"),
    _http_url: msg("an http(s) URL such as 'https://example.org/news/'"),
    _language: msg("a language code such as 'el' or 'pt-BR'"),
    _timezone: msg("an IANA time zone such as 'Europe/Brussels'"),
    _non_negative: msg("a whole number, 0 or more"),
    _positive: msg("a whole number, 1 or more"),
    _positive_number: msg("a number above 0"),
    _port: msg("a port number (1-65535)"),
    _security: msg("one of: starttls, tls, none"),
    _rate_limit: msg("a rate such as '5 per minute' or '100/hour'"),
}


class _Checker:
    """Collects problems instead of stopping at the first one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Message] = []

    def problem(self, key: str, value: Any, expected: Message) -> None:
        self.problems.append(
            msg("{file}: {key}: got {value!r}, expected {expected}", file=str(self.path),
                key=key, value=value, expected=expected)
        )

    def known_keys(self, where: str, table: Mapping[str, Any], known: frozenset[str]) -> None:
        for key in table:
            if key not in known:
                full = f"{where}.{key}" if where else key
                self.problems.append(
                    msg("{file}: {key}: unknown setting (known here: {known})",
                        file=str(self.path), key=full, known=", ".join(sorted(known)))
                )

    def section(self, key: str, data: Mapping[str, Any]) -> Mapping[str, Any]:
        """A table whose keys are all known (`KNOWN_KEYS[key]`)."""
        table = self.table(key, data)
        self.known_keys(key, table, KNOWN_KEYS[key])
        return table

    def table(self, key: str, data: Mapping[str, Any]) -> Mapping[str, Any]:
        """The table at dotted `key`, whose last part is its name in `data`."""
        value = data.get(key.rsplit(".", 1)[-1], {})
        if not isinstance(value, dict):
            self.problem(key, value, msg("a table ([{key}])", key=key))
            return {}
        return value

    def get(self, key: str, table: Mapping[str, Any], kind: type | tuple[type, ...],
            default: Any, check: Callable[[Any], Any] | None) -> Any:
        """The value of dotted `key` (its last part names it in `table`), checked."""
        name = key.rsplit(".", 1)[-1]
        if name not in table:
            return default
        value = table[name]
        if not isinstance(value, kind):
            self.problem(key, value, _EXPECTED.get(check, msg("text")) if check else msg("text"))
            return default
        if check is None:
            return value
        checked = check(value)
        if checked is None:
            self.problem(key, value, _EXPECTED[check])
            return default
        return checked

    def table_reader(self, name: str, data: Mapping[str, Any], defaults: object
                     ) -> Callable[[str, type | tuple[type, ...], Callable[[Any], Any] | None], Any]:
        """`get` for the keys of table `name`, each defaulting to the same-named field of
        `defaults` (a settings dataclass)."""
        table = self.section(name, data)

        def value(key: str, kind: type | tuple[type, ...],
                  check: Callable[[Any], Any] | None) -> Any:
            return self.get(f"{name}.{key}", table, kind, getattr(defaults, key), check)

        return value

    def raise_if_any(self) -> None:
        if self.problems:
            raise ConfigError(self.problems)
