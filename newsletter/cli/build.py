"""`newsletter build`: localise, then render feeds, calendars and site pages."""

from __future__ import annotations

from datetime import date

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from newsletter.cli.app import App
from newsletter.cli.localise import localise_command
from newsletter.messages import Message, msg

LISTED = 20
"""Written files named one by one; beyond that, counted."""


@click.command("build")
@click.option("--no-localise", is_flag=True,
              help="Render from the localised items as they are; do not run 'newsletter localise'.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Date that decides which past events the calendar keeps (default: today).")
@click.pass_context
def build_command(ctx: click.Context, no_localise: bool, today: object) -> None:
    """Write every language's RSS, Atom and calendar feeds and the pages they link to."""
    localise_failed = False
    if not no_localise:
        try:
            ctx.invoke(localise_command, languages=(), strict=False)
        except SystemExit as stop:  # problems are reported; render what can be rendered
            localise_failed = bool(stop.code)
    _render(ctx.obj, today.date() if today else date.today())  # type: ignore[attr-defined]
    if localise_failed:
        raise SystemExit(1)


def _render(app: App, today: date) -> None:
    from newsletter.render import build

    settings = app.settings()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=app.err, transient=True) as progress:
        task = progress.add_task(app.t(msg("Rendering")), total=None)

        def show(what: Message, done: int, total: int) -> None:
            progress.update(task, description=app.t(what), completed=done, total=total)

        report = build.run(settings, today=today, on_progress=show)

    for path in report.written[:LISTED]:
        app.say(msg("wrote {path}", path=app.show_path(path)))
    if len(report.written) > LISTED:
        app.say(msg("... and {count} more", count=len(report.written) - LISTED))
    for path in report.removed:
        app.say(msg("removed {path}", path=app.show_path(path)))
    if report.skipped_languages:
        app.say(msg("unchanged, not rendered: {languages}",
                    languages=", ".join(report.skipped_languages)))
    app.say(msg("{written} files written, {unchanged} unchanged, {removed} removed. Feeds: {feeds}",
                written=len(report.written), unchanged=report.unchanged,
                removed=len(report.removed),
                feeds=app.show_path(settings.feeds_dir / "index.opml")))
