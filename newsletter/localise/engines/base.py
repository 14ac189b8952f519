"""What the localise stage needs from a translation engine: two methods."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from newsletter.messages import MessageError


class EngineError(MessageError, RuntimeError):
    """An engine that cannot do what was asked; the message says why and what to do."""


class Engine(Protocol):
    """Translates batches of plain-text segments for one language pair at a time."""

    name: str
    """Short name recorded in provenance and the translation memory (`argos`, `apertium`)."""

    def model_version(self, source: str, target: str) -> str | None:
        """Version of the model(s) for the pair, or None when the engine cannot translate it."""
        ...

    def translate(self, source: str, target: str, segments: Sequence[str]) -> list[str]:
        """One translation per segment, in order; the whole batch in one call."""
        ...
