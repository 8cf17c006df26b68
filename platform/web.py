"""What every request shares: the core's runtime and the caller's address handed to the core,
finding the tenant from the URL, and what HTTPS adds to every response. The API and the portal
both route under ``/t/<slug>/`` and call ``bind_tenant``."""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Flask, abort, current_app, g, request
from flask.ctx import AppContext, RequestContext
from werkzeug.datastructures import Headers
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from gridgov.core import runtime
from gridgov.core.db import db_session, set_tenant
from gridgov.core.jobs import InlineQueue, JobQueue
from gridgov.core.tenancy import service as tenancy
from gridgov.core.tenancy.models import Tenant
from gridgov.core.text import MAX_ID, without_control_characters
from gridgov.jobs import RQQueue

ENGINE_KEY = "gridgov.engine"  # where create_app keeps the database engine in app.extensions
PLUGINS_KEY = "gridgov.plugins"  # ... and the plugin host

# Browsers that once reached the platform over HTTPS refuse plain HTTP to it for a year.
HSTS = "max-age=31536000"


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


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route of the app: an id is 1 to 2³¹−1 (the database's integer
    keys), so ``/people/2147483648`` is a page that does not exist (404) instead of a query
    the database cannot run."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = 1,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def id_value(text: str) -> int:
    """An id read from a query string or a form, for ``request.args.get("node", type=id_value)``:
    a number out of 1…2³¹−1 raises ValueError, so werkzeug answers the default (None) as for
    any text that is no number, and the page says "not found" rather than failing."""
    value = int(text)
    if not 1 <= value <= MAX_ID:
        raise ValueError(f"{text!r} is no id")
    return value


def id_or_none(text: str | None) -> int | None:
    """``text`` as an id (1…2³¹−1), or None when it is none: for values read by hand from a
    form (a picker's ``node:12``, a list of ticked ids)."""
    try:
        return id_value(text or "")
    except ValueError:
        return None


def download_headers(name: str) -> Headers:
    """The Content-Disposition of a file sent as ``name`` that the client saves (RFC 6266):
    ``filename=`` quoted, in ASCII for old clients, and ``filename*=UTF-8''…`` (RFC 5987) when
    the name has more (a node code in Chinese). Whatever the name holds — quotes, semicolons,
    line breaks — stays inside the one header; ``send_file(download_name=…)`` does the same."""
    name = without_control_characters(name).replace("\t", " ").replace("\n", " ")
    name = name.replace("\r", " ")
    headers = Headers()
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        quoted = quote(name, safe="!#$&+-.^_`|~")
        headers.set(
            "Content-Disposition",
            "attachment",
            filename=simple,
            **{"filename*": f"UTF-8''{quoted}"},
        )
    else:
        headers.set("Content-Disposition", "attachment", filename=name)
    return headers


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


# --- HTTPS and the proxy in front -----------------------------------------------------------


def serve_securely(app: Flask) -> None:
    """Over HTTPS, mark every cookie Secure and send HSTS; behind GRIDGOV_TRUSTED_PROXIES
    proxies, take the scheme and the client's address from their X-Forwarded-Proto and
    X-Forwarded-For (the address the rate limits and the audit log see). Off by default: a
    client talking to the app directly could otherwise claim any address."""
    app.wsgi_app = SecureCookies(app.wsgi_app)  # type: ignore[method-assign]
    hops = int(app.config["GRIDGOV_TRUSTED_PROXIES"])
    if hops:
        # Only these two headers: the Host the proxy passes on is the one the client asked
        # for, and trusting X-Forwarded-Host would let a client name another county's host.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0
        )


StartResponse = Callable[..., Any]


class SecureCookies:
    """WSGI middleware: a response to an HTTPS request gets HSTS and only Secure cookies,
    whichever part of the app (session, login, a module) set them. Below ProxyFix, so a
    request the trusted proxy received over HTTPS counts as one."""

    def __init__(self, wsgi_app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]):
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("wsgi.url_scheme") != "https":
            return self.wsgi_app(environ, start_response)

        def start_secure(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            secured = [
                (name, _secure_cookie(value) if name.lower() == "set-cookie" else value)
                for name, value in headers
            ]
            if not any(name.lower() == "strict-transport-security" for name, _ in secured):
                secured.append(("Strict-Transport-Security", HSTS))
            return start_response(status, secured, *exc_info)

        return self.wsgi_app(environ, start_secure)


def _secure_cookie(value: str) -> str:
    attributes = {part.strip().lower() for part in value.split(";")[1:]}
    return value if "secure" in attributes else f"{value}; Secure"
