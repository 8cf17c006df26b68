"""A node's boundary is part of its versions: each boundary change (an import, an edit) opens
a new version, so that the history keeps every 四至界限 a grid had. The current versions take
their node's boundary.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gridgov.core.db import TENANT_SETTING

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("node_versions") as batch:
        batch.add_column(
            sa.Column(
                "boundary",
                sa.JSON(),
                nullable=True,
                comment="the node's 四至界限 in this version (GeoJSON, WGS 84)",
            )
        )
    # County by county: the tables are under FORCE ROW LEVEL SECURITY, so even the owner
    # running the migration sees only the county set for the transaction.
    bind = op.get_bind()
    for (tenant_id,) in bind.execute(sa.text("SELECT id FROM tenants")).all():
        if bind.dialect.name == "postgresql":
            bind.execute(
                sa.text("SELECT set_config(:name, :value, true)"),
                {"name": TENANT_SETTING, "value": str(tenant_id)},
            )
        bind.execute(
            sa.text(
                "UPDATE node_versions SET boundary = (SELECT nodes.boundary FROM nodes "
                "WHERE nodes.id = node_versions.node_id) "
                "WHERE valid_to IS NULL AND tenant_id = :t"
            ),
            {"t": tenant_id},
        )
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("SELECT set_config(:name, '', true)"), {"name": TENANT_SETTING})


def downgrade() -> None:
    with op.batch_alter_table("node_versions") as batch:
        batch.drop_column("boundary")
