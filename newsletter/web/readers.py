"""Readers' pages: subscribe (double opt-in), confirm, and unsubscribe (RFC 8058).

- `GET/POST /<lang>/subscribe`: the form; a request sends one email (`optin`) and
  redirects to `/<lang>/subscribe/check-your-email`. The answer is the same for a
  new, pending, confirmed or unsubscribed address, so the page never tells anyone
  whether an address is on the list.
- `GET /confirm?token=...`: the link from the confirmation email shows a button and
  changes nothing (a mail scanner opening the link must not subscribe anyone);
  `POST` (with its CSRF token) confirms.
- `GET /unsubscribe?token=...` shows a button and changes nothing, because mail
  scanners open links in emails; `POST` unsubscribes: either the button's form
  (with its CSRF token) or the one-click POST of RFC 8058, which mail providers
  send with the body `List-Unsubscribe=One-Click` and no cookie.

Pages speak the reader's language: the one in the address for the form, the
subscriber's own once a link names them, else the best of the browser's that the
site publishes.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState

from newsletter.delivery.optin import (
    confirm_subscription,
    confirmation_owner,
    request_subscription,
    unsubscribe,
    unsubscribe_link_owner,
)
from newsletter.delivery.smtp import SendError
from newsletter.delivery.subscribers import Subscriber, SubscriberError
from newsletter.delivery.tokens import TokenError
from newsletter.localise.notices import language_name
from newsletter.messages import msg
from newsletter.render.views import ATOM_FILE, CALENDAR_FILE, RSS_FILE, SiteLayout
from newsletter.web.context import context, reader_language, site_languages, t, use_language

blueprint = Blueprint("readers", __name__)
ONE_CLICK = {"List-Unsubscribe": ["One-Click"]}
"""The whole form body of an RFC 8058 one-click unsubscribe."""


@blueprint.record_once
def _exempt_one_click(state: BlueprintSetupState) -> None:
    # A mail provider's one-click POST carries no cookie and so no CSRF token; the view
    # checks the token itself for every other POST (the button's form).
    state.app.extensions["csrf"].exempt(unsubscribe_post)


@blueprint.context_processor
def _site_links() -> dict[str, object]:
    """Where the built site and feeds are, in the language of the page."""
    language = g.get("language") or context().settings.languages[0]
    layout = SiteLayout(context().settings.base_url)
    return {"index_url": layout.index_url(language),
            "feeds": {"rss": layout.feed_url(language, RSS_FILE),
                      "atom": layout.feed_url(language, ATOM_FILE),
                      "calendar": layout.feed_url(language, CALENDAR_FILE)}}


@blueprint.get("/<lang>/subscribe")
def subscribe(lang: str) -> str:
    language = reader_language(lang)
    use_language(language)
    return _subscribe_form(language, email="", chosen=language)


@blueprint.post("/<lang>/subscribe")
def subscribe_post(lang: str) -> Response | tuple[str, int]:
    language = reader_language(lang)
    use_language(language)
    web = context()
    if not web.within_limit(web.settings.serve.subscribe_limit, "subscribe"):
        abort(429)
    email = request.form.get("email", "")
    chosen = request.form.get("language", "").strip() or language
    try:
        result = request_subscription(web.settings, web.secret, email, chosen, web.clock(),
                                      password=web.smtp_password)
    except SubscriberError as error:
        return _subscribe_form(language, email=email, chosen=chosen, error=error), 400
    except SendError as error:
        # The operator learns why from the log; the reader only that it did not work,
        # in words that are the same for every address.
        current_app.logger.error("subscribe: %s", error.message.render())
        return render_template("web/readers/send_failed.html",
                               subscribe_url=url_for("readers.subscribe", lang=language)), 503
    # Built from the language asked for only, never from what is stored, so the answer
    # is the same whatever the address's state.
    return redirect(url_for("readers.check_email", lang=result.language), code=303)


@blueprint.get("/<lang>/subscribe/check-your-email")
def check_email(lang: str) -> str:
    language = reader_language(lang)
    use_language(language)
    return render_template("web/readers/check_email.html",
                           days=context().settings.confirm_days,
                           subscribe_url=url_for("readers.subscribe", lang=language))


@blueprint.get("/confirm")
def confirm() -> str | tuple[str, int]:
    web = context()
    token = request.args.get("token", "")
    try:
        subscriber = confirmation_owner(web.settings, web.secret, token, web.clock())
    except TokenError as error:
        return _link_problem(error, "confirm")
    use_language(_page_language(subscriber))
    if subscriber.status == "confirmed":
        return _confirmed(subscriber)
    return render_template("web/readers/confirm.html", subscriber=subscriber,
                           language=language_name(subscriber.language, g.language),
                           action=url_for("readers.confirm_post", token=token))


@blueprint.post("/confirm")
def confirm_post() -> str | tuple[str, int]:
    web = context()
    try:
        subscriber = confirm_subscription(web.settings, web.secret,
                                          request.args.get("token", ""), web.clock())
    except TokenError as error:
        return _link_problem(error, "confirm")
    use_language(_page_language(subscriber))
    return _confirmed(subscriber)


def _confirmed(subscriber: Subscriber) -> str:
    return render_template("web/readers/confirmed.html", subscriber=subscriber,
                           language=language_name(subscriber.language, g.language))


@blueprint.get("/unsubscribe")
def unsubscribe_page() -> str | tuple[str, int]:
    web = context()
    token = request.args.get("token", "")
    try:
        subscriber = unsubscribe_link_owner(web.settings, web.secret, token)
    except TokenError as error:
        return _link_problem(error, "unsubscribe")
    if subscriber is None or subscriber.status == "unsubscribed":
        return _unsubscribed(subscriber)
    use_language(_page_language(subscriber))
    return render_template("web/readers/unsubscribe.html", subscriber=subscriber,
                           action=url_for("readers.unsubscribe_post", token=token))


@blueprint.post("/unsubscribe")
def unsubscribe_post() -> Response | str | tuple[str, int]:
    web = context()
    one_click = request.form.to_dict(flat=False) == ONE_CLICK
    if not one_click:
        current_app.extensions["csrf"].protect()  # raises CSRFError: the 400 page
    try:
        subscriber = unsubscribe(web.settings, web.secret, request.args.get("token", ""))
    except TokenError as error:
        return _link_problem(error, "unsubscribe")
    if one_click:
        # Read by the mail provider, not a person: a short answer is all RFC 8058 asks.
        use_language(_page_language(subscriber))
        return Response(t(msg("You are unsubscribed")), mimetype="text/plain")
    return _unsubscribed(subscriber)


def browser_language() -> str:
    """The best of the browser's languages that the site publishes, else its first."""
    languages = list(context().settings.languages)
    return request.accept_languages.best_match(languages) or languages[0]


def _page_language(subscriber: Subscriber | None) -> str:
    """The subscriber's language while the site still publishes it, else the browser's."""
    if subscriber is not None and subscriber.language in context().settings.languages:
        return subscriber.language
    return browser_language()


def _subscribe_form(language: str, *, email: str, chosen: str,
                    error: SubscriberError | None = None) -> str:
    return render_template("web/readers/subscribe.html", email=email, chosen=chosen,
                           languages=site_languages(), error=error,
                           action=url_for("readers.subscribe_post", lang=language))


def _link_problem(error: TokenError, purpose: str) -> tuple[str, int]:
    """A link that cannot be used, in the browser's language: why, and what to do."""
    language = browser_language()
    use_language(language)
    return render_template("web/readers/link_problem.html", reason=error.message,
                           purpose=purpose,
                           subscribe_url=url_for("readers.subscribe", lang=language)), 400


def _unsubscribed(subscriber: Subscriber | None) -> str:
    """The page after unsubscribing; for a subscriber erased since, in the browser's
    language (they are on no list, which is what they asked for)."""
    language = _page_language(subscriber)
    use_language(language)
    return render_template("web/readers/unsubscribed.html", subscriber=subscriber,
                           subscribe_url=url_for("readers.subscribe", lang=language))
