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
    op.execute(
        "UPDATE node_versions SET boundary = "
        "(SELECT nodes.boundary FROM nodes WHERE nodes.id = node_versions.node_id) "
        "WHERE valid_to IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("node_versions") as batch:
        batch.drop_column("boundary")
