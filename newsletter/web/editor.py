"""Editor pages: the issues by week, each language of an issue as it will be sent,
warnings, approval and test sends.

    GET  /editor/                              the issues by ISO week, newest first
    GET  /editor/<week>/<lang>                 one language of an issue
    GET  /editor/<week>/<lang>/email.html      its HTML email, for a sandboxed frame
    GET  /editor/<week>/<lang>/email.txt       its plain-text part
    POST /editor/<week>/<lang>/approve         approve it as it renders now
    POST /editor/<week>/<lang>/revoke          withdraw the approval
    POST /editor/<week>/<lang>/test            send it to one address

Everything is rendered on each request from the content and the localised
files, so a translation an editor just saved shows at once. An approval
records what the editor was shown: the page carries the fingerprint of the
rendering it displays, and approving a rendering that has changed since the
page was opened is refused, so nobody approves text they have not seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from babel.dates import format_datetime, format_interval
from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, session, url_for
from markupsafe import Markup

from newsletter.delivery.approvals import (
    ApprovalStore,
    LanguageApproval,
    issue_fingerprint,
    language_states,
)
from newsletter.delivery.send import send_test
from newsletter.delivery.sendlog import SendLog
from newsletter.delivery.smtp import SendError
from newsletter.delivery.subscribers import SubscriberError, normalise_email
from newsletter.digest import DigestError, DigestIssue, issue_weeks, select_issue
from newsletter.localise.notices import language_name
from newsletter.messages import msg
from newsletter.model import NewsItem
from newsletter.render.checks import issue_warnings
from newsletter.render.email import EXAMPLE_UNSUBSCRIBE_URL, RenderedIssue, personalise, render_issue
from newsletter.render.views import ATOM_FILE, RSS_FILE, ItemView, field_attributes, load_items, load_views
from newsletter.web.auth import require_editor
from newsletter.web.context import context, language_option, reader_language, site_languages, t

blueprint = Blueprint("editor", __name__, url_prefix="/editor")
blueprint.before_request(require_editor)

EMAIL_POLICY = ("default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; "
                "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox")
"""The email in its frame: its own inline styles and remote images, as a mail client shows
them; no script, no form, no fonts, and a sandbox even when opened on its own."""
EDITOR_NAME_KEY = "editor_name"
"""Where the session keeps the name an editor approved with, to offer it next time."""
TEST_ADDRESS_KEY = "test_address"
MAX_NAME = 80


@dataclass(frozen=True)
class IssueRow:
    """One week of the list: its issue and each language's approval state."""

    issue: DigestIssue
    dates: str
    states: dict[str, LanguageApproval]


@dataclass(frozen=True)
class FeedEntry:
    """An item of the issue as that language's feeds show it."""

    view: ItemView
    summary: str
    title_attributes: Markup
    summary_attributes: Markup
    provenance: tuple[tuple[str, str, str], ...]
    """(field, provenance kind, engine) of each localised field."""
    review_url: str
    """The side-by-side page of the item in this language."""


@blueprint.get("/")
def issues() -> str:
    settings = context().settings
    items = load_items(settings)  # once, for every week
    with ApprovalStore.open(settings.subscribers_db) as store:
        approvals = store.approvals()
    with SendLog.open(settings.subscribers_db) as log:
        sent = log.issues_sent()
    rows = []
    for week in issue_weeks(items):
        issue = select_issue(settings, week, items)
        # Only issues still to be sent are rendered to compare with their approval: the
        # list stays quick however many weeks were approved and sent before.
        rows.append(IssueRow(issue, _dates(issue), language_states(
            settings, issue, settings.languages, items, approvals=approvals,
            compare=week not in sent)))
    return render_template("web/editor/issues.html", rows=rows, languages=site_languages())


@blueprint.get("/<week>/<language>", endpoint="issue")
def issue_page(week: str, language: str) -> str:
    settings = context().settings
    issue, items = _issue(week)
    language = reader_language(language)
    rendered = render_issue(settings, issue, language, items)
    fingerprint = issue_fingerprint(rendered)
    views = _issue_views(issue, language)
    state = language_states(settings, issue, [language], items,
                            rendered={language: rendered})[language]
    approval = state.approval
    warnings = issue_warnings(settings, issue, language, views=views, rendered=rendered)
    titles = {view.item.id: view.title for view in views}
    return render_template(
        "web/editor/issue.html", issue=issue, dates=_dates(issue), rendered=rendered,
        language=language_option(language), languages=site_languages(), fingerprint=fingerprint,
        state=state,
        approved_at=(format_datetime(approval.approved_at, "medium", tzinfo=UTC,
                                     locale=_babel(g.language)) if approval else ""),
        text=personalise(rendered, EXAMPLE_UNSUBSCRIBE_URL)[1],
        entries=[_entry(view) for view in views], warnings=warnings, titles=titles,
        review_url=review_url,
        feeds={"RSS": url_for("feed_file", path=f"{language}/{RSS_FILE}"),
               "Atom": url_for("feed_file", path=f"{language}/{ATOM_FILE}")},
        editor_name=session.get(EDITOR_NAME_KEY, ""),
        test_address=session.get(TEST_ADDRESS_KEY, ""))


