"""Where the templates and translation catalogs that ship with the package are."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """`templates` or `locales`: inside an installed package, else in the source tree.

    A wheel carries them inside the package; an editable install runs from
    the source tree, where they sit at the top level next to `newsletter/`.
    """
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the {name!r} folder is missing from {PACKAGE_DIR}; reinstall the package")
