"""The map's merged outlines of townships and communities without a boundary of their own (the
union of their grids'), kept between requests and processes with the stamp of the boundaries
they were merged from. The county's rows (RLS).

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gridgov.migrations.rls import protect_tenant_table

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "node_outlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column(
            "stamp",
            sa.String(length=100),
            nullable=False,
            comment="the boundaries it was merged from",
        ),
        sa.Column("outline", sa.JSON(), nullable=True),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["nodes.id"],
            name=op.f("fk_node_outlines_node_id_nodes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_node_outlines_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_node_outlines")),
        sa.UniqueConstraint(
            "tenant_id", "node_id", name=op.f("uq_node_outlines_tenant_id_node_id")
        ),
    )
    protect_tenant_table("node_outlines")


def downgrade() -> None:
    op.drop_table("node_outlines")
