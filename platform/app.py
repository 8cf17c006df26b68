"""The application factory."""

from __future__ import annotations

import os
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from gridgov import config as config_module
from gridgov.core.db import db_session, make_engine
from gridgov.core.plugins.hookspecs import PortalPages
from gridgov.core.plugins.manager import Module, get_plugin_host
from gridgov.web import ENGINE_KEY, PLUGINS_KEY, App, IdConverter, serve_securely


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Create the gridgov WSGI app; ``overrides`` replace settings (used by tests)."""
    instance_path = (overrides or {}).get("INSTANCE_PATH") or os.environ.get(
        "GRIDGOV_INSTANCE_PATH"
    )
    # gridgov is a namespace package (platform/ has no __init__.py, see DESIGN.md), so Flask
    # cannot find its folders by itself: name them.
    app = App(
        "gridgov",
        root_path=os.path.dirname(os.path.abspath(__file__)),
        instance_path=os.path.abspath(instance_path or "instance"),
        static_folder="portal/static",
        template_folder="portal/templates",
    )
    app.config.update(config_module.load_config(app.instance_path, overrides))
    # Before any route is added: every <int:…> of the core and of the modules is a bounded id.
    app.url_map.converters["int"] = IdConverter

    # What the core's runtime is built from in every app context (App.runtime).
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions[ENGINE_KEY] = engine
    # Department modules installed in this deployment; broken ones are logged and skipped.
    app.extensions[PLUGINS_KEY] = get_plugin_host(checks=(blueprint_problems,))

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        db_session.remove()

    from gridgov import api, i18n, portal, sessions
    from gridgov.extensions import csrf, limiter, login_manager

    sessions.init_app(app)
    # Before the CSRF check, which reads the form: the body is bounded before anyone reads it.
    app.before_request(_bound_body)
    i18n.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    api.init_app(app)
    portal.init_app(app)
    # After the API's own: flask-smorest would answer every error of the app in JSON.
    app.register_error_handler(HTTPException, _http_error)

    serve_securely(app)

    from gridgov.cli import register_cli

    register_cli(app)

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz() -> Any:
        from sqlalchemy import text

        with engine.connect().execution_options(reads_only=True) as connection:
            connection.execute(text("SELECT 1"))
        return jsonify(status="ready")

    return app


def blueprint_problems(module: Module) -> list[str]:
    """What the web layer refuses in a module: API blueprints and portal pages it cannot mount
    because they are not flask Blueprints."""
    problems = [
        f"API blueprint {blueprint!r} is not a flask Blueprint"
        for blueprint in module.api_blueprints
        if not isinstance(blueprint, Blueprint)
    ]
    problems.extend(
        f"portal pages {pages!r} are not PortalPages with a Blueprint"
        for pages in module.portal_pages
        if isinstance(pages, PortalPages) and not isinstance(pages.blueprint, Blueprint)
    )
    return problems


def _bound_body() -> None:
    """A body that carries no file (JSON, a plain form) is held to GRIDGOV_MAX_BODY_BYTES, an
    upload to MAX_CONTENT_LENGTH; past it, reading the body answers 413."""
    if request.mimetype != "multipart/form-data":
        config = current_app.config
        limits = [config.get("MAX_CONTENT_LENGTH"), config.get("GRIDGOV_MAX_BODY_BYTES")]
        request.max_content_length = min((n for n in limits if n is not None), default=None)


def _http_error(error: HTTPException) -> Any:
    """Any HTTP error of the app: JSON for the API (also a path no route matched), the
    portal's page, in the reader's language, for everything else."""
    from gridgov.api.errors import http_error, is_api_request
    from gridgov.portal.errors import error_page

    return http_error(error) if is_api_request() else error_page(error)
