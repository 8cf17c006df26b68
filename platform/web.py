"""What every request shares: finding its tenant from the URL, and turning domain errors into
answers. The API and the portal both route under ``/t/<slug>/`` and call ``bind_tenant``."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, g, request

from gridgov.core.db import db_session, set_tenant
from gridgov.core.tenancy import service as tenancy
from gridgov.core.tenancy.models import Tenant


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
