"""A county remembers what its manifest said when it was last applied (applied_manifests), so
that re-applying the file keeps what the county changed in the portal since.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gridgov.migrations.rls import protect_tenant_table

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "applied_manifests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "source", sa.String(length=255), nullable=False, comment="the file's name when applied"
        ),
        sa.Column(
            "digest", sa.String(length=64), nullable=False, comment="sha256 of the file's text"
        ),
        sa.Column(
            "state",
            sa.JSON(),
            nullable=False,
            comment="the values the file set: tenant, nodes, users, departments by their codes",
        ),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_applied_manifests_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applied_manifests")),
    )
    with op.batch_alter_table("applied_manifests") as batch:
        batch.create_index("ix_applied_manifests_tenant_id", ["tenant_id"], unique=True)
    protect_tenant_table("applied_manifests")


def downgrade() -> None:
    op.drop_table("applied_manifests")
