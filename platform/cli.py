"""The ``gridgov`` command line."""

from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup


def register_cli(app: Flask) -> None:
    pass


def _create_app():  # noqa: ANN202
    from gridgov.app import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, help="gridgov: grid governance platform")
