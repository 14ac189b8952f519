"""`newsletter send`: one week's digest to every confirmed subscriber, each once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich import box
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from newsletter.cli.app import App, pass_app
from newsletter.messages import msg

if TYPE_CHECKING:
    from newsletter.delivery.send import SendReport


@click.command("send")
@click.argument("week")
@click.option("--dry-run", "dry_run_dir", default=None, metavar="DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help="Write each message as an .eml file into DIR instead of sending it; the "
                   "send log is not touched.")
@click.option("--limit", type=click.IntRange(min=1), default=None, metavar="N",
              help="Send at most N messages in this run (those already sent do not count).")
@click.option("--force", is_flag=True,
              help="Send the digest even when the week has no news and no events.")
@click.option("--resend-unconfirmed", is_flag=True,
              help="Also resend the messages an earlier run handed to the server without "
                   "getting its answer (probably delivered; same Message-ID).")
@click.option("--unapproved", is_flag=True,
              help="Also send languages no editor approved, or that changed since they were "
                   "approved.")
@pass_app
def send_command(app: App, week: str, dry_run_dir: Path | None, limit: int | None, force: bool,
                 resend_unconfirmed: bool, unapproved: bool) -> None:
    """Email the digest of WEEK (such as 2021-W24) to every confirmed subscriber who has
    not had it yet, in the languages an editor approved."""
    from newsletter.delivery.send import SendError, send_issue
    from newsletter.digest import DigestError, parse_week

    settings = app.settings()
    try:
        parse_week(week)
    except DigestError as error:
        raise click.BadParameter(app.t(error.message), param_hint="WEEK") from None
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=app.err, transient=True) as progress:
        task = progress.add_task(app.t(msg("Rendering")), total=None)
        label = app.t(msg("Writing") if dry_run_dir else msg("Sending"))

        def show(done: int, total: int) -> None:
            progress.update(task, description=label, completed=done, total=total)

        try:
            report = send_issue(settings, week, limit=limit, dry_run_dir=dry_run_dir,
                                force=force, resend_unconfirmed=resend_unconfirmed,
                                unapproved=unapproved, on_progress=show)
            stopped = None
        except SendError as error:
            if error.report is None:
                raise click.ClickException(app.t(error.message)) from None
            report, stopped = error.report, error

    if report.empty:
        app.say(msg("The digest of {week} has no news and no events; nothing was sent (--force "
                    "sends it anyway).", week=report.issue))
        return
    if stopped is None or any(counts.total for counts in report.languages.values()):
        _summary(app, report)
    if stopped is not None:
        raise click.ClickException(app.t(stopped.message))
    if report.failures:
        raise SystemExit(1)


def _summary(app: App, report: SendReport) -> None:
    """The table per language, then each failure and unconfirmed message."""
    dry_run = report.dry_run_dir is not None
    table = Table(title=app.t(msg("Digest {week}", week=report.issue)), title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    headings = [msg("Language"), msg("Written") if dry_run else msg("Sent"),
                msg("Already sent"), msg("Failed"), msg("Unconfirmed")]
    for index, heading in enumerate(headings):
        text = app.t(heading)
        table.add_column(text, justify="right" if index else "left", no_wrap=True,
                         min_width=len(text))
    for language, counts in sorted(report.languages.items()):
        table.add_row(language, str(counts.sent), str(counts.skipped), str(counts.failed),
                      str(counts.unconfirmed))
    app.out.print(table)

    if report.failures:
        failures = Table(title=app.t(msg("Refused by the server")), title_justify="left",
                         box=box.SIMPLE_HEAD)
        for heading in (msg("Address"), msg("Code"), msg("Reply")):
            failures.add_column(app.t(heading))
        for failure in report.failures:
            failures.add_row(escape(failure.email), str(failure.code or ""),
                             escape(failure.message))
        app.out.print(failures)
    for address in report.unconfirmed:
        app.complain(msg("unconfirmed"), "yellow", app.t(msg(
            "{address}: handed to the server, which did not answer before the connection or "
            "the program stopped; probably delivered, so not sent again (--resend-unconfirmed "
            "sends it again)", address=address)))
    if dry_run:
        app.say(msg("Messages written to {folder}; nothing was sent.",
                    folder=app.show_path(report.dry_run_dir)))
    if report.held_back:
        app.say(msg("{count} messages left for a later run (--limit).", count=report.held_back))
