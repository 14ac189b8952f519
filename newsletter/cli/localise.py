"""`newsletter localise`: content -> every configured language, with provenance."""

from __future__ import annotations

import click
from rich import box
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from newsletter.cli.app import App, configured_languages, parse_languages, pass_app
from newsletter.messages import Message, msg
from newsletter.model import PROVENANCE_KINDS


@click.command("localise")
@click.option("--lang", "languages", multiple=True, callback=parse_languages,
              help="Only these languages (comma-separated or repeated); default: all configured.")
@click.option("--strict", is_flag=True,
              help="Fail (exit 1) when a language pair has no translation model.")
@pass_app
def localise_command(app: App, languages: tuple[str, ...], strict: bool) -> None:
    """Translate every item into each configured language (editors' files win)."""
    from newsletter.localise import stage

    settings = app.settings()
    languages = configured_languages(app, settings, languages)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=app.err, transient=True) as progress:
        task = progress.add_task(app.t(msg("Localising")), total=None)

        def show(what: Message, done: int, total: int) -> None:
            progress.update(task, description=app.t(what), completed=done, total=total)

        report = stage.run(settings, languages, on_progress=show)

    table = Table(title=app.t(msg("Localised items")), title_justify="left", box=box.SIMPLE_HEAD,
                  pad_edge=False, collapse_padding=True)
    provenance = {"source": msg("source"), "human": msg("human"), "machine": msg("machine"),
                  "missing": msg("missing")}
    headings = [msg("Language"), msg("Items"), *(provenance[k] for k in PROVENANCE_KINDS),
                msg("Memory"), msg("Engine"), msg("Written")]
    for index, heading in enumerate(headings):
        text = app.t(heading)
        table.add_column(text, justify="right" if index else "left", no_wrap=True,
                         min_width=len(text))
    for language, result in report.languages.items():
        table.add_row(language, str(result.items),
                      *(str(result.fields[kind]) for kind in PROVENANCE_KINDS),
                      str(result.from_memory), str(result.translated), str(result.written))
    app.out.print(table)

    if report.missing:
        missing = Table(title=app.t(msg("Language pairs without a translation model")),
                        title_justify="left", box=box.SIMPLE_HEAD)
        for heading in (msg("From"), msg("To"), msg("Items"), msg("To install a model")):
            missing.add_column(app.t(heading))
        for pair in report.missing:
            missing.add_row(pair.source, pair.target, str(pair.items), escape(pair.command))
        app.out.print(missing)
    for error in report.errors:
        app.complain(msg("error"), "red", error.render(app.catalog))
    for path, warning in report.warnings:
        app.complain(msg("warning"), "yellow",
                     f"{app.show_path(path)}: field '{warning.field}': {app.t(warning.message)}")
    written = sum(r.written for r in report.languages.values())
    calls = sum(r.engine_calls for r in report.languages.values())
    app.say(msg("{written} files written; {calls} engine calls; {missing} language pairs "
                "without a model; {errors} errors.", written=written, calls=calls,
                missing=len(report.missing), errors=len(report.errors)))
    if report.errors or (strict and report.missing):
        raise SystemExit(1)
