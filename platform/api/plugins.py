"""Department modules in the API: the operator's list of installed plugins (and of those that
failed to load), and the modules' own API blueprints, mounted behind the county's admissions
and documented in the OpenAPI spec like the core's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import flask_smorest
from flask import Blueprint, request
from flask.views import MethodView
from marshmallow import fields

from gridgov.api import auth
from gridgov.api.blueprint import ApiBlueprint
from gridgov.api.schemas import ApiSchema
from gridgov.core import runtime
from gridgov.core.admission import activation
from gridgov.core.plugins.manager import PluginHost

blp = ApiBlueprint(
    "plugins",
    __name__,
    url_prefix="/api/v1/plugins",
    description="平台运维：已安装的部门模块，以及加载失败的插件和原因",
    operator=True,
)


class PluginSchema(ApiSchema):
    name = fields.String(dump_only=True, metadata={"description": "模块名或入口点名"})
    title = fields.String(dump_only=True, allow_none=True)
    department = fields.String(dump_only=True, allow_none=True)
    version = fields.String(dump_only=True, allow_none=True)
    forms = fields.List(fields.String(), dump_only=True)
    task_types = fields.List(fields.String(), dump_only=True)
    scoring_rules = fields.List(fields.String(), dump_only=True)
    tags = fields.List(fields.String(), dump_only=True)
    is_loaded = fields.Boolean(dump_only=True)
    error = fields.String(dump_only=True, allow_none=True, metadata={"description": "未加载的原因"})


@dataclass(frozen=True)
class PluginView:
    name: str
    is_loaded: bool
    title: str | None = None
    department: str | None = None
    version: str | None = None
    forms: tuple[str, ...] = ()
    task_types: tuple[str, ...] = ()
    scoring_rules: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    error: str | None = None


@blp.route("")
class Plugins(MethodView):
    @blp.requires("plugins:read")
    @blp.response(200, PluginSchema(many=True))
    def get(self) -> list[PluginView]:
        """Installed modules, then plugins that failed to load and why"""
        host = runtime.current().plugins
        loaded = [
            PluginView(
                name=m.name,
                is_loaded=True,
                title=m.info.title,
                department=m.info.department,
                version=m.info.version,
                forms=tuple(f.code for f in m.forms),
                task_types=tuple(t.name for t in m.task_types),
                scoring_rules=tuple(r.code for r in m.scoring_rules),
                tags=tuple(t.code for t in m.tags),
            )
            for m in (host.installed[name] for name in sorted(host.installed))
        ]
        failed = [
            PluginView(name=name, is_loaded=False, error=reason)
            for name, reason in sorted(host.failures.items())
        ]
        return loaded + failed


def mount(api: flask_smorest.Api, host: PluginHost) -> None:
    """Register every installed module's API blueprints under
    ``/t/<slug>/api/v1/modules/<module>/`` through the flask-smorest ``api``, so that their
    routes and schemas are in ``/api/openapi.json``. Flask cannot add routes to a running app,
    so all are registered at start; each request answers 404 unless its county admitted the
    module (for a pilot: unless the caller's scope reaches a pilot township)."""
    from gridgov.extensions import csrf

    for module in host.installed.values():
        if not module.api_blueprints:
            continue
        outer = ApiBlueprint(
            f"module_api_{module.name}",
            __name__,
            url_prefix=f"/t/<slug>/api/v1/modules/{module.name}",
            description=f"部门模块：{module.info.title}（{module.info.department}）",
        )
        outer.before_request(lambda name=module.name: _check_live(name))
        for blueprint in module.api_blueprints:
            if isinstance(blueprint, flask_smorest.Blueprint):
                outer.register_blueprint(blueprint)  # its routes' docs join the outer's
            else:
                # A plain Flask blueprint still works, undocumented: gridgov.sdk.api.Blueprint
                # is the documented way.
                Blueprint.register_blueprint(outer, blueprint)
            # Flask-WTF looks up the innermost blueprint of a request: exempting the outer
            # one alone left every module's POST refused for want of a CSRF token.
            csrf.exempt(blueprint)
        csrf.exempt(outer)  # bearer tokens, no cookies
        api.register_blueprint(outer)


def _check_live(module: str) -> Any:
    # A valid token first: whether a county admitted a module is not for anonymous callers.
    caller = auth.authenticate_county_user(None)
    activation.check_request(module, caller.scope, request.method)
    return None
