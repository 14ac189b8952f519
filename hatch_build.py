"""Build hook: compile the translation catalogs into the wheel.

Only the `.po` sources are kept in git (`locales/<lang>/LC_MESSAGES/`).
Building a wheel compiles each one with Babel into a temporary folder and
adds the `.mo` next to its source inside the package, at
`newsletter/locales/<lang>/LC_MESSAGES/messages.mo`. An editable install
gets nothing: it runs from the source tree, where `load_catalog` compiles
the `.po` files in memory. Fuzzy entries are left out, as `pybabel
compile` leaves them out; `tests/test_catalogs.py` keeps them from being
committed.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

DOMAIN = "messages"


class CatalogsBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        self._compiled = Path(tempfile.mkdtemp(prefix="newsletter-mo-"))
        sources = sorted(Path(self.root, "locales").glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
        for source in sources:
            language = source.parent.parent.name
            with source.open("rb") as fp:
                catalog = read_po(fp, locale=language, domain=DOMAIN)
            target = self._compiled / language / f"{DOMAIN}.mo"
            target.parent.mkdir(parents=True)
            with target.open("wb") as fp:
                write_mo(fp, catalog)
            build_data["force_include"][str(target)] = (
                f"newsletter/locales/{language}/LC_MESSAGES/{DOMAIN}.mo"
            )
        self.app.display_info(f"compiled {len(sources)} translation catalogs")

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        compiled = getattr(self, "_compiled", None)
        if compiled is not None:
            shutil.rmtree(compiled, ignore_errors=True)
