"""A non-editable install carries templates/ and locales/ inside the package."""

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
    assert "newsletter/cli.py" in names

    # Run from the unpacked wheel alone: the package finds its own resources.
    found = subprocess.run(
        [sys.executable, "-c",
         "from newsletter.resources import resource_dir; print(resource_dir('locales'))"],
        cwd=tmp_path, env={"PYTHONPATH": str(tmp_path / "site")},
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    assert Path(found) == tmp_path / "site" / "newsletter" / "locales"
