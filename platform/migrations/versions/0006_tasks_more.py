"""Task engine, more: task_exports (task lists written to .xlsx by a background job), with
row-level security.

Revision ID: 0006_tasks
Revises: 0005

Generated with autogenerate against gridgov.core.models, then reviewed by hand.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gridgov.migrations.rls import protect_tenant_table

revision: str = "0006_tasks"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "task_exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False, comment="the subtree listed"),
        sa.Column(
            "card", sa.String(length=16), nullable=False, comment="Card: the list of red or yellow"
        ),
        sa.Column("status", sa.String(length=16), nullable=False, comment="ExportStatus"),
        sa.Column("job_id", sa.String(length=64), nullable=True, comment="RQ job id, for progress"),
        sa.Column("rows", sa.Integer(), nullable=True, comment="tasks written"),
        sa.Column("file_id", sa.Integer(), nullable=True, comment="the .xlsx once written"),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_task_exports_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["stored_files.id"],
            name=op.f("fk_task_exports_file_id_stored_files"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["nodes.id"],
            name=op.f("fk_task_exports_node_id_nodes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_task_exports_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_exports")),
    )
    with op.batch_alter_table("task_exports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_task_exports_tenant_id_created_by_id_id",
            ["tenant_id", "created_by_id", "id"],
            unique=False,
        )
    protect_tenant_table("task_exports")


def downgrade() -> None:
    with op.batch_alter_table("task_exports", schema=None) as batch_op:
        batch_op.drop_index("ix_task_exports_tenant_id_created_by_id_id")
    op.drop_table("task_exports")
