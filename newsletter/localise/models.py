"""Argos translation models: list, install (from the package index or a file), remove.

Every failure is an `EngineError` whose message says why and what to do.

Packages live in `Settings.argos_dir`, the folder the Argos engine reads.
Listing, removing and installing a file need no argostranslate at all: the
engine's own reader and validating installer do it in this process.

**The package index runs in a child process.** Fetching the index and a
package goes through argostranslate's own API (`update_package_index`,
`get_available_packages`, `AvailablePackage.download`), so index formats and
download mirrors stay argostranslate's business. But `argostranslate.settings`
reads `ARGOS_PACKAGES_DIR`, `ARGOS_PACKAGE_INDEX` and the `XDG_*` folders
from the environment once, at import, creates folders under `$HOME` as it
does, and keeps them as module globals. Setting `os.environ` here before
importing it would leak into everything else this process runs, and a second
project in the same process (a test run, a future web front end) would get
the first one's folders. Patching its module attributes afterwards is fragile
(several are derived from one another at import). So the index work runs in
`python -m newsletter.localise.argos_index` with an environment built for it
(`child_environment`), and streams progress back as JSON lines; this process's
environment is never touched. argostranslate's index copy, settings file and
downloads go under `<data>/argostranslate/`, never `~/.local` or `~/.cache`.
The index address is argostranslate's own `ARGOS_PACKAGE_INDEX`, passed
through (with the trailing `/` that argostranslate needs added when missing).

**Installs are validated and atomic.** A downloaded archive is installed
like a local one: `install_package_file` checks it and unpacks it in a
staging folder under the data folder, and only then does it replace the
pair's previous package. argostranslate's `install_from_path` would unpack a
malformed zip straight into the packages folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from newsletter.config import Settings
from newsletter.localise.engines.argos import (
    ArgosPackage,
    install_package_file,
    installed_packages,
)
from newsletter.localise.engines.base import EngineError
from newsletter.messages import Message, msg
from newsletter.model import base_language

INDEX_VARIABLE = "ARGOS_PACKAGE_INDEX"
"""argostranslate's variable for the index address (a folder URL holding `index.json`)."""
ARGOS_HOME = "argostranslate"
"""Folder under the data folder for argostranslate's index copy, settings and downloads."""
HELPER = "newsletter.localise.argos_index"
USE_A_FILE = msg("check the network or install a file with "
                 "'newsletter models install --file PATH'")


@dataclass(frozen=True)
class Transfer:
    """Progress of one download, reported as the bytes arrive."""

    what: str
    """`index` or `package`."""
    url: str
    done: int
    """Bytes received so far."""
    total: int | None
    """Bytes expected; None when the server does not say."""


@dataclass(frozen=True)
class IndexEntry:
    """One translation package the index offers."""

    source: str
    target: str
    version: str
    source_name: str
    target_name: str


@dataclass(frozen=True)
class PackageIndex:
    """The translation packages of one index, by pair."""

    url: str
    """Where the index was read (`.../index.json`)."""
    packages: tuple[IndexEntry, ...]


@dataclass(frozen=True)
class Installed:
    """What an install did."""

    package: ArgosPackage
    """The package now in the packages folder."""
    replaced: tuple[ArgosPackage, ...] = ()
    """Packages of the same pair it replaced (other versions)."""
    up_to_date: bool = False
    """True when the index's version was already installed and nothing was downloaded."""


OnTransfer = Callable[[Transfer], None]


def installed(settings: Settings) -> list[ArgosPackage]:
    """The packages in the packages folder, sorted by pair."""
    return installed_packages(settings.argos_dir)


def available(settings: Settings, on_transfer: OnTransfer | None = None) -> PackageIndex:
    """The translation packages the Argos package index offers (needs the network)."""
    event = _run_helper(settings, ["index"], on_transfer)
    packages = tuple(IndexEntry(source=p["from"], target=p["to"], version=p["version"],
                                source_name=p["from_name"], target_name=p["to_name"])
                     for p in event["packages"])
    return PackageIndex(url=event["url"], packages=packages)


def install_from_index(settings: Settings, source: str, target: str,
                       on_transfer: OnTransfer | None = None) -> Installed:
    """Download the index's newest `source`->`target` package and install it.

    Nothing is downloaded when that version is already installed.
    """
    source, target = _code(source), _code(target)
    current = [p for p in installed(settings) if (p.source, p.target) == (source, target)]
    arguments = ["download", source, target]
    if len(current) == 1:
        arguments += ["--installed-version", current[0].version]
    event = _run_helper(settings, arguments, on_transfer)
    if event["event"] == "up_to_date":
        return Installed(package=current[0], up_to_date=True)
    archive = Path(event["path"])
    try:
        return install_file(settings, archive)
    finally:
        archive.unlink(missing_ok=True)


