"""`create_app`: the web application of one site.

Security comes from well-kept parts, set up here once for every page:
CSRF tokens on every form (Flask-WTF), a signed, HTTP-only, same-site
session cookie, autoescaping templates, a Content-Security-Policy that
allows no script at all, and rate limits (the `limits` library) where a
request sends email.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, Response, g, redirect, render_template, send_from_directory, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from jinja2 import StrictUndefined
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from newsletter.config import Settings
from newsletter.delivery.tokens import load_secret
from newsletter.messages import Message, MessageError, msg
from newsletter.resources import resource_dir
from newsletter.web.context import (
    EXTENSION,
    WebContext,
    context,
    editor_language,
    is_loopback,
    use_language,
    utc_now,
)

MAX_FORM_BYTES = 1024 * 1024
"""A form bigger than this is refused before it is read (an item's body is far smaller)."""
PAGE_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self' data:; "
               "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'")
"""No script anywhere: injected markup cannot run even if it slipped past escaping."""
SITE_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src * data:; "
               "base-uri 'none'; form-action 'self'")
"""The built site's pages carry their own stylesheet and never a script."""


class WebError(MessageError):
    """The application cannot be started as configured; `message` says what to set."""


def create_app(settings: Settings, *, host: str | None = None,
               environ: Mapping[str, str] = os.environ,
               clock: Callable[[], datetime] = utc_now) -> Flask:
    """The application for `settings`, to be served on `host` (default `serve.host`).

    Raises `SecretError` when the link-signing secret is not set, and `WebError`
    when the server would listen beyond this machine with no editor token set.
    """
    from newsletter.delivery.smtp import smtp_password
    from newsletter.web import editor, readers, translations
    from newsletter.web.auth import auth

    secret = load_secret(settings, environ)
    host = host or settings.serve.host
    token = environ.get(settings.serve.editor_token_env, "").strip() or None
    if token is None and not is_loopback(host):
        raise WebError(msg(
            "the server would listen on {host}, beyond this machine, but the environment "
            "variable {name} (serve.editor_token_env) is not set; set it to the token editors "
            "log in with, or listen on 127.0.0.1", host=host,
            name=settings.serve.editor_token_env))
    if token is None and settings.serve.proxies:
        # A proxy on this machine forwards the world to a loopback address.
        raise WebError(msg(
            "serve.proxies says a proxy passes requests from beyond this machine to the "
            "server, but the environment variable {name} (serve.editor_token_env) is not set; "
            "set it to the token editors log in with", name=settings.serve.editor_token_env))

    app = Flask(__name__, template_folder=str(resource_dir("templates")), static_folder=None)
    app.config.update(
        # Its own key, derived from the site secret (a session cookie is never a link token)
        # and the editor token (a new token logs every editor out).
        SECRET_KEY=hmac.new(secret, b"newsletter-web-session\0" + (token or "").encode("utf-8"),
                            hashlib.sha256).digest(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https:"),
        MAX_CONTENT_LENGTH=MAX_FORM_BYTES,
        WTF_CSRF_TIME_LIMIT=8 * 3600,  # an editor may keep a page open for a working day
    )
    editors_open = token is None  # the checks above: only on loopback, with no proxy
    if editors_open:
        # Open editor pages answer only to this machine's names: a page elsewhere cannot
        # point a name of its own at 127.0.0.1 (DNS rebinding) and read them.
        app.config["TRUSTED_HOSTS"] = ["127.0.0.1", "localhost", "::1", "[::1]"]
        site_host = urlsplit(settings.base_url).hostname or ""
        if is_loopback(site_host):
            app.config["TRUSTED_HOSTS"].append(site_host)
    app.extensions[EXTENSION] = WebContext(
        settings=settings, secret=secret, editor_token=token,
        editors_open=editors_open,
        smtp_password=smtp_password(settings.smtp, environ), clock=clock)
    if settings.serve.proxies:
        # Only as many hops as the operator says are theirs: a header a client wrote
        # itself would otherwise choose its own rate-limit key.
        n = settings.serve.proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    CSRFProtect(app)
    _templates(app, settings)

    app.register_blueprint(auth)
    app.register_blueprint(editor.blueprint)
    app.register_blueprint(translations.blueprint)
    app.register_blueprint(readers.blueprint)
    _site_routes(app, settings)
    _error_pages(app)
    app.after_request(_security_headers)
    return app


def _templates(app: Flask, settings: Settings) -> None:
    """Jinja2 as everywhere else (`{name}` placeholders, `.format`), with the request's
    catalog."""
    environment = app.jinja_env
    environment.undefined = StrictUndefined
    environment.trim_blocks = environment.lstrip_blocks = True
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda text: g.catalog.gettext(text),
        ngettext=lambda one, many, count: g.catalog.ngettext(one, many, count),
        newstyle=False)
    environment.globals["site_name"] = settings.site_name
    environment.filters.update(
        render=lambda message: message.render(g.catalog),
    )


def _site_routes(app: Flask, settings: Settings) -> None:
    """The built site and feeds, at the addresses `base_url` gives them, and the stylesheet."""
    styles = resource_dir("templates") / "web"

    @app.get("/")
    def home() -> Response:
        return redirect(url_for("site_file", path=f"{settings.languages[0]}/index.html"))

    @app.get("/_/web.css")
    def stylesheet() -> Response:
        return send_from_directory(styles, "web.css", max_age=300)

    @app.get("/feeds/<path:path>")
    def feed_file(path: str) -> Response:
        return send_from_directory(settings.feeds_dir, path, max_age=60)

    @app.get("/<path:path>")
    def site_file(path: str) -> Response:
        if path.endswith("/"):
            path += "index.html"
        response = send_from_directory(Path(settings.site_dir), path, max_age=60)
        response.headers["Content-Security-Policy"] = SITE_POLICY
        return response


def _error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_refused(error: CSRFError) -> tuple[str, int]:
        return _error_page(400, msg("This form has expired or did not come from this site. "
                                    "Go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int] | HTTPException:
        messages = {
            400: msg("The request could not be understood."),
            403: msg("You are not allowed to see this page."),
            404: msg("There is no page at this address."),
            405: msg("This page cannot be used that way."),
            413: msg("What you sent is too large."),
            429: msg("Too many requests from your address. Wait a little and try again."),
        }
        if error.code not in messages or isinstance(error, SecurityError):
            return error  # an untrusted Host: no page can be built for it
        return _error_page(error.code, messages[error.code])


def _error_page(status: int, message: Message) -> tuple[str, int]:
    if "catalog" not in g:
        use_language(editor_language())
    return render_template("web/error.html", status=status, message=message), status


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


__all__ = ["WebError", "context", "create_app"]
