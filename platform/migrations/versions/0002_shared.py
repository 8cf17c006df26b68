"""Shared pieces of the registry, task engine and admission: stored files and departments.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 06:07:18.339231

Generated with autogenerate against gridgov.core.models, then reviewed by hand; every new table
has a tenant_id and is protected by RLS.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gridgov.migrations.rls import protect_tenant_table

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("departments", "department_officers", "stored_files")


def _tenant_column() -> sa.Column:
    return sa.Column(
        "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
    )


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["tenants.id"], name=op.f(f"fk_{table}_tenant_id_tenants"), ondelete="RESTRICT"
    )


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False, comment="the county's code, e.g. XFJY"),
        sa.Column("name", sa.String(length=200), nullable=False, comment="e.g. 县消防救援大队"),
        sa.Column("node_id", sa.Integer(), nullable=False, comment="the node whose subtree it serves"),
        sa.Column("phone", sa.String(length=32), nullable=True, comment="duty phone"),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _tenant_column(),
        sa.ForeignKeyConstraint(
            ["node_id"], ["nodes.id"], name=op.f("fk_departments_node_id_nodes"), ondelete="RESTRICT"
        ),
        _tenant_fk("departments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_departments_tenant_id_code")),
    )
    op.create_index("ix_departments_tenant_id_node_id", "departments", ["tenant_id", "node_id"])

    op.create_table(
        "department_officers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _tenant_column(),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_department_officers_department_id_departments"),
            ondelete="CASCADE",
        ),
        _tenant_fk("department_officers"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_department_officers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department_officers")),
        sa.UniqueConstraint(
            "tenant_id",
            "department_id",
            "user_id",
            name=op.f("uq_department_officers_tenant_id_department_id_user_id"),
        ),
    )
    op.create_index(
        "ix_department_officers_tenant_id_user_id", "department_officers", ["tenant_id", "user_id"]
    )

    op.create_table(
        "stored_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "name", sa.String(length=255), nullable=False, comment="the file name as uploaded, cleaned"
        ),
        sa.Column(
            "content_type",
            sa.String(length=100),
            nullable=False,
            comment="MIME type found from the content, not from the name",
        ),
        sa.Column("size", sa.Integer(), nullable=False, comment="bytes"),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "purpose",
            sa.String(length=32),
            nullable=False,
            comment="what it was uploaded for, e.g. task_attachment, admission, import",
        ),
        sa.Column(
            "storage_key", sa.String(length=255), nullable=False, comment="path under GRIDGOV_FILES_DIR"
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True, comment="None: the system"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _tenant_column(),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_stored_files_created_by_id_users"),
            ondelete="SET NULL",
        ),
        _tenant_fk("stored_files"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_files")),
    )
    op.create_index("ix_stored_files_tenant_id_sha256", "stored_files", ["tenant_id", "sha256"])

    for table in TENANT_TABLES:
        protect_tenant_table(table)


def downgrade() -> None:
    # Dropping a table drops its policies with it.
    op.drop_index("ix_stored_files_tenant_id_sha256", table_name="stored_files")
    op.drop_table("stored_files")
    op.drop_index("ix_department_officers_tenant_id_user_id", table_name="department_officers")
    op.drop_table("department_officers")
    op.drop_index("ix_departments_tenant_id_node_id", table_name="departments")
    op.drop_table("departments")
