"""`newsletter subscribers`: the people who get the digest, kept in `<data>/subscribers.db`.

Wiring only: `newsletter.delivery.subscribers` checks addresses and
languages and stores them; these commands turn its problems into messages
for the person at the terminal.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich import box
from rich.markup import escape
from rich.table import Table

from newsletter.cli.app import App, pass_app
from newsletter.config import Settings
from newsletter.messages import Message, msg, msg_plural

if TYPE_CHECKING:  # the delivery modules load lazily, per command
    from newsletter.delivery.subscribers import Subscriber

STATUS_LABELS = {"pending": msg("pending"), "confirmed": msg("confirmed"),
                 "unsubscribed": msg("unsubscribed")}


class _StatusChoice(click.Choice[str]):
    """`--status`: one of `delivery.subscribers.STATUSES`, read when the option is shown
    or used, so that module still loads with its command and not with every command."""

    def __init__(self) -> None:
        super().__init__(())

    @property  # type: ignore[override]
    def choices(self) -> Sequence[str]:
        from newsletter.delivery.subscribers import STATUSES

        return STATUSES

    @choices.setter
    def choices(self, value: Any) -> None:
        """Ignores what `click.Choice.__init__` sets: the statuses come from `STATUSES`."""


@click.group("subscribers")
def subscribers_group() -> None:
    """Add, import, list, remove and export the people who get the digest."""


@subscribers_group.command("add")
@click.argument("email")
@click.option("--lang", "language", required=True,
              help="Language they read the digest in; an unconfigured one falls back "
                   "(pt-BR -> pt -> the first configured language).")
@click.option("--confirmed", is_flag=True,
              help="Add them as confirmed (they agreed elsewhere) instead of pending.")
@pass_app
def add_command(app: App, email: str, language: str, confirmed: bool) -> None:
    """Add one subscriber, or change the language or status of one already listed."""
    from newsletter.delivery.subscribers import SubscriberError, SubscriberStore, normalise_email

    settings = app.settings()
    try:
        address = normalise_email(email)
    except SubscriberError as error:
        raise click.BadParameter(app.t(error.message), param_hint="EMAIL") from None
    code = _configured_language(app, settings, language)
    with SubscriberStore.open(settings.subscribers_db) as store:
        before = store.get(address)
        subscriber = store.add(address, code, status="confirmed" if confirmed else "pending")
    details = {"email": subscriber.email, "language": subscriber.language,
               "status": STATUS_LABELS[subscriber.status]}
    if before is None:
        said = msg("Added {email} ({language}, {status}).", **details)
    elif before == subscriber:
        said = msg("{email} is already listed ({language}, {status}); nothing changed.", **details)
    else:
        said = msg("Updated {email}: {language}, {status}.", **details)
    app.say(said)
    if not confirmed and before is not None and before.status == "confirmed":
        app.say(msg("They had confirmed already, so they stay confirmed."))


@subscribers_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
def import_command(app: App, file: Path) -> None:
    """Add or update everyone in a CSV file with email,language[,status] columns."""
    from newsletter.delivery.subscribers import CsvError, SubscriberStore

    settings = app.settings()
    try:
        with SubscriberStore.open(settings.subscribers_db) as store:
            result = store.import_csv(file, settings.languages)
    except CsvError as error:
        raise click.ClickException(app.t(error.message)) from None
    where = app.show_path(file)
    for line, note in result.notes:
        app.complain(msg("note"), "cyan", f"{where}:{line}: {app.t(note)}")
    for line, problem in result.problems:
        app.complain(msg("error"), "red", f"{where}:{line}: {app.t(problem)}")
    bad_rows = len({line for line, _ in result.problems})
    app.say(msg("{added} added, {updated} updated, {unchanged} unchanged; {problems}",
                added=result.added, updated=result.updated, unchanged=result.unchanged,
                problems=msg_plural("{count} row with problems, not imported.",
                                    "{count} rows with problems, not imported.", bad_rows)))
    if bad_rows:
        raise SystemExit(1)


@subscribers_group.command("list")
@click.option("--status", type=_StatusChoice(), default=None,
              help="Only subscribers with this status.")
@click.option("--lang", "language", default=None, help="Only subscribers reading this language.")
@pass_app
def list_command(app: App, status: str | None, language: str | None) -> None:
    """Show the subscribers as a table, oldest first."""
    from newsletter.delivery.subscribers import SubscriberStore
    from newsletter.model import normalise_language

    settings = app.settings()
    if language is not None:
        try:
            language = normalise_language(language.strip())
        except ValueError:
            raise click.BadParameter(app.t(msg(
                "{value!r} is not a language code such as 'el' or 'pt-BR'", value=language)),
                param_hint="'--lang'") from None
    with SubscriberStore.open(settings.subscribers_db) as store:
        subscribers = store.list(status=status, language=language)  # type: ignore[arg-type]
    if subscribers:
        app.out.print(_table(app, subscribers))
    app.say(msg_plural("{count} subscriber.", "{count} subscribers.", len(subscribers)))


@subscribers_group.command("remove")
@click.argument("email")
@pass_app
def remove_command(app: App, email: str) -> None:
    """Delete a subscriber and everything stored about them (unlike unsubscribing)."""
    from newsletter.delivery.subscribers import SubscriberStore

    settings = app.settings()
    with SubscriberStore.open(settings.subscribers_db) as store:
        removed = store.remove(email)
    if not removed:
        raise click.ClickException(app.t(msg("no subscriber has the address {email}",
                                             email=email.strip())))
    app.say(msg("Removed {email}.", email=email.strip()))


@subscribers_group.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def export_command(app: App, file: Path | None) -> None:
    """Write every subscriber as CSV (email,language,status) to FILE, or to standard output."""
    from newsletter.content import atomic_write
    from newsletter.delivery.subscribers import SubscriberStore

    settings = app.settings()
    buffer = io.StringIO()
    with SubscriberStore.open(settings.subscribers_db) as store:
        count = store.export_csv(buffer)
    if file is None or str(file) == "-":
        click.echo(buffer.getvalue(), nl=False)
        return
    atomic_write(file, buffer.getvalue(), mode=0o600)  # it lists people: for its owner only
    app.say(msg_plural("Exported {count} subscriber to {file}.",
                       "Exported {count} subscribers to {file}.", count,
                       file=app.show_path(file)))


def _configured_language(app: App, settings: Settings, requested: str) -> str:
    """The configured language for `requested`, saying so when it had to fall back."""
    from newsletter.delivery.subscribers import SubscriberError, resolve_language_with_fallback

    try:
        code, fell_back = resolve_language_with_fallback(requested, settings.languages)
    except SubscriberError as error:
        raise click.BadParameter(app.t(error.message), param_hint="'--lang'") from None
    if fell_back:
        app.complain(msg("note"), "cyan", app.t(msg(
            "{requested} is not a configured language (configured: {configured}); using "
            "{language}", requested=requested, configured=", ".join(settings.languages),
            language=code)))
    return code


def _table(app: App, subscribers: list[Subscriber]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    headings: list[Message] = [msg("ID"), msg("Email"), msg("Language"), msg("Status"),
                               msg("Added"), msg("Changed")]
    longest = max(len(subscriber.email) for subscriber in subscribers)
    for index, heading in enumerate(headings):
        # Addresses fold, never lose characters; in a narrow terminal the dates give way.
        table.add_column(app.t(heading), justify="right" if index == 0 else "left",
                         overflow="fold", no_wrap=index in (0, 2, 3),
                         min_width=min(longest, 20) if index == 1 else None)
    for subscriber in subscribers:
        # Dates only: the table is for finding people; the export and the database keep more.
        table.add_row(str(subscriber.id), escape(subscriber.email), subscriber.language,
                      app.t(STATUS_LABELS[subscriber.status]), subscriber.created_at[:10],
                      subscriber.updated_at[:10])
    return table
