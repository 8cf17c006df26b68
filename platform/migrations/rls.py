"""Row-level security for tenant tables, for migrations to call: one line per new table.

On PostgreSQL a protected table shows and accepts only the rows of the tenant set for the
transaction with ``set_config('gridgov.tenant_id', …, true)`` (see ``gridgov.core.db``); a
transaction with no tenant sees no rows. On other databases these are no-ops: SQLite has no
RLS and relies on the ORM's tenant filter alone.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

from gridgov.core.db import TENANT_SETTING

POLICY = "tenant_isolation"

# After a transaction ends the setting reads back as '' rather than NULL, hence NULLIF: '' must
# mean "no tenant" (no rows), not a cast error.
TENANT_PREDICATE = f"tenant_id = NULLIF(current_setting('{TENANT_SETTING}', true), '')::integer"


def protect_tenant_table(table: str) -> None:
    """Enable and force RLS on ``table`` and give it the tenant policy (PostgreSQL only)."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    name = bind.dialect.identifier_preparer.quote(table)
    # FORCE: without it the table's owner (the role running migrations) bypasses the policy.
    op.execute(text(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY"))
    op.execute(text(f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY"))
    op.execute(text(f"DROP POLICY IF EXISTS {POLICY} ON {name}"))
    op.execute(
        text(
            f"CREATE POLICY {POLICY} ON {name} "
            f"USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})"
        )
    )


def unprotect_tenant_table(table: str) -> None:
    """Undo ``protect_tenant_table`` (for a downgrade that keeps the table)."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    name = bind.dialect.identifier_preparer.quote(table)
    op.execute(text(f"DROP POLICY IF EXISTS {POLICY} ON {name}"))
    op.execute(text(f"ALTER TABLE {name} NO FORCE ROW LEVEL SECURITY"))
    op.execute(text(f"ALTER TABLE {name} DISABLE ROW LEVEL SECURITY"))
