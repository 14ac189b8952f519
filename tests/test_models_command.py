"""`newsletter models` against a real package index served over HTTP on 127.0.0.1.

The index is argostranslate's own format (a JSON list of package metadata
with download links), served with the tiny random-weight packages of
argos_model.py; `ARGOS_PACKAGE_INDEX` points argostranslate at it, as a user
would point it at a mirror. The developer's own argostranslate variables are
set to a decoy folder in a fake $HOME that must stay empty.
"""

from __future__ import annotations

import errno
import json
import os
import re
import socket
import sys
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("ctranslate2", reason="ctranslate2 missing: pip install argos-translate-lt")
pytest.importorskip("argostranslate", reason="argostranslate missing: pip install argos-translate-lt")

from argos_model import build_argos_package, corpus

from newsletter.cli import cli
from newsletter.config import load_settings
from newsletter.localise import models
from newsletter.localise.engines.argos import ArgosEngine

USE_A_FILE = "check the network or install a file with 'newsletter models install --file PATH'"
DOWNLOADS = Path(".newsletter/argostranslate/cache/argos-translate/downloads")


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """en -> el packages, versions 1.0 and 1.1."""
    folder = tmp_path_factory.mktemp("archives")
    text = corpus()
    return {version: build_argos_package(folder / f"en_el-{version}.argosmodel", "en", "el", text,
                                         package_version=version)
            for version in ("1.0", "1.1")}


class _Handler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        self.server.requests.append(self.path)  # type: ignore[attr-defined]


