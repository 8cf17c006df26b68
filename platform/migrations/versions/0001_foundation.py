"""Foundation: tenants, hierarchy, accounts, audit; row-level security on every tenant table.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 10:12:56.733527

Generated with autogenerate against gridgov.core.models, then reviewed by hand: table order
follows the foreign keys, and every table with a tenant_id column is protected by RLS.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gridgov.migrations.rls import protect_tenant_table

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("core",)
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "audit_events",
    "nodes",
    "users",
    "api_tokens",
    "assignments",
    "node_lineage",
    "node_versions",
)


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "password_hash",
            sa.String(length=255),
            nullable=True,
            comment="argon2id; None: no login",
        ),
        sa.Column("failed_logins", sa.Integer(), nullable=False, comment="consecutive failures"),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "last_login_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="None: never logged in",
        ),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operators")),
        sa.UniqueConstraint("username", name=op.f("uq_operators_username")),
    )
    op.create_table(
        "tenants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "slug",
            sa.String(length=63),
            nullable=False,
            comment="URL name: /t/<slug>/; lowercase letters, digits, -",
        ),
        sa.Column("name", sa.String(length=200), nullable=False, comment="e.g. 长山县"),
        sa.Column(
            "level_names",
            sa.JSON(),
            nullable=False,
            comment="names of the hierarchy levels, top first, e.g. 区/街道/社区/网格",
        ),
        sa.Column("settings", sa.JSON(), nullable=False, comment="county settings"),
        sa.Column(
            "modules",
            sa.JSON(),
            nullable=False,
            comment="department modules the county intends to use (before admission)",
        ),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sa.UniqueConstraint("slug", name=op.f("uq_tenants_slug")),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "actor_type", sa.String(length=16), nullable=False, comment="user, operator or system"
        ),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column(
            "action", sa.String(length=64), nullable=False, comment="e.g. node.split, user.create"
        ),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True, comment="personal fields masked"),
        sa.Column("after", sa.JSON(), nullable=True, comment="personal fields masked"),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_audit_events_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(
        "ix_audit_events_tenant_id_at", "audit_events", ["tenant_id", "at"], unique=False
    )
    op.create_index(
        "ix_audit_events_tenant_id_object",
        "audit_events",
        ["tenant_id", "object_type", "object_id"],
        unique=False,
    )
    op.create_table(
        "nodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "code", sa.String(length=64), nullable=False, comment="the county's code for the node"
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "level",
            sa.Integer(),
            nullable=False,
            comment="0 = top level; tenant.grid_level = basic grid",
        ),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(length=255), nullable=False, comment="/id/id/…/ from the top"),
        sa.Column(
            "boundary",
            sa.JSON(),
            nullable=True,
            comment="四至界限: GeoJSON Polygon or MultiPolygon geometry (WGS 84)",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "retired_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="set when retired, split, merged",
        ),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["nodes.id"], name=op.f("fk_nodes_parent_id_nodes"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_nodes_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nodes")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_nodes_tenant_id_code")),
    )
    op.create_index(
        "ix_nodes_tenant_id_parent_id", "nodes", ["tenant_id", "parent_id"], unique=False
    )
    op.create_index(
        "ix_nodes_tenant_id_path",
        "nodes",
        ["tenant_id", "path"],
        unique=False,
        postgresql_ops={"path": "text_pattern_ops"},
    )
    op.create_table(
        "operator_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=500), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_operator_tokens_operator_id_operators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_operator_tokens_token_hash")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False, comment="real name, e.g. 王建国"),
        sa.Column("role", sa.String(length=32), nullable=False, comment="a Role value"),
        sa.Column(
            "phone",
            sa.String(length=32),
            nullable=True,
            comment="work phone shown on the grid's notice board (公示板) if allowed",
        ),
        sa.Column("locale", sa.String(length=8), nullable=True, comment="zh_CN (default) or en"),
        sa.Column(
            "password_hash",
            sa.String(length=255),
            nullable=True,
            comment="argon2id; None: no login",
        ),
        sa.Column("failed_logins", sa.Integer(), nullable=False, comment="consecutive failures"),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "last_login_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="None: never logged in",
        ),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_users_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("tenant_id", "username", name=op.f("uq_users_tenant_id_username")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "token_hash", sa.String(length=64), nullable=False, comment="sha256 hex of the token"
        ),
        sa.Column(
            "scope", sa.String(length=500), nullable=False, comment="space-separated OAuth scopes"
        ),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_api_tokens_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint(
            "tenant_id", "token_hash", name=op.f("uq_api_tokens_tenant_id_token_hash")
        ),
    )
    op.create_index(
        "ix_api_tokens_tenant_id_user_id", "api_tokens", ["tenant_id", "user_id"], unique=False
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("is_responsible", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["nodes.id"],
            name=op.f("fk_assignments_node_id_nodes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_assignments_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_assignments_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
        sa.UniqueConstraint(
            "tenant_id", "user_id", "node_id", name=op.f("uq_assignments_tenant_id_user_id_node_id")
        ),
    )
    op.create_index(
        "ix_assignments_tenant_id_node_id", "assignments", ["tenant_id", "node_id"], unique=False
    )
    op.create_index(
        "uq_assignments_responsible_per_node",
        "assignments",
        ["tenant_id", "node_id"],
        unique=True,
        sqlite_where=sa.text("is_responsible"),
        postgresql_where=sa.text("is_responsible"),
    )
    op.create_table(
        "node_lineage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("predecessor_id", sa.Integer(), nullable=False),
        sa.Column("successor_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False, comment="split or merge"),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["predecessor_id"],
            ["nodes.id"],
            name=op.f("fk_node_lineage_predecessor_id_nodes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["successor_id"],
            ["nodes.id"],
            name=op.f("fk_node_lineage_successor_id_nodes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_node_lineage_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_node_lineage")),
    )
    op.create_index(
        "ix_node_lineage_tenant_id_predecessor_id",
        "node_lineage",
        ["tenant_id", "predecessor_id"],
        unique=False,
    )
    op.create_index(
        "ix_node_lineage_tenant_id_successor_id",
        "node_lineage",
        ["tenant_id", "successor_id"],
        unique=False,
    )
    op.create_table(
        "node_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column(
            "change",
            sa.String(length=16),
            nullable=False,
            comment="NodeChange that opened this version",
        ),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "valid_to",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="None: the current version",
        ),
        sa.Column("is_retired", sa.Boolean(), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["nodes.id"],
            name=op.f("fk_node_versions_node_id_nodes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["nodes.id"],
            name=op.f("fk_node_versions_parent_id_nodes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_node_versions_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_node_versions")),
    )
    op.create_index(
        "ix_node_versions_tenant_id_node_id",
        "node_versions",
        ["tenant_id", "node_id"],
        unique=False,
    )
    # `tenants` itself is not tenant-owned: resolving a county's slug must work before any
    # tenant is set. `operators` and `operator_tokens` belong to the platform, not a county.
    for table in TENANT_TABLES:
        protect_tenant_table(table)


def downgrade() -> None:
    # Dropping a table drops its policies with it.
    op.drop_index("ix_node_versions_tenant_id_node_id", table_name="node_versions")
    op.drop_table("node_versions")
    op.drop_index("ix_node_lineage_tenant_id_successor_id", table_name="node_lineage")
    op.drop_index("ix_node_lineage_tenant_id_predecessor_id", table_name="node_lineage")
    op.drop_table("node_lineage")
    op.drop_index(
        "uq_assignments_responsible_per_node",
        table_name="assignments",
        sqlite_where=sa.text("is_responsible"),
        postgresql_where=sa.text("is_responsible"),
    )
    op.drop_index("ix_assignments_tenant_id_node_id", table_name="assignments")
    op.drop_table("assignments")
    op.drop_index("ix_api_tokens_tenant_id_user_id", table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_table("operator_tokens")
    op.drop_index(
        "ix_nodes_tenant_id_path", table_name="nodes", postgresql_ops={"path": "text_pattern_ops"}
    )
    op.drop_index("ix_nodes_tenant_id_parent_id", table_name="nodes")
    op.drop_table("nodes")
    op.drop_index("ix_audit_events_tenant_id_object", table_name="audit_events")
    op.drop_index("ix_audit_events_tenant_id_at", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_table("tenants")
    op.drop_table("operators")
