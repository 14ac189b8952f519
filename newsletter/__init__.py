"""Localised feeds and weekly digests from the news of European city networks."""

__version__ = "0.1.0"
