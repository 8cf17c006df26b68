"""Registry: exports built by a job, uploads deleted after their import, a grid's people read
in index order.

Revision ID: 0007
Revises: 0006_tasks
Create Date: 2026-11-24 09:05:00

Written by hand, checked against gridgov.core.models by tests/test_migrations.py. export_runs
has a tenant_id and is protected by RLS. import_runs.file_id may now be empty: the uploaded
spreadsheet (citizens' ID numbers) is deleted once imported.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gridgov.migrations.rls import protect_tenant_table

revision: str = "0007"
down_revision: str | None = "0006_tasks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "export_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False, comment="people_query filters"),
        sa.Column(
            "reason",
            sa.String(length=200),
            nullable=True,
            comment="why clear values were asked for; None: masked export",
        ),
        sa.Column("status", sa.String(length=16), nullable=False, comment="ImportStatus"),
        sa.Column("job_id", sa.String(length=64), nullable=True, comment="RQ job id, for progress"),
        sa.Column("file_id", sa.Integer(), nullable=True, comment="the .xlsx once built"),
        sa.Column("count", sa.Integer(), nullable=True, comment="people in the file"),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "tenant_id",
            sa.Integer(),
            nullable=False,
            comment="the county (tenant) owning this row",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_export_runs_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["stored_files.id"],
            name=op.f("fk_export_runs_file_id_stored_files"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_export_runs_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_runs")),
    )
    with op.batch_alter_table("export_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_export_runs_tenant_id_created_by_id",
            ["tenant_id", "created_by_id", "id"],
            unique=False,
        )
    protect_tenant_table("export_runs")

    with op.batch_alter_table("import_runs", schema=None) as batch_op:
        batch_op.alter_column(
            "file_id",
            existing_type=sa.Integer(),
            nullable=True,
            comment="the upload; deleted once it has been imported (it holds ID numbers)",
        )
        batch_op.drop_constraint("fk_import_runs_file_id_stored_files", type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_import_runs_file_id_stored_files",
            "stored_files",
            ["file_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_index("ix_persons_tenant_id_node_id")
        batch_op.create_index(
            "ix_persons_tenant_id_node_id", ["tenant_id", "node_id", "name", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_index("ix_persons_tenant_id_node_id")
        batch_op.create_index(
            "ix_persons_tenant_id_node_id", ["tenant_id", "node_id", "name"], unique=False
        )

    # Runs whose upload was deleted cannot go back to a schema that requires one.
    op.execute("DELETE FROM import_runs WHERE file_id IS NULL")
    with op.batch_alter_table("import_runs", schema=None) as batch_op:
        batch_op.drop_constraint("fk_import_runs_file_id_stored_files", type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_import_runs_file_id_stored_files",
            "stored_files",
            ["file_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.alter_column("file_id", existing_type=sa.Integer(), nullable=False, comment=None)

    with op.batch_alter_table("export_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_export_runs_tenant_id_created_by_id")
    op.drop_table("export_runs")