class IndexServer:
    """A folder served on 127.0.0.1 holding `index.json` and the archives it links to."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.server = ThreadingHTTPServer(("127.0.0.1", 0),
                                          partial(_Handler, directory=str(root)))
        self.server.requests = []  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    @property
    def requests(self) -> list[str]:
        return self.server.requests  # type: ignore[attr-defined]

    def publish(self, *archives: Path, extra: tuple[dict, ...] = ()) -> None:
        """Serve `archives` and list them (plus `extra` entries) in the index."""
        entries = []
        for archive in archives:
            (self.root / archive.name).write_bytes(archive.read_bytes())
            with zipfile.ZipFile(archive) as bundle:
                (name,) = [n for n in bundle.namelist() if n.endswith("/metadata.json")]
                metadata = json.loads(bundle.read(name))
            entries.append({**metadata, "links": [self.url + archive.name]})
        (self.root / "index.json").write_text(json.dumps([*entries, *extra]), encoding="utf-8")


@pytest.fixture
def index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[IndexServer]:
    served = tmp_path / "served"
    served.mkdir()
    server = IndexServer(served)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", server.url)
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
        thread.join()


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty $HOME, with argostranslate variables a developer might have set pointing into it."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(folder / "decoy-packages"))
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(folder / name.lower()))
    return folder


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


def run(project: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--project", str(project), "models", *args],
                                catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_install_list_remove_through_the_index(project: Path, index: IndexServer, home: Path,
                                               archives: dict[str, Path]) -> None:
    (project / "newsletter.toml").write_text('[translation]\nargos_packages = "models"\n',
                                             encoding="utf-8")
    index.publish(archives["1.0"])
    environ = dict(os.environ)
    settings_imported = "argostranslate.settings" in sys.modules

    code, out, err = run(project, "install", "en", "el")
    assert (code, out) == (0, "")
    assert err == f"Installed en → el 1.0 in {project / 'models'}.\n"
    assert (project / "models" / "translate-en_el-1_0" / "model" / "model.bin").is_file()
    assert ArgosEngine(project / "models").model_version("en", "el") == "en-el@1.0"
    assert index.requests == ["/index.json", "/en_el-1.0.argosmodel"]
    # The archive went to argostranslate's downloads folder under the data folder, then away.
    assert (project / DOWNLOADS).is_dir() and not list((project / DOWNLOADS).iterdir())

    code, out, _ = run(project, "list")
    assert code == 0
    assert re.search(r"^\s*en\s+el\s+1\.0\s+translate-en_el-1_0\s*$", out, re.MULTILINE), out

    code, out, err = run(project, "remove", "en", "el")
    assert (code, out) == (0, "")
    assert err == f"Removed en → el 1.0 from {project / 'models'}.\n"
    assert list((project / "models").iterdir()) == []
    code, out, err = run(project, "list")
    assert (code, out) == (0, "")
    assert err.startswith(f"No Argos models are installed in {project / 'models'};")

    # Nothing leaked: not into $HOME, not into this process's environment or imports.
    assert list(home.iterdir()) == []
    assert dict(os.environ) == environ
    assert ("argostranslate.settings" in sys.modules) == settings_imported


def test_progress_is_streamed_while_downloading(project: Path, index: IndexServer,
                                                archives: dict[str, Path]) -> None:
    index.publish(archives["1.0"])
    transfers: list[models.Transfer] = []
    result = models.install_from_index(load_settings(project), "en", "el", transfers.append)
    assert (result.package.source, result.package.target, result.package.version) == (
        "en", "el", "1.0")
    size = archives["1.0"].stat().st_size
    package = [t for t in transfers if t.what == "package"]
    assert package[0].done == 0 and package[-1].done == package[-1].total == size
    assert [t.done for t in package] == sorted(t.done for t in package)
    assert {t.url for t in transfers if t.what == "index"} == {index.url + "index.json"}


def test_installing_again_downloads_nothing_and_a_new_version_replaces_the_old(
        project: Path, index: IndexServer, archives: dict[str, Path]) -> None:
    index.publish(archives["1.0"])
    assert run(project, "install", "en", "el")[0] == 0
    code, _, err = run(project, "install", "EN", "el")
    assert code == 0
    assert err == f"en → el 1.0 is already installed in {project / '.newsletter/argos-packages'}.\n"
    assert index.requests.count("/en_el-1.0.argosmodel") == 1

    index.publish(archives["1.1"])
    code, _, err = run(project, "install", "en", "el")
    assert code == 0
    assert err == (f"Installed en → el 1.1 in {project / '.newsletter/argos-packages'}, "
                   "replacing 1.0.\n")
    assert [p.name for p in (project / ".newsletter/argos-packages").iterdir()] == [
        "translate-en_el-1_1"]


def test_list_available_shows_the_index_and_what_is_installed(
        project: Path, index: IndexServer, archives: dict[str, Path]) -> None:
    index.publish(archives["1.1"])
    code, out, _ = run(project, "list", "--available")
    assert code == 0
    assert f"Argos package index {index.url}index.json" in out
    assert re.search(r"^\s*en\s+el\s+1\.1\s+English → Greek\s*$", out, re.MULTILINE), out

    assert run(project, "install", "--file", str(archives["1.0"]))[0] == 0
    code, out, _ = run(project, "list", "--available")
    assert re.search(r"^\s*en\s+el\s+1\.1\s+English → Greek\s+1\.0\s*$", out, re.MULTILINE), out


@pytest.mark.parametrize("command", [("install", "en", "el"), ("list", "--available")])
def test_an_unreachable_index_fails_in_one_sentence(project: Path, command: tuple[str, ...],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    port = closed_port()
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", f"http://127.0.0.1:{port}")  # no final '/'
    refused = str(ConnectionRefusedError(errno.ECONNREFUSED, os.strerror(errno.ECONNREFUSED)))
    code, out, err = run(project, *command)
    assert (code, out) == (1, "")
    assert err == (f"Error: cannot reach the Argos package index at http://127.0.0.1:{port}/"
                   f"index.json: {refused}; {USE_A_FILE}\n")
    assert not (project / ".newsletter/argos-packages").exists() or not list(
        (project / ".newsletter/argos-packages").iterdir())


def test_a_pair_missing_from_the_index_names_what_there_is(
        project: Path, index: IndexServer, archives: dict[str, Path]) -> None:
    french = {"package_version": "1.0", "from_code": "en", "to_code": "fr",
              "from_name": "English", "to_name": "French", "links": []}
    index.publish(archives["1.0"], extra=(french,))
    code, out, err = run(project, "install", "en", "de")
    assert (code, out) == (1, "")
    assert err == (f"Error: the Argos package index at {index.url}index.json has no model from "
                   "en to de; from en it has: el, fr\n")
    code, _, err = run(project, "install", "de", "en")
    assert code == 1
    assert err == (f"Error: the Argos package index at {index.url}index.json has no model from "
                   "de; it has models from: en\n")


def test_a_broken_link_or_index_is_named(project: Path, index: IndexServer,
                                         archives: dict[str, Path]) -> None:
    index.publish(archives["1.0"])
    (index.root / archives["1.0"].name).unlink()
    code, _, err = run(project, "install", "en", "el")
    assert code == 1
    assert err == (f"Error: cannot download the model from {index.url}{archives['1.0'].name}: "
                   f"HTTP 404 File not found; {USE_A_FILE}\n")

    (index.root / "index.json").write_text("<html>moved</html>", encoding="utf-8")
    code, _, err = run(project, "install", "en", "el")
    assert code == 1
    assert err == (f"Error: the Argos package index at {index.url}index.json is not a valid "
                   "index: Expecting value: line 1 column 1 (char 0)\n")


def test_install_file(project: Path, archives: dict[str, Path]) -> None:
    code, out, err = run(project, "install", "--file", str(archives["1.0"]))
    assert (code, out) == (0, "")
    assert err == f"Installed en → el 1.0 in {project / '.newsletter/argos-packages'}.\n"
    code, out, _ = run(project, "list")
    assert re.search(r"^\s*en\s+el\s+1\.0\s+translate-en_el-1_0\s*$", out, re.MULTILINE), out


def test_install_file_refuses_a_flat_zip_and_a_non_zip(project: Path, tmp_path: Path) -> None:
    flat = tmp_path / "flat.argosmodel"
    with zipfile.ZipFile(flat, "w") as bundle:
        bundle.writestr("metadata.json", '{"from_code": "en", "to_code": "el"}')
        bundle.writestr("sentencepiece.model", b"")
        bundle.writestr("model/model.bin", b"")
    code, out, err = run(project, "install", "--file", str(flat))
    assert (code, out) == (1, "")
    assert err == f"Error: {flat}: an .argosmodel must hold one top-level folder\n"

    text = tmp_path / "notes.argosmodel"
    text.write_text("not a zip", encoding="utf-8")
    code, _, err = run(project, "install", "--file", str(text))
    assert code == 1
    assert err == f"Error: {text}: not an .argosmodel archive (not a zip file)\n"
    assert not (project / ".newsletter/argos-packages").exists()


def test_install_wants_a_pair_or_a_file(project: Path, archives: dict[str, Path]) -> None:
    code, _, err = run(project, "install")
    assert code == 2
    assert err.endswith("Error: give the language pair (FROM TO) or --file PATH\n")
    code, _, err = run(project, "install", "en", "el", "--file", str(archives["1.0"]))
    assert code == 2
    assert err.endswith("Error: give either FROM TO or --file PATH, not both\n")


def test_removing_a_pair_that_is_not_installed_fails(project: Path) -> None:
    code, _, err = run(project, "remove", "en", "el")
    assert code == 1
    assert err == ("Error: no Argos model from en to el is installed in "
                   f"{project / '.newsletter/argos-packages'}\n")
