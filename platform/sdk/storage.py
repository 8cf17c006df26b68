"""For a module's OWN tables: the declarative base and the tenant mixin its models use, the
clock its timestamps use, the session of the request (or job) scoped to the county, and the
row-level security its migrations give each table."""

from __future__ import annotations

from gridgov.core.db import Base, TenantScoped, db_session, utcnow
from gridgov.migrations.rls import protect_tenant_table

__all__ = ["Base", "TenantScoped", "db_session", "protect_tenant_table", "utcnow"]
