"""The Argos package index, read through argostranslate in a process of its own.

`newsletter.localise.models` runs this module as a child process
(`python -m newsletter.localise.argos_index index|download ...`) with an
environment it builds for the purpose, because `argostranslate.settings`
reads its configuration from the environment once, at import, and creates
folders under `$HOME` as it does (see that module's docstring). Here, and only
here, argostranslate may be imported with whatever environment it finds.

The child talks to its parent in JSON lines on stdout, one event per line:

* `{"event": "transfer", "what", "url", "done", "total"}`: bytes of the index
  (`what` is `index`) or of a package received so far (`total` is null when
  the server sends no length);
* `{"event": "index", "url", "packages": [{"from", "to", "version", "from_name",
  "to_name"}]}`: the translation packages the index lists;
* `{"event": "downloaded", "path", "version"}`: the archive is in
  argostranslate's downloads folder, not yet installed (the parent installs it
  with its own, validating, installer);
* `{"event": "up_to_date", "version"}`: the installed version is the index's;
* `{"event": "error", "code", ...}`: `unreachable` (`url`, `reason`),
  `bad_index` (`url`, `reason`), `not_in_index` (`url`, `source`, `target`,
  `targets`, `sources`), `download_failed` (`links`, `reason`).

It never writes a sentence for people: the parent turns events into
translatable messages. Exit status 0 after a result, 1 after an error event.
"""

from __future__ import annotations

import argparse
import json
import logging
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import IO, Any

TIMEOUT_SECONDS = 30.0
"""Longest wait for a connection or for the next bytes; argostranslate sets none."""
CHUNK = 256 * 1024
"""Bytes read between two progress events."""

Emit = Callable[[dict[str, Any]], None]


def _emitter(stream: IO[str]) -> Emit:
    def emit(event: dict[str, Any]) -> None:
        stream.write(json.dumps(event, ensure_ascii=False) + "\n")
        stream.flush()

    return emit


class _CountedResponse:
    """A response whose `read()` reports the bytes received as they arrive.

    argostranslate reads every download with one `response.read()`; reading
    in chunks here gives the same bytes and a progress event per chunk.
    """

    def __init__(self, response: Any, url: str, what: str, emit: Emit) -> None:
        self._response = response
        self._url = url
        self._what = what
        self._emit = emit
        self._done = 0
        length = response.headers.get("Content-Length")
        self._total = int(length) if length and length.isdigit() else None
        self._report()

    def _report(self) -> None:
        self._emit({"event": "transfer", "what": self._what, "url": self._url,
                    "done": self._done, "total": self._total})

    def read(self, amount: int | None = None) -> bytes:
        if amount is not None and amount >= 0:
            data = self._response.read(amount)
            self._done += len(data)
            self._report()
            return data
        chunks = []
        while chunk := self._response.read(CHUNK):
            chunks.append(chunk)
            self._done += len(chunk)
            self._report()
        return b"".join(chunks)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._response, name)


class WatchingOpener:
    """What `urllib.request.urlopen` calls in this process: progress, a timeout, the last error.

    argostranslate fetches with `urlopen` and logs failures as the repr of
    an argument tuple; installed with `urllib.request.install_opener`, this
    keeps the reason itself (`errors[url]`) for the message the user sees.
    """

    def __init__(self, emit: Emit, index_url: str) -> None:
        self._opener = urllib.request.build_opener()
        self._emit = emit
        self._index_url = index_url
        self.errors: dict[str, str] = {}

    def open(self, fullurl: Any, data: Any = None,
             timeout: Any = socket._GLOBAL_DEFAULT_TIMEOUT) -> Any:  # type: ignore[attr-defined]
        url = fullurl.full_url if isinstance(fullurl, urllib.request.Request) else str(fullurl)
        if timeout is socket._GLOBAL_DEFAULT_TIMEOUT:  # type: ignore[attr-defined]
            timeout = TIMEOUT_SECONDS
        try:
            response = self._opener.open(fullurl, data, timeout)
        except Exception as error:
            self.errors[url] = _reason(error)
            raise
        what = "index" if url == self._index_url else "package"
        return _CountedResponse(response, url, what, self._emit)


