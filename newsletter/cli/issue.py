"""`newsletter issue`: one week's digest email in every language, written out for review."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from rich import box
from rich.markup import escape
from rich.table import Table

from newsletter.cli.app import App, configured_languages, parse_languages, pass_app
from newsletter.messages import msg


@click.command("issue")
@click.argument("week")
@click.option("--lang", "languages", multiple=True, callback=parse_languages,
              help="Only these languages (comma-separated or repeated); default: all configured.")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the review files (default: DATA/issues/WEEK).")
@pass_app
def issue_command(app: App, week: str, languages: tuple[str, ...], out_dir: Path | None) -> None:
    """Render the digest of an ISO week (2021-W24) in each language, for review before sending."""
    from newsletter.digest import DigestError, select_issue
    from newsletter.render.email import CLIP_LIMIT, render_issue, write_review_files
    from newsletter.render.views import load_items

    settings = app.settings()
    languages = configured_languages(app, settings, languages)
    items = load_items(settings)
    try:
        issue = select_issue(settings, week, items)
    except DigestError as error:
        raise click.BadParameter(app.t(error.message), param_hint="WEEK") from None
    folder = out_dir or settings.data_dir / "issues" / issue.week

    table = Table(title=app.t(msg("Digest {week}", week=issue.week)), title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for index, heading in enumerate((msg("Language"), msg("Subject"), msg("News"),
                                     msg("Events"), msg("HTML (KB)"))):
        table.add_column(app.t(heading), justify="right" if index > 1 else "left")
    oversized = []
    for language in languages:
        rendered = render_issue(settings, issue, language, items)
        write_review_files(rendered, folder, sender=settings.smtp.sender)
        size = len(rendered.html.encode("utf-8"))
        shown = f"{size / 1024:.1f}"
        if size > CLIP_LIMIT:
            oversized.append(language)
            shown = f"[red]{shown}[/red]"
        table.add_row(language, escape(rendered.subject), str(len(issue.news)),
                      str(len(issue.events)), shown)
    app.out.print(table)

    if issue.empty:
        until = issue.last_day + timedelta(weeks=settings.digest_upcoming_weeks)
        app.complain(msg("warning"), "yellow", app.t(msg(
            "nothing new in {week}: no news published from {first} to {last} and no events "
            "starting from {first} to {until}", week=issue.week,
            first=issue.first_day.isoformat(), last=issue.last_day.isoformat(),
            until=until.isoformat())))
    if oversized:
        app.complain(msg("warning"), "yellow", app.t(msg(
            "the HTML is over {limit} KB in {languages}, so Gmail will clip it; send fewer items",
            limit=CLIP_LIMIT // 1024, languages=", ".join(oversized))))
    app.say(msg("Review files (HTML, text, .eml) in {folder}", folder=app.show_path(folder)))