def install_file(settings: Settings, archive: Path) -> Installed:
    """Install an `.argosmodel` file, replacing any other version of its pair."""
    packages_dir = settings.argos_dir
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="argos-install-", dir=settings.data_dir) as staging:
        staged = install_package_file(archive, Path(staging))
        replaced = tuple(p for p in installed(settings)
                         if (p.source, p.target) == (staged.source, staged.target))
        destination = packages_dir / staged.path.name
        if destination.exists() and destination not in {p.path for p in replaced}:
            raise EngineError(msg("{path} already exists and holds another package; remove it "
                                  "first", path=str(destination)))
        for package in replaced:
            shutil.rmtree(package.path)
        packages_dir.mkdir(parents=True, exist_ok=True)
        shutil.move(staged.path, destination)
    new = ArgosPackage.read(destination)
    return Installed(package=new, replaced=tuple(p for p in replaced if p.version != new.version))


def remove(settings: Settings, source: str, target: str) -> list[ArgosPackage]:
    """Delete every installed package for the pair; at least one must exist."""
    source, target = _code(source), _code(target)
    found = [p for p in installed(settings) if (p.source, p.target) == (source, target)]
    if not found:
        raise EngineError(msg("no Argos model from {source} to {target} is installed in {folder}",
                              source=source, target=target, folder=str(settings.argos_dir)))
    for package in found:
        shutil.rmtree(package.path)
    return found


def child_environment(settings: Settings, environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` with argostranslate pointed at this project's folders only.

    Every other `ARGOS_*` and `XDG_*` variable is dropped, so a developer's
    own argostranslate setup cannot change where packages go; `SNAP` would add
    the snap's package folders.
    """
    home = settings.data_dir / ARGOS_HOME
    env = {name: value for name, value in environ.items()
           if not name.startswith(("ARGOS_", "XDG_")) and name not in ("SNAP", "SNAP_USER_DATA")}
    index = environ.get(INDEX_VARIABLE, "").strip()
    if index:
        env[INDEX_VARIABLE] = index if index.endswith("/") else index + "/"
    env.update({
        "ARGOS_PACKAGES_DIR": str(settings.argos_dir),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "ARGOS_DEBUG": "0",
        "PYTHONIOENCODING": "utf-8",
    })
    return env


def _code(language: str) -> str:
    """Argos codes are lower-case base languages (`en`, `pt`, `zt`): `pt-BR` installs `pt`."""
    return base_language(language.strip()).lower()


def _run_helper(settings: Settings, arguments: list[str],
                on_transfer: OnTransfer | None) -> dict[str, Any]:
    """Run the index helper; report its transfers; return its result event or raise."""
    if find_spec("argostranslate") is None:
        raise EngineError(msg("the Argos package index needs argostranslate; install it with "
                              "'pip install argos-translate-lt'"))
    result: dict[str, Any] | None = None
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", HELPER, *arguments],
            env=child_environment(settings, os.environ), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=errors, text=True, encoding="utf-8")
        try:
            assert process.stdout is not None
            for line in process.stdout:
                event = _event(line)
                if event is None:
                    continue
                if event.get("event") == "transfer":
                    if on_transfer:
                        on_transfer(Transfer(what=event["what"], url=event["url"],
                                             done=event["done"], total=event["total"]))
                else:
                    result = event
            process.wait()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        if result is None:
            errors.seek(0)
            lines = errors.read().decode("utf-8", "replace").strip().splitlines()
            raise EngineError(msg("the Argos index helper stopped with status {status}: {detail}",
                                  status=process.returncode,
                                  detail=lines[-1] if lines else "no output"))
    if result["event"] == "error":
        raise EngineError(_error_message(result))
    return result


def _event(line: str) -> dict[str, Any] | None:
    """One JSON event, or None for anything else a library printed on stdout."""
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) and "event" in event else None


def _error_message(event: Mapping[str, Any]) -> Message:
    code = event.get("code")
    if code == "unreachable":
        return msg("cannot reach the Argos package index at {url}: {reason}; {hint}",
                   url=event["url"], reason=event["reason"], hint=USE_A_FILE)
    if code == "bad_index":
        return msg("the Argos package index at {url} is not a valid index: {reason}",
                   url=event["url"], reason=event["reason"])
    if code == "not_in_index" and event["targets"]:
        return msg("the Argos package index at {url} has no model from {source} to {target}; "
                   "from {source} it has: {targets}", url=event["url"], source=event["source"],
                   target=event["target"], targets=", ".join(event["targets"]))
    if code == "not_in_index":
        return msg("the Argos package index at {url} has no model from {source}; it has models "
                   "from: {sources}", url=event["url"], source=event["source"],
                   sources=", ".join(event["sources"]) or "-")
    if code == "download_failed":
        return msg("cannot download the model from {links}: {reason}; {hint}",
                   links=", ".join(event["links"]) or "-", reason=event["reason"],
                   hint=USE_A_FILE)
    return msg("the Argos index helper reported an unknown problem: {event}",
               event=json.dumps(event, ensure_ascii=False))
