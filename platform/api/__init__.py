"""The REST API (flask-smorest): tenant APIs under /t/<slug>/api/v1/, the operator API under
/api/v1/, OpenAPI at /api/openapi.json."""

from __future__ import annotations

from flask import Flask

from gridgov.extensions import api


def init_app(app: Flask) -> None:
    api.init_app(app)
