"""What every view gets: the site's settings, its secrets, and the reader's language.

The `WebContext` is made once per application by `create_app` and kept in
`app.extensions`, so two applications (two sites, or two tests) never share
anything. The request's language lives in `flask.g`, set by `use_language`.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import abort, current_app, g, request
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from newsletter.config import Settings
from newsletter.localise.formatting import text_direction
from newsletter.localise.notices import language_name
from newsletter.messages import Message, load_catalog
from newsletter.resources import resource_dir

EXTENSION = "newsletter"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class WebContext:
    """One site's settings and secrets, for every request of its application."""

    settings: Settings
    secret: bytes
    """Signs confirmation and unsubscribe links (`subscribers.secret_env`)."""
    editor_token: str | None
    """What editors log in with (`serve.editor_token_env`); None when not set."""
    editors_open: bool
    """Editor pages need no login: the server listens on a loopback address only and
    no token is set."""
    smtp_password: str | None = None
    clock: Callable[[], datetime] = utc_now
    """The current time (tests move it to expire links)."""
    limiter: MovingWindowRateLimiter = field(
        default_factory=lambda: MovingWindowRateLimiter(MemoryStorage()))

    def token_matches(self, offered: str) -> bool:
        """Whether `offered` is the editor token, compared in constant time."""
        return self.editor_token is not None and hmac.compare_digest(
            offered.encode("utf-8"), self.editor_token.encode("utf-8"))

    def within_limit(self, rate: str, action: str) -> bool:
        """Count one `action` by this client against every limit in `rate` ("5 per minute;
        100 per day"); False once one is used up."""
        client = request.remote_addr or "unknown"
        return all([self.limiter.hit(limit, action, client) for limit in parse_many(rate)])


@dataclass(frozen=True)
class LanguageOption:
    """A configured language as pages offer it (switchers, lists, the subscribe form)."""

    code: str
    name: str
    """In the language itself ("Ελληνικά"): a reader who cannot read the page still finds
    their own."""
    direction: str
    """How `name` is written."""
    label: str
    """In the page's language ("Greek"), for sentences about it."""


def language_option(code: str) -> LanguageOption:
    """`code` named in itself and in this request's language."""
    return LanguageOption(code, language_name(code, code), text_direction(code),
                          language_name(code, g.language))


def site_languages() -> list[LanguageOption]:
    """Every configured language, in the configured order."""
    return [language_option(code) for code in context().settings.languages]


def context() -> WebContext:
    """The `WebContext` of the application handling this request."""
    return current_app.extensions[EXTENSION]


def use_language(language: str) -> None:
    """Render this request's pages and messages in `language`."""
    g.language = language
    g.direction = text_direction(language)
    g.catalog = load_catalog(resource_dir("locales"), language)


def t(message: Message) -> str:
    """`message` in this request's language."""
    return message.render(g.get("catalog"))


def reader_language(requested: str | None) -> str:
    """`requested` if it is a configured language, else 404: a reader's page exists in
    each configured language and no other."""
    languages = context().settings.languages
    if requested not in languages:
        abort(404)
    return requested


def editor_language() -> str:
    """The editor's interface language: the best of their browser's languages that has a
    catalog (English, the msgid language, always does)."""
    settings = context().settings
    offered = dict.fromkeys([*settings.languages, "en"])
    return request.accept_languages.best_match(list(offered)) or "en"


def is_loopback(host: str) -> bool:
    """Whether a listening address only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
