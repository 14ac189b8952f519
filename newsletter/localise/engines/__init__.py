"""Machine-translation engines, one module each, behind the `Engine` protocol."""

from newsletter.localise.engines.apertium import ApertiumEngine
from newsletter.localise.engines.base import Engine, EngineError

__all__ = ["ApertiumEngine", "Engine", "EngineError"]
