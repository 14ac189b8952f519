"""Machine-translation engines, one module each, behind the `Engine` protocol."""

from newsletter.localise.engines.base import Engine, EngineError

__all__ = ["Engine", "EngineError"]
