"""The fire-safety module's tables: patrols, hazards and four-abilities checks.

Revision ID: fire_safety_0001
Revises: (the first of the fire_safety branch; needs the core at 0005)

Generated with autogenerate against the module's models, then reviewed and laid out by hand.
Every table belongs to a county and is protected by row-level security.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gridgov.sdk.storage import protect_tenant_table

revision = "fire_safety_0001"
down_revision = None
branch_labels = ("fire_safety",)
depends_on = "0005"  # form_submissions (and the registry's sites, the task engine's tasks)

TABLES = ("fire_safety_patrols", "fire_safety_hazards", "fire_safety_ability_checks")
TENANT_COMMENT = "the county (tenant) owning this row"


def _tenant_id() -> sa.Column:
    return sa.Column("tenant_id", sa.Integer(), nullable=False, comment=TENANT_COMMENT)


def _fk(table: str, column: str, target: str, ondelete: str = "RESTRICT") -> sa.Constraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def _keys(table: str, *references: tuple[str, str, str]) -> list[sa.Constraint]:
    """The primary key, the tenant's foreign key and ``(column, table, ondelete)`` ones."""
    return [
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        _fk(table, "tenant_id", "tenants"),
        *(_fk(table, column, target, ondelete) for column, target, ondelete in references),
    ]


def _path_index(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(
            f"ix_{table}_tenant_id_filed_path",
            ["tenant_id", "filed_path"],
            unique=False,
            postgresql_ops={"filed_path": "text_pattern_ops"},
        )


def upgrade() -> None:
    table = "fire_safety_patrols"
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "submission_id",
            sa.Integer(),
            nullable=False,
            comment="the checklist as filled in (the core keeps it with its form version)",
        ),
        sa.Column(
            "site_type", sa.String(length=32), nullable=False, comment="residential, shop, market …"
        ),
        sa.Column("node_id", sa.Integer(), nullable=False, comment="the grid patrolled"),
        sa.Column(
            "filed_path",
            sa.String(length=255),
            nullable=False,
            comment="path of the grid when filed",
        ),
        sa.Column(
            "site_id", sa.Integer(), nullable=True, comment="the registry's site, if it is one"
        ),
        sa.Column(
            "place",
            sa.String(length=200),
            nullable=False,
            comment="场所或楼栋, as the patroller named it",
        ),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column("inspector_id", sa.Integer(), nullable=True),
        sa.Column("findings", sa.Integer(), nullable=False, comment="hazards the checklist found"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _tenant_id(),
        *_keys(
            table,
            ("inspector_id", "users", "SET NULL"),
            ("node_id", "nodes", "RESTRICT"),
            ("site_id", "sites", "RESTRICT"),
            ("submission_id", "form_submissions", "RESTRICT"),
        ),
        sa.UniqueConstraint(
            "tenant_id", "submission_id", name=op.f(f"uq_{table}_tenant_id_submission_id")
        ),
    )
    _path_index(table)
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(
            f"ix_{table}_tenant_id_inspector_id_inspected_on",
            ["tenant_id", "inspector_id", "inspected_on"],
            unique=False,
        )
        batch_op.create_index(f"ix_{table}_tenant_id_site_id", ["tenant_id", "site_id"])

    table = "fire_safety_hazards"
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False, comment="the grid it was found in"),
        sa.Column(
            "filed_path",
            sa.String(length=255),
            nullable=False,
            comment="path of the grid when found",
        ),
        sa.Column("patrol_id", sa.Integer(), nullable=True, comment="the checklist that found it"),
        sa.Column(
            "report_task_id",
            sa.Integer(),
            nullable=True,
            comment="the resident's report (举报) whose investigation found it",
        ),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("site_type", sa.String(length=32), nullable=False, comment="'' when not known"),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column(
            "item",
            sa.String(length=32),
            nullable=False,
            comment="the checklist item, e.g. hydrant",
        ),
        sa.Column("grade", sa.String(length=16), nullable=False, comment="a Grade value"),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("found_on", sa.Date(), nullable=False, comment="the day of the inspection"),
        sa.Column("deadline", sa.Date(), nullable=False, comment="整改期限: rectified by this day"),
        sa.Column("found_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "rectified_on",
            sa.Date(),
            nullable=True,
            comment="the county day the re-check (复查) passed",
        ),
        sa.Column(
            "published_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="向社会公告: when the county published it",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _tenant_id(),
        *_keys(
            table,
            ("found_by_id", "users", "SET NULL"),
            ("node_id", "nodes", "RESTRICT"),
            ("patrol_id", "fire_safety_patrols", "RESTRICT"),
            ("site_id", "sites", "RESTRICT"),
            ("task_id", "tasks", "RESTRICT"),
            ("report_task_id", "tasks", "RESTRICT"),
        ),
        sa.UniqueConstraint("tenant_id", "task_id", name=op.f(f"uq_{table}_tenant_id_task_id")),
    )
    _path_index(table)
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(
            f"ix_{table}_tenant_id_found_by_id_found_on",
            ["tenant_id", "found_by_id", "found_on"],
            unique=False,
        )
        batch_op.create_index(f"ix_{table}_tenant_id_patrol_id", ["tenant_id", "patrol_id"])
        batch_op.create_index(f"ix_{table}_tenant_id_site_id", ["tenant_id", "site_id"])

    table = "fire_safety_ability_checks"
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("filed_path", sa.String(length=255), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column(
            "passed",
            sa.Boolean(),
            nullable=False,
            comment="达标: every ability met, facilities working",
        ),
        sa.Column(
            "failed", sa.JSON(), nullable=False, comment="the abilities (or facilities) not met"
        ),
        sa.Column(
            "previous_id", sa.Integer(), nullable=True, comment="the site's check before this one"
        ),
        sa.Column(
            "is_revisit",
            sa.Boolean(),
            nullable=False,
            comment="回头看: the previous check of the site had passed",
        ),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("checked_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _tenant_id(),
        *_keys(
            table,
            ("checked_by_id", "users", "SET NULL"),
            ("node_id", "nodes", "RESTRICT"),
            ("previous_id", "fire_safety_ability_checks", "RESTRICT"),
            ("site_id", "sites", "RESTRICT"),
            ("submission_id", "form_submissions", "RESTRICT"),
        ),
        sa.UniqueConstraint(
            "tenant_id", "submission_id", name=op.f(f"uq_{table}_tenant_id_submission_id")
        ),
    )
    _path_index(table)
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(
            f"ix_{table}_tenant_id_node_id_place", ["tenant_id", "node_id", "place"]
        )

    for name in TABLES:
        protect_tenant_table(name)


def downgrade() -> None:
    # Dropping a table drops its indexes and row-level security policy with it.
    for name in reversed(TABLES):
        op.drop_table(name)
