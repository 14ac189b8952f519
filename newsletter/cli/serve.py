"""`newsletter serve`: the editor preview, the subscription pages, the site and feeds."""

from __future__ import annotations

import click

from newsletter.cli.app import App, pass_app
from newsletter.messages import msg


@click.command("serve")
@click.option("--host", default=None, metavar="ADDRESS",
              help="Address to listen on (default: serve.host, 127.0.0.1). Editor pages need "
                   "the editor token on any address but a loopback one.")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port to listen on (default: serve.port, 8000).")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Requests handled at once.")
@pass_app
def serve_command(app: App, host: str | None, port: int | None, threads: int) -> None:
    """Serve the editor preview (/editor/), the subscribe, confirm and unsubscribe pages, and
    the built site and feeds, until stopped with Ctrl+C."""
    import waitress

    from newsletter.delivery.tokens import SecretError
    from newsletter.web import create_app
    from newsletter.web.app import WebError

    settings = app.settings()
    host = host or settings.serve.host
    port = port or settings.serve.port
    try:
        web = create_app(settings, host=host)
    except (SecretError, WebError) as error:
        raise click.ClickException(app.t(error.message)) from None
    address = f"[{host}]" if ":" in host else host
    app.say(msg("Editor preview: http://{address}:{port}/editor/", address=address, port=port))
    app.say(msg("Subscribe page: http://{address}:{port}/{language}/subscribe",
                address=address, port=port, language=settings.languages[0]))
    app.say(msg("Stop the server with Ctrl+C."))
    waitress.serve(web, host=host, port=port, threads=threads, ident="newsletter")
