"""Editor pages: an item's source and translations side by side, and saving edits."""

from __future__ import annotations

from flask import Blueprint

from newsletter.web.auth import require_editor

blueprint = Blueprint("translations", __name__, url_prefix="/editor/items")
blueprint.before_request(require_editor)
