"""Readers' pages: subscribe (double opt-in), confirm, and unsubscribe (RFC 8058)."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("readers", __name__)
