"""A non-editable install carries templates/ and locales/ inside the package.

The translation catalogs are compiled by the build (`hatch_build.py`): the
wheel holds a `.mo` for every `.po` in the source tree, and needs nothing
else from it.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import REPO


def test_wheel_ships_templates_and_locales(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(tmp_path), str(REPO)],
        check=True, capture_output=True,
    )
    (wheel,) = tmp_path.glob("newsletter-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    assert "newsletter/templates/README.md" in names
    assert "newsletter/locales/messages.pot" in names
    assert "newsletter/cli/__init__.py" in names

    # Run from the unpacked wheel alone: the package finds its own resources.
    found = subprocess.run(
        [sys.executable, "-c",
         "from newsletter.resources import resource_dir; print(resource_dir('locales'))"],
        cwd=tmp_path, env={"PYTHONPATH": str(tmp_path / "site")},
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    assert Path(found) == tmp_path / "site" / "newsletter" / "locales"

    # Every catalog is compiled into the wheel, and the compiled ones are what
    # gets loaded: with the .po sources gone, the unpacked wheel speaks Greek.
    sources = sorted(REPO.glob("locales/*/LC_MESSAGES/messages.po"))
    assert sources
    for source in sources:
        assert f"newsletter/locales/{source.parent.parent.name}/LC_MESSAGES/messages.mo" in names
    for po in (tmp_path / "site" / "newsletter" / "locales").glob("*/LC_MESSAGES/*.po"):
        po.unlink()
    greek = subprocess.run(
        [sys.executable, "-c",
         "from newsletter.messages import load_catalog, msg\n"
         "from newsletter.resources import resource_dir\n"
         "catalog = load_catalog(resource_dir('locales'), 'el-GR')\n"
         "print(msg('{file}: no such configuration file', file='x.toml').render(catalog))"],
        cwd=tmp_path, env={"PYTHONPATH": str(tmp_path / "site")},
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    assert greek == "x.toml: το αρχείο ρυθμίσεων δεν υπάρχει"