def _reason(error: BaseException) -> str:
    """The cause of a failed fetch, as short as it can be said."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    return str(error) or type(error).__name__


def _read_index(opener: WatchingOpener, emit: Emit) -> list[Any] | None:
    """argostranslate's available packages, freshly fetched; None after an error event.

    argostranslate only logs a failed fetch and keeps whatever index it had,
    and `get_available_packages()` recurses without end when it has none, so
    the old copy goes first and a missing file means the fetch failed.
    """
    from argostranslate import package, settings

    url = str(settings.remote_package_index)
    settings.local_package_index.unlink(missing_ok=True)
    package.update_package_index()
    if not settings.local_package_index.exists():
        emit({"event": "error", "code": "unreachable", "url": url,
              "reason": opener.errors.get(url, "no answer")})
        return None
    try:
        available = package.get_available_packages()
    except Exception as error:  # a JSON, type or key error from a malformed index
        emit({"event": "error", "code": "bad_index", "url": url, "reason": _reason(error)})
        return None
    return [p for p in available if p.type == "translate" and p.from_code and p.to_code]


def _describe(available: list[Any]) -> list[dict[str, str]]:
    rows = [{"from": p.from_code, "to": p.to_code, "version": str(p.package_version),
             "from_name": p.from_name, "to_name": p.to_name} for p in available]
    return sorted(rows, key=lambda r: (r["from"], r["to"], r["version"]))


def list_index(emit: Emit) -> int:
    from argostranslate import settings

    opener = _install_opener(emit)
    available = _read_index(opener, emit)
    if available is None:
        return 1
    emit({"event": "index", "url": str(settings.remote_package_index),
          "packages": _describe(available)})
    return 0


def download(emit: Emit, source: str, target: str, installed_version: str | None) -> int:
    """Fetch the newest `source`->`target` package with argostranslate's `download()`."""
    import packaging.version
    from argostranslate import package, settings

    opener = _install_opener(emit)
    available = _read_index(opener, emit)
    if available is None:
        return 1
    matches = [p for p in available if (p.from_code, p.to_code) == (source, target)]
    if not matches:
        emit({"event": "error", "code": "not_in_index", "url": str(settings.remote_package_index),
              "source": source, "target": target,
              "targets": sorted({p.to_code for p in available if p.from_code == source}),
              "sources": sorted({p.from_code for p in available})})
        return 1
    newest = max(matches, key=lambda p: _version_key(packaging.version, p.package_version))
    version = str(newest.package_version)
    if installed_version == version:
        emit({"event": "up_to_date", "version": version})
        return 0
    # download() reuses any file of the same name, and the name has no version.
    stale = settings.downloads_dir / (package.argospm_package_name(newest) + ".argosmodel")
    stale.unlink(missing_ok=True)
    try:
        path = newest.download()
    except Exception as error:
        reasons = [opener.errors[link] for link in newest.links if link in opener.errors]
        emit({"event": "error", "code": "download_failed", "links": list(newest.links),
              "reason": reasons[-1] if reasons else _reason(error)})
        return 1
    emit({"event": "downloaded", "path": str(path), "version": version})
    return 0


def _version_key(versions: Any, text: str) -> tuple[int, Any]:
    """Sort key for package versions; unparsable ones sort first."""
    try:
        return (1, versions.parse(str(text)))
    except versions.InvalidVersion:
        return (0, str(text))


def _install_opener(emit: Emit) -> WatchingOpener:
    from argostranslate import settings

    opener = WatchingOpener(emit, str(settings.remote_package_index))
    urllib.request.install_opener(opener)  # type: ignore[arg-type]
    return opener


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m newsletter.localise.argos_index")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("index", help="list the translation packages in the index")
    fetch = commands.add_parser("download", help="download the newest package for a pair")
    fetch.add_argument("source")
    fetch.add_argument("target")
    fetch.add_argument("--installed-version", default=None)
    args = parser.parse_args(argv)
    # argostranslate logs each failed fetch; the reason reaches the parent in an event instead.
    logging.getLogger("argostranslate").addHandler(logging.NullHandler())
    emit = _emitter(sys.stdout)
    if args.command == "index":
        return list_index(emit)
    return download(emit, args.source, args.target, args.installed_version)


if __name__ == "__main__":
    sys.exit(main())
