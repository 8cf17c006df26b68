"""The portal: server-rendered pages under /t/<slug>/ for county staff."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    pass
