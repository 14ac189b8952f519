"""Editor pages: the issues by week, each language of an issue as it will be sent,
warnings, approval and test sends."""

from __future__ import annotations

from flask import Blueprint, render_template

from newsletter.web.auth import require_editor

blueprint = Blueprint("editor", __name__, url_prefix="/editor")
blueprint.before_request(require_editor)


@blueprint.get("/")
def issues() -> str:
    return render_template("web/editor/issues.html")
