"""What every request shares: the core's runtime and the caller's address handed to the core,
finding the tenant from the URL. The API and the portal both route under ``/t/<slug>/`` and
call ``bind_tenant``."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from flask import Flask, abort, current_app, g, request
from flask.ctx import AppContext, RequestContext

from gridgov.core import runtime
from gridgov.core.db import db_session, set_tenant
from gridgov.core.jobs import InlineQueue, JobQueue
from gridgov.core.tenancy import service as tenancy
from gridgov.core.tenancy.models import Tenant
from gridgov.jobs import RQQueue

ENGINE_KEY = "gridgov.engine"  # where create_app keeps the database engine in app.extensions
PLUGINS_KEY = "gridgov.plugins"  # ... and the plugin host


class App(Flask):
    """gridgov's Flask app: the core's runtime is installed in every app context (``with
    app.app_context()``, CLI commands, jobs) and every request, and every request tells the core
    who calls."""

    def runtime(self) -> runtime.Runtime:
        """The core's runtime as this app's configuration says now (tests change settings and
        the plugin host between contexts)."""
        return runtime.Runtime(
            engine=self.extensions[ENGINE_KEY],
            plugins=self.extensions[PLUGINS_KEY],
            jobs=job_queue(self.config.get("REDIS_URL")),
            files_dir=Path(self.config["GRIDGOV_FILES_DIR"]),
            keep_exports_days=int(self.config["GRIDGOV_KEEP_EXPORTS_DAYS"]),
            data_key=self.config["GRIDGOV_DATA_KEY"],
            exact_search_limits=self.config["GRIDGOV_EXACT_SEARCH_LIMITS"],
        )

    def app_context(self) -> AppContext:
        return _RuntimeAppContext(self)

    def request_context(self, environ: dict[str, Any]) -> RequestContext:
        return _CallerRequestContext(self, environ)


def job_queue(redis_url: str | None) -> JobQueue:
    """RQ on the Redis at ``redis_url``; without one, jobs run inline."""
    return RQQueue(redis_url) if redis_url else InlineQueue()


class _RuntimeAppContext(AppContext):
    def __init__(self, app: App) -> None:
        super().__init__(app)
        self._installed: list[contextlib.ExitStack] = []  # one per push

    def push(self) -> None:
        super().push()
        app = self.app
        assert isinstance(app, App)
        installed = contextlib.ExitStack()
        installed.enter_context(runtime.use(app.runtime()))
        self._installed.append(installed)

    def pop(self, *args: Any) -> None:
        try:
            super().pop(*args)  # the teardown (removing the session) still sees the runtime
        finally:
            self._installed.pop().close()


class _CallerRequestContext(RequestContext):
    def __init__(self, app: App, environ: dict[str, Any]) -> None:
        super().__init__(app, environ)
        self._calls: list[contextlib.ExitStack] = []  # one per push

    def push(self) -> None:
        app = self.app
        assert isinstance(app, App)
        call = contextlib.ExitStack()
        # Installed before the app context the request may push (so they are undone in the
        # reverse order), and also when the request joins an app context already in place (a
        # test's or a command's): a request runs with the app's runtime as configured now.
        call.enter_context(runtime.use(app.runtime()))
        call.enter_context(runtime.call(address=self.request.remote_addr))
        self._calls.append(call)
        try:
            super().push()
        except BaseException:
            self._calls.pop().close()
            raise

    def pop(self, *args: Any) -> None:
        try:
            super().pop(*args)
        finally:
            self._calls.pop().close()


def bind_tenant(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """``url_value_preprocessor`` for blueprints under ``/t/<slug>/``: load the tenant named by
    the URL, scope the session to it, or answer 404. If the app serves tenants by host
    (``<slug>.<GRIDGOV_DOMAIN>``), a host naming another tenant than the path is 404 too."""
    slug = (values or {}).pop("slug", None)
    if slug is None:
        return
    domain = current_app.config.get("GRIDGOV_DOMAIN")
    if domain:
        host = request.host.split(":")[0]
        if host.endswith("." + domain) and host[: -len(domain) - 1] != slug:
            abort(404)
    tenant = tenancy.get_by_slug(db_session(), slug)
    if tenant is None:
        abort(404)
    g.tenant = tenant
    set_tenant(db_session(), tenant.id)


def current_tenant() -> Tenant:
    """The tenant of this request (set by ``bind_tenant``)."""
    return g.tenant


def add_slug(endpoint: str, values: dict[str, Any]) -> None:
    """``url_defaults``: ``url_for`` inside a tenant's pages fills in the slug by itself."""
    if (
        "slug" not in values
        and getattr(g, "tenant", None) is not None
        and current_app.url_map.is_endpoint_expecting(endpoint, "slug")
    ):
        values["slug"] = g.tenant.slug
