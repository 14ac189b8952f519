"""Editor pages: an item's source and translations side by side, and saving edits.

    GET  /editor/items/<item_id>/<language>           the side-by-side page
    POST /editor/items/<item_id>/<language>/<field>   save one field, then back to the page

Reading and writing are the localise stage's (`newsletter.localise.review`); this
module parses the form and shows the result. A save that meets someone else's
newer save is refused (409) with the editor's text kept in the form.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from newsletter.content import ContentError
from newsletter.localise.human import EditConflict, list_entry
from newsletter.localise.review import (
    FieldReview,
    InvalidEdit,
    ItemReview,
    UnknownItem,
    save_translation,
    side_by_side,
)
from newsletter.messages import Message, msg
from newsletter.model import Provenance
from newsletter.render.views import SiteLayout
from newsletter.web.auth import require_editor
from newsletter.web.context import context, language_option, site_languages, t

blueprint = Blueprint("translations", __name__, url_prefix="/editor/items")
blueprint.before_request(require_editor)

MARK = re.compile(r"\{/?\d+/?\}")
"""The numbered marks that stand for links and emphasis in a sentence (see `segment`)."""
CHARACTERS_PER_ROW = 65
MAX_ROWS = 24

Typed = list[str] | str
"""What the editor typed for a field: one text per sentence, or the whole field."""


@dataclass(frozen=True)
class FieldForm:
    """One field's form as the page shows it: per sentence, or one box for the whole."""

    field: FieldReview
    label: Message
    anchor: str
    whole: bool
    values: tuple[str, ...]
    """Each text box's text: the translation, or what the editor typed when a save failed."""
    typed: bool
    """The values are the editor's unsaved text (the save was refused)."""

    @property
    def marked(self) -> bool:
        """Whether the field's sentences hold marks for links or emphasis."""
        return any(MARK.search(row.source) for row in self.field.segments)

    @property
    def rows(self) -> tuple[int, ...]:
        """Each text box's height in lines: enough for its text, within reason."""
        return tuple(min(MAX_ROWS, max(2, len(value) // CHARACTERS_PER_ROW + value.count("\n") + 1))
                     for value in self.values)


@blueprint.get("/<item_id>/<language>")
def item(item_id: str, language: str) -> str | tuple[str, int]:
    review = _review(item_id, language)
    if isinstance(review, tuple):
        return review
    return _page(review)


@blueprint.post("/<item_id>/<language>/<field_name>")
def save(item_id: str, language: str, field_name: str) -> Response | str | tuple[str, int]:
    review = _review(item_id, language)
    if isinstance(review, tuple):
        return review
    try:
        field = review.field(field_name)
    except UnknownItem:
        abort(404)
    if review.is_source or not field.translatable:
        abort(400)
    based_on = request.form.get("based_on")
    if based_on is None:
        abort(400)
    typed = _typed(field)
    web = context()
    try:
        result = save_translation(web.settings, review.item.id, language, field_name, typed,
                                  based_on, today=web.clock().date())
    except EditConflict as conflict:
        current = _review(item_id, language)
        if isinstance(current, tuple):
            return current
        return _page(current, typed={field_name: typed}, status=409, problems=[
            conflict.message,
            msg("Your text is still in the form below, next to the translation saved "
                "meanwhile. Check both, then save again.")])
    except InvalidEdit as problem:
        return _page(review, typed={field_name: typed}, status=400, problems=[problem.message])
    except ContentError as error:  # the editor's file broke between reading and saving
        return _page(review, typed={field_name: typed}, status=409, problems=[error])
    flash(t(msg("Saved. Feeds, pages and the digest in {language} show it now.",
                language=language_option(language).label)), "success")
    for problem in result.localise.errors:
        flash(t(problem), "error")
    return redirect(url_for(".item", item_id=review.item.id, language=language,
                            _anchor=_anchor(field_name)), code=303)


def _review(item_id: str, language: str) -> ItemReview | tuple[str, int]:
    """The item's review, else 404, or an error page naming a broken source file."""
    try:
        return side_by_side(context().settings, item_id, language)
    except UnknownItem:
        abort(404)
    except ContentError as error:
        return render_template("web/error.html", status=500, message=error), 500


def _typed(field: FieldReview) -> Typed:
    if request.form.get("action") == "clear":
        return ""
    if "text" in request.form:
        return request.form["text"]
    typed = []
    for index in range(len(field.segments)):
        value = request.form.get(f"segment-{index}")
        if value is None:
            abort(400)
        typed.append(value)
    return typed


def _page(review: ItemReview, *, typed: dict[str, Typed] | None = None, status: int = 200,
          problems: Sequence[Message | ContentError] | None = None) -> str | tuple[str, int]:
    typed = typed or {}
    forms = [_form(review, field, typed.get(field.name)) for field in review.fields]
    layout = SiteLayout("/")
    page = render_template(
        "web/editor/item.html", review=review, forms=forms, problems=problems or [],
        item=review.item, source=language_option(review.item.language),
        target=language_option(review.language),
        languages=site_languages(),
        original_url=layout.page_url(review.item.language, review.item.id),
        translated_url=layout.page_url(review.language, review.item.id),
        provenance_label=provenance_label, marked=marked)
    return (page, status) if status != 200 else page


def _form(review: ItemReview, field: FieldReview, typed: Typed | None) -> FieldForm:
    label = field_label(review, field.name)
    anchor = _anchor(field.name)
    if typed is None:
        values = tuple("" if row.provenance.kind == "missing" else row.text
                       for row in field.segments)
        return FieldForm(field, label, anchor, field.whole, values, False)
    if isinstance(typed, list) and len(typed) == len(field.segments) and not field.whole:
        return FieldForm(field, label, anchor, False, tuple(typed), True)
    # The field's shape changed under the editor (or they typed it whole): one box keeps it all.
    text = typed if isinstance(typed, str) else " ".join(typed)
    return FieldForm(field, label, anchor, True, (text,), True)


def field_label(review: ItemReview, name: str) -> Message:
    """What the editor calls a field: "Title", "Programme, 10:15", "Link 2"."""
    if name == "title":
        return msg("Title")
    if name == "lead":
        return msg("Lead")
    if name == "body":
        return msg("Text")
    key, index = list_entry(name) or ("links", 0)
    if key == "agenda" and review.item.event:
        return msg("Programme, {time}", time=review.item.event.agenda[index].time)
    return msg("Link {number}", number=index + 1)


def provenance_label(provenance: Provenance) -> Message:
    """Where a text came from, in words: colour is never the only sign of it."""
    if provenance.kind == "human":
        return msg("Human translation")
    if provenance.kind == "machine":
        return msg("Machine translation ({engine}, {version})", engine=provenance.engine,
                   version=provenance.model_version)
    if provenance.kind == "missing":
        return msg("Missing: readers see the original")
    return msg("Original text")


def marked(text: str) -> Markup:
    """`text` escaped, with its numbered marks set apart so editors keep them."""
    return Markup(MARK.sub(lambda m: f'<span class="mark">{m[0]}</span>', str(escape(text))))


def _anchor(field_name: str) -> str:
    return "field-" + re.sub(r"[^a-z0-9]+", "-", field_name).strip("-")