@blueprint.get("/<week>/<language>/email.html")
def email_html(week: str, language: str) -> Response:
    rendered = _rendered(week, language)
    response = Response(personalise(rendered, EXAMPLE_UNSUBSCRIBE_URL)[0],
                        mimetype="text/html")
    response.headers["Content-Security-Policy"] = EMAIL_POLICY
    response.headers["Content-Language"] = rendered.language
    return response


@blueprint.get("/<week>/<language>/email.txt")
def email_text(week: str, language: str) -> Response:
    rendered = _rendered(week, language)
    response = Response(personalise(rendered, EXAMPLE_UNSUBSCRIBE_URL)[1], mimetype="text/plain")
    response.headers["Content-Language"] = rendered.language
    return response


@blueprint.post("/<week>/<language>/approve")
def approve(week: str, language: str) -> Response:
    web = context()
    rendered = _rendered(week, language)
    fingerprint = issue_fingerprint(rendered)
    name = " ".join(request.form.get("editor", "").split())[:MAX_NAME]
    if request.form.get("fingerprint", "") != fingerprint:
        flash(t(msg("This language of the issue changed since the page was opened, so it was "
                    "not approved. Read it again below, then approve it.")), "error")
    else:
        if name:
            session[EDITOR_NAME_KEY] = name
        label = name or t(msg("an editor at {address}",
                              address=request.remote_addr or "unknown"))
        with ApprovalStore.open(web.settings.subscribers_db) as store:
            store.approve(rendered.week, rendered.language, fingerprint, label, web.clock())
        flash(t(msg("{language} approved for sending as shown.",
                    language=language_name(rendered.language, g.language))), "success")
    return _back(rendered)


@blueprint.post("/<week>/<language>/revoke")
def revoke(week: str, language: str) -> Response:
    settings = context().settings
    issue, _ = _issue(week)
    language = reader_language(language)
    with ApprovalStore.open(settings.subscribers_db) as store:
        store.revoke(issue.week, language)
    flash(t(msg("The approval of {language} was withdrawn; it will not be sent.",
                language=language_name(language, g.language))), "success")
    return redirect(url_for("editor.issue", week=issue.week, language=language), code=303)


@blueprint.post("/<week>/<language>/test")
def test_send(week: str, language: str) -> Response:
    web = context()
    if not web.within_limit(web.settings.serve.test_send_limit, "test-send"):
        abort(429)
    rendered = _rendered(week, language)
    try:
        address = normalise_email(request.form.get("address", ""))
    except SubscriberError as error:
        flash(t(msg("The test message was not sent: {reason}", reason=error.message)), "error")
        return _back(rendered)
    session[TEST_ADDRESS_KEY] = address
    try:
        send_test(web.settings, rendered, address, password=web.smtp_password)
    except SendError as error:
        flash(t(msg("The test message was not sent: {reason}", reason=error.message)), "error")
    else:
        flash(t(msg("A test message in {language} was sent to {address}.",
                    language=language_name(rendered.language, g.language), address=address)),
              "success")
    return _back(rendered)


def _issue(week: str) -> tuple[DigestIssue, list[NewsItem]]:
    """The issue of `week` from the current content; 404 unless `week` is an ISO week
    written as the issue names it."""
    settings = context().settings
    items = load_items(settings)
    try:
        found = select_issue(settings, week, items)
    except DigestError:
        abort(404)
    if found.week != week:
        abort(404)
    return found, items


def _rendered(week: str, language: str) -> RenderedIssue:
    issue, items = _issue(week)
    return render_issue(context().settings, issue, reader_language(language), items)


def _back(rendered: RenderedIssue) -> Response:
    return redirect(url_for("editor.issue", week=rendered.week, language=rendered.language),
                    code=303)


def _issue_views(issue: DigestIssue, language: str) -> list[ItemView]:
    """The issue's items in `language`, in the email's order."""
    chosen = [*issue.news, *issue.events]
    views = {view.item.id: view for view in load_views(context().settings, language, chosen)}
    return [views[item.id] for item in chosen]


def _entry(view: ItemView) -> FeedEntry:
    """The view as its feed entry reads: title, summary (the lead, else the body's first
    paragraph, as the Atom summary) and where each field's text came from."""
    summary, summary_field = view.summary()
    provenance = tuple((name, field.provenance.kind, field.provenance.engine)
                       for name, field in view.fields_in_order())
    return FeedEntry(view, summary, field_attributes(view, "title"),
                     field_attributes(view, summary_field), provenance,
                     review_url(view.item.id, view.language))


def review_url(item_id: str, language: str) -> str:
    """The item's side-by-side page (the `translations` blueprint)."""
    return url_for("translations.item", item_id=item_id, language=language)


def _dates(issue: DigestIssue) -> str:
    return format_interval(issue.first_day, issue.last_day, "yMMMd", locale=_babel(g.language))


def _babel(language: str) -> str:
    return language.replace("-", "_")
