"""Changing a county: its name, levels, settings, modules, time zone. A change can reach below
the tenant record (levels only while no node would be lost; a new time zone recounts the
dashboard counters), so it lives here, above tenancy, hierarchy and the task engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.core.audit import service as audit
from gridgov.core.audit.service import Actor
from gridgov.core.db import tenant_scope
from gridgov.core.errors import DomainError
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.tasks import counters
from gridgov.core.tenancy import service as tenancy
from gridgov.core.tenancy.models import Tenant


def update_tenant(
    session: Session,
    actor: Actor,
    tenant: Tenant,
    *,
    name: str | None = None,
    level_names: Sequence[str] | None = None,
    settings: dict[str, Any] | None = None,
    modules: Sequence[str] | None = None,
    time_zone: str | None = None,
    is_active: bool | None = None,
) -> Tenant:
    """Change a tenant. The number of levels can change only while no node would be lost."""
    before = tenancy.snapshot(tenant)
    if name is not None:
        tenant.name = tenancy.clean_name(name)
    if level_names is not None:
        names = tenancy.validate_level_names(level_names)
        if len(names) != len(tenant.level_names):
            with tenant_scope(session, tenant.id):
                if session.scalar(select(func.count()).select_from(Node)):
                    raise DomainError(
                        _("已有节点时不能改变层级数，只能改层级名称"), field="level_names"
                    )
        tenant.level_names = names
    if settings is not None:
        tenant.settings = dict(settings)
    if modules is not None:
        tenant.modules = list(modules)
    zone = tenancy.checked_zone(time_zone) if time_zone is not None else tenant.time_zone
    if zone != tenant.time_zone:
        tenant.time_zone = zone
        # The dashboard counters are kept per county month: in another zone a task near a
        # month's end falls in another month, so they are counted again (rare: a county's zone
        # is set when it starts).
        with tenant_scope(session, tenant.id):
            session.flush()
            counters.rebuild(session)
    if is_active is not None:
        tenant.is_active = is_active
    after = tenancy.snapshot(tenant)
    if after != before:
        with tenant_scope(session, tenant.id):
            audit.record(
                session, actor, "tenant.update", "tenant", tenant.id, before=before, after=after
            )
            session.flush()
    return tenant
