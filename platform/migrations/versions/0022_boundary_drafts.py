"""Boundaries drawn on the map wait as drafts (one per node) until published: the node keeps
its published boundary meanwhile. The county's rows (RLS).

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gridgov.migrations.rls import protect_tenant_table

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "boundary_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("boundary", sa.JSON(), nullable=False, comment="GeoJSON Polygon/MultiPolygon"),
        sa.Column("drafted_by_id", sa.Integer(), nullable=True),
        sa.Column("drafted_by_name", sa.String(length=100), nullable=False),
        sa.Column("drafted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["drafted_by_id"],
            ["users.id"],
            name=op.f("fk_boundary_drafts_drafted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["nodes.id"],
            name=op.f("fk_boundary_drafts_node_id_nodes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_boundary_drafts_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_boundary_drafts")),
        sa.UniqueConstraint(
            "tenant_id", "node_id", name=op.f("uq_boundary_drafts_tenant_id_node_id")
        ),
    )
    protect_tenant_table("boundary_drafts")


def downgrade() -> None:
    op.drop_table("boundary_drafts")
