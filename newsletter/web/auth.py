"""Who may use the editor pages.

On a loopback address with no token set, anyone at this machine is an
editor (the preview of one person's working copy). Otherwise an editor
logs in once with the token from `serve.editor_token_env` (the session
cookie remembers it), or sends it as `Authorization: Bearer <token>`.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from newsletter.messages import msg
from newsletter.web.context import context, editor_language, use_language

auth = Blueprint("auth", __name__, url_prefix="/editor")
SESSION_KEY = "editor"
LOGIN_LIMIT = "10 per minute; 100 per day"
"""Login attempts per client address: enough for typing mistakes, too few to guess a token."""


def require_editor() -> Response | tuple[str, int] | None:
    """`before_request` of every editor blueprint: None lets the request through."""
    use_language(editor_language())
    web = context()
    if web.editors_open or session.get(SESSION_KEY):
        return None
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and web.token_matches(offered.strip()):
        return None
    if request.method == "GET":
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return render_template("web/login.html", next="", message=None), 401


@auth.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    use_language(editor_language())
    web = context()
    target = request.values.get("next", "")
    if not target.startswith("/editor") or target.startswith("//"):
        target = url_for("editor.issues")  # never a redirect off this site
    if web.editors_open:
        return redirect(target)
    if request.method == "POST":
        if web.within_limit(LOGIN_LIMIT, "login") \
                and web.token_matches(request.form.get("token", "")):
            session.clear()
            session[SESSION_KEY] = True
            session.permanent = True
            return redirect(target)
        return render_template("web/login.html", next=target,
                               message=msg("That token is not right.")), 401
    return render_template("web/login.html", next=target, message=None)


@auth.post("/logout")
def logout() -> Response:
    session.pop(SESSION_KEY, None)
    return redirect(url_for("auth.login"))
