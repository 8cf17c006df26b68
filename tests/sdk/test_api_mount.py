"""How the host mounts a module's API: a ``gridgov.sdk.api.Blueprint`` is registered through
the platform's flask-smorest Api (its routes in the spec), a plain Flask blueprint still
serves its routes but stays out of the spec — a third party's plain blueprint must not stop
the platform from starting."""

from __future__ import annotations

import types
import warnings

from flask import Blueprint
from flask.views import MethodView

from gridgov import app as app_module
from gridgov.app import create_app
from gridgov.core.plugins import manager
from gridgov.core.plugins.hookspecs import ModuleInfo, hookimpl
from gridgov.sdk import api as sdk_api


def _module(name: str, blueprint: Blueprint) -> object:
    plugin = types.ModuleType(f"plugin_{name}")
    plugin.gridgov_module_info = hookimpl(
        lambda: ModuleInfo(name=name, title="测试", department="县测试局", version="1")
    )
    plugin.gridgov_api_blueprints = hookimpl(lambda: [blueprint])
    return plugin


def test_documented_and_plain_blueprints_are_both_served(monkeypatch, tmp_path):
    documented = sdk_api.Blueprint("documented_api", __name__)

    @documented.route("/ping")
    class Ping(MethodView):
        @documented.requires("tasks:read")
        @documented.response(200)
        def get(self):
            """Answer"""
            return {}

    plain = Blueprint("plain_api", __name__)
    plain.add_url_rule("/ping", "ping", lambda: "")
    modules = (_module("documented", documented), _module("plain", plain))
    monkeypatch.setattr(
        app_module,
        "get_plugin_host",
        lambda checks: manager.get_plugin_host(
            load_entrypoints=False, plugins=modules, checks=checks
        ),
    )
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "test", "TESTING": True})
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert {
        "/t/<slug>/api/v1/modules/documented/ping",
        "/t/<slug>/api/v1/modules/plain/ping",
    } <= rules
    paths = app.test_client().get("/api/openapi.json").get_json()["paths"]
    assert "/t/{slug}/api/v1/modules/documented/ping" in paths
    assert "/t/{slug}/api/v1/modules/plain/ping" not in paths


def test_no_two_schemas_of_the_core_and_the_modules_share_a_name(tmp_path):
    # apispec renames a clashing schema ("Figure1") with a warning: a module's schema would
    # then be documented under a name nobody chose. Modules prefix theirs (docs/sdk.md).
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "test", "TESTING": True})
    assert [str(w.message) for w in caught if "Multiple schemas" in str(w.message)] == []
