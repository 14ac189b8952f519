"""`newsletter serve`: the editor preview and the readers' subscription pages.

One WSGI application (Flask), wiring only, like the command line: its views
parse a request, call a stage (localise, render, delivery) and render a page
from `templates/web/`. `create_app` builds it for one site; everything a view
needs hangs off the application (`context()`), never off the module.
"""

from newsletter.web.app import create_app

__all__ = ["create_app"]
