"""Renderers: localised items -> text, feeds, pages and email, through Jinja2 templates."""
