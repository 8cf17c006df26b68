"""Locale selection for Flask-Babel: Simplified Chinese first, English second."""

from __future__ import annotations

from flask import Flask

from gridgov.extensions import babel


def init_app(app: Flask) -> None:
    babel.init_app(app)
