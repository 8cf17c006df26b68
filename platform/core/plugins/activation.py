"""Modules switched on per county by admission: the plugin host of the running app, narrowed to
what a county (or a user's part of it) admitted, and the modules' blueprints mounted behind a
check of the county's admissions.

Blueprints are registered once at start, for every installed module, because Flask cannot add
routes to a running app; each request then answers 404 unless its county admitted the module
(and, for a pilot, unless the user's scope reaches a pilot township).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, current_app, g
from flask_login import current_user, login_required

from gridgov.core.accounts.scope import Scope, scope_of
from gridgov.core.admission import service as admission
from gridgov.core.db import db_session
from gridgov.core.errors import NotFound
from gridgov.core.forms.definitions import FormDefinition
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.plugins.manager import Module, PluginHost, TenantHooks
from gridgov.web import add_slug, bind_tenant

HOST_KEY = "gridgov.plugins"


def plugin_host() -> PluginHost:
    """The plugin host of the running app."""
    return current_app.extensions[HOST_KEY]


def hooks_for(scope: Scope | None = None) -> TenantHooks:
    """The host narrowed to the modules the current county admitted (with ``scope``: live
    somewhere the scope reaches). Use it for every hook call made for a county."""
    return plugin_host().for_tenant(admission.live_modules(db_session(), scope))


def open_form(code: str, node: Node) -> tuple[Module, FormDefinition]:
    """The form with this code and its module, if the module takes new work at ``node``:
    NotFound when unknown or not admitted there, Conflict when suspended or withdrawn."""
    found = plugin_host().form(code)
    if found is None:
        raise NotFound(_("没有这个表单"))
    admission.check_open_for_work(db_session(), found[0].name, node)
    return found


def check_readable(module: str) -> None:
    """NotFound unless the county ever admitted ``module``: a suspended or withdrawn module's
    records stay readable, a module never admitted has none to show."""
    if not admission.was_ever_live(db_session(), module):
        raise NotFound(_("没有这个表单"))


def mount(app: Flask, host: PluginHost) -> None:
    """Register every installed module's API blueprints under
    ``/t/<slug>/api/v1/modules/<module>/`` and portal pages under ``/t/<slug>/m/<module>/``."""
    from gridgov.extensions import csrf

    for module in host.installed.values():
        if module.api_blueprints:
            api = _module_blueprint(module, "api", f"/t/<slug>/api/v1/modules/{module.name}")
            api.before_request(lambda module=module: _guard(module, portal=False))
            for blueprint in module.api_blueprints:
                api.register_blueprint(blueprint)
            csrf.exempt(api)  # bearer tokens, no cookies
            app.register_blueprint(api)
        if module.portal_pages:
            pages = _module_blueprint(module, "pages", f"/t/<slug>/m/{module.name}")
            pages.before_request(login_required(lambda module=module: _guard(module, portal=True)))
            for page in module.portal_pages:
                pages.register_blueprint(page.blueprint)
            app.register_blueprint(pages)


def _module_blueprint(module: Module, kind: str, prefix: str) -> Blueprint:
    blueprint = Blueprint(f"module_{kind}_{module.name}", __name__, url_prefix=prefix)
    blueprint.url_value_preprocessor(bind_tenant)
    blueprint.url_defaults(add_slug)
    return blueprint


def _guard(module: Module, *, portal: bool) -> Any:
    """404 unless the request's county admitted ``module`` (on the portal: live somewhere in
    the user's scope)."""
    scope = None
    if portal:
        if getattr(current_user, "tenant_id", None) != g.tenant.id:
            abort(404)
        scope = scope_of(db_session(), current_user)
    if module.name not in admission.live_modules(db_session(), scope):
        abort(404)
    return None
