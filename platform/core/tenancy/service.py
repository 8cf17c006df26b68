"""Use cases of tenancy: create a county, find the tenant of a request, and the rules of a
tenant's own fields. Changing a county, which may reach its nodes and counters, is
``gridgov.core.onboarding.counties``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.core.audit import service as audit
from gridgov.core.audit.service import Actor
from gridgov.core.db import current_tenant_id, tenant_scope
from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.i18n import _
from gridgov.core.tenancy.county_time import DEFAULT_TIME_ZONE, CountyClock, is_time_zone
from gridgov.core.tenancy.models import Tenant
from gridgov.core.text import check_text

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,62}$")
# Slugs that would clash with platform URLs or read as something they are not.
RESERVED_SLUGS = frozenset({"api", "static", "admin", "operator", "public", "www", "healthz"})
MIN_LEVELS, MAX_LEVELS = 2, 5


def validate_level_names(level_names: Sequence[str]) -> list[str]:
    """Return the cleaned level names, or raise DomainError(field="level_names")."""
    names = [str(n).strip() for n in level_names]
    if not MIN_LEVELS <= len(names) <= MAX_LEVELS:
        raise DomainError(
            _("层级数须在 %(lo)d 到 %(hi)d 之间", lo=MIN_LEVELS, hi=MAX_LEVELS), field="level_names"
        )
    if any(not n for n in names):
        raise DomainError(_("层级名称不能为空"), field="level_names")
    if len(set(names)) != len(names):
        raise DomainError(_("层级名称不能重复"), field="level_names")
    return names


def get_by_slug(session: Session, slug: str) -> Tenant | None:
    """The active tenant with this slug, or None."""
    return session.scalar(select(Tenant).where(Tenant.slug == slug, Tenant.is_active.is_(True)))


def get_tenant(session: Session, tenant_id: int) -> Tenant:
    """The tenant with this id, or NotFound."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound(_("没有这个租户"))
    return tenant


def current_tenant(session: Session) -> Tenant:
    """The tenant the session is scoped to (a bug to call outside one)."""
    tenant_id = current_tenant_id(session)
    if tenant_id is None:
        raise RuntimeError("no tenant set on the session")
    return get_tenant(session, tenant_id)


def clock_of(session: Session) -> CountyClock:
    """The clock of the county the session is scoped to: its today, months and periods."""
    return current_tenant(session).clock


def list_tenants(session: Session) -> Any:
    """SELECT of all tenants, by slug (operators only)."""
    return select(Tenant).order_by(Tenant.slug)


def create_tenant(
    session: Session,
    actor: Actor,
    *,
    slug: str,
    name: str,
    level_names: Sequence[str],
    settings: dict[str, Any] | None = None,
    modules: Sequence[str] = (),
    time_zone: str = DEFAULT_TIME_ZONE,
) -> Tenant:
    """Create a county tenant with its hierarchy levels; the tree is filled in afterwards."""
    slug = (slug or "").strip()
    if not SLUG_RE.match(slug) or slug in RESERVED_SLUGS:
        raise DomainError(
            _("标识须以小写字母开头，由小写字母、数字和连字符组成（2–63 位）"), field="slug"
        )
    if session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise Conflict(_("标识 %(slug)s 已被使用", slug=slug), field="slug")
    tenant = Tenant(
        slug=slug,
        name=clean_name(name),
        level_names=validate_level_names(level_names),
        settings=dict(settings or {}),
        modules=list(modules),
        time_zone=checked_zone(time_zone),
    )
    session.add(tenant)
    session.flush()
    with tenant_scope(session, tenant.id):
        audit.record(session, actor, "tenant.create", "tenant", tenant.id, after=snapshot(tenant))
        session.flush()
    return tenant


def checked_zone(name: str) -> str:
    """``name`` stripped if it is an IANA time zone, else DomainError(field="time_zone")."""
    name = (name or "").strip()
    if not is_time_zone(name):
        raise DomainError(
            _("未知的时区 %(zone)s：请用 IANA 时区名，如 Asia/Shanghai、Asia/Urumqi", zone=name),
            field="time_zone",
        )
    return name


def clean_name(name: str) -> str:
    """A county's name stripped, or DomainError(field="name") if empty or too long."""
    name = check_text((name or "").strip(), field="name", one_line=True)
    if not name or len(name) > 200:
        raise DomainError(_("名称不能为空，最长 200 个字符"), field="name")
    return name


def snapshot(tenant: Tenant) -> dict[str, Any]:
    """The tenant's fields as the audit log records them."""
    return {
        "slug": tenant.slug,
        "name": tenant.name,
        "level_names": list(tenant.level_names),
        "modules": list(tenant.modules),
        "time_zone": tenant.time_zone,
        "is_active": tenant.is_active,
        "settings": dict(tenant.settings),
    }
