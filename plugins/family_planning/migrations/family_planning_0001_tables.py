"""The family-planning module's tables: targets, births, follow-ups and entitlements.

Revision ID: family_planning_0001
Revises: (the first of the family_planning branch; needs the core at 0005)

Generated with autogenerate against the module's models, then reviewed: every table belongs
to a county and is protected by row-level security.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gridgov.sdk.storage import protect_tenant_table

revision: str = "family_planning_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("family_planning",)
depends_on: str | Sequence[str] | None = "0005"  # form submissions, the registry's visits

TENANT_TABLES = (
    "family_planning_births",
    "family_planning_entitlements",
    "family_planning_targets",
    "family_planning_follow_ups",
)


def upgrade() -> None:
    op.create_table(
        "family_planning_births",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("mother_id", sa.Integer(), nullable=False),
        sa.Column(
            "child_id", sa.Integer(), nullable=True, comment="the child in the registry, later"
        ),
        sa.Column("child_name", sa.String(length=100), nullable=False),
        sa.Column("sex", sa.String(length=8), nullable=False, comment="a Sex"),
        sa.Column("born_on", sa.Date(), nullable=False),
        sa.Column(
            "place_of_birth", sa.String(length=200), nullable=False, comment="出生地点（医院）"
        ),
        sa.Column(
            "certificate_number",
            sa.String(length=32),
            nullable=True,
            comment="出生医学证明编号, optional",
        ),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("filed_path", sa.String(length=255), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["persons.id"],
            name=op.f("fk_family_planning_births_child_id_persons"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_family_planning_births_household_id_households"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["mother_id"],
            ["persons.id"],
            name=op.f("fk_family_planning_births_mother_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["nodes.id"],
            name=op.f("fk_family_planning_births_node_id_nodes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_family_planning_births_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_family_planning_births_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_planning_births")),
    )
    with op.batch_alter_table("family_planning_births", schema=None) as batch_op:
        batch_op.create_index(
            "ix_family_planning_births_tenant_id_filed_path",
            ["tenant_id", "filed_path"],
            unique=False,
            postgresql_ops={"filed_path": "text_pattern_ops"},
        )
        batch_op.create_index(
            "ix_family_planning_births_tenant_id_household_id",
            ["tenant_id", "household_id"],
            unique=False,
        )

    op.create_table(
        "family_planning_entitlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(length=16), nullable=False, comment="a Scheme"),
        sa.Column("state", sa.String(length=16), nullable=False, comment="an EntitlementState"),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("filed_path", sa.String(length=255), nullable=False),
        sa.Column(
            "amount", sa.Numeric(precision=10, scale=2), nullable=True, comment="元, when paid"
        ),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("refusal_reason", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("applied_by_id", sa.Integer(), nullable=True),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("checked_by_id", sa.Integer(), nullable=True),
        sa.Column("checked_on", sa.Date(), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["applied_by_id"],
            ["users.id"],
            name=op.f("fk_family_planning_entitlements_applied_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["users.id"],
            name=op.f("fk_family_planning_entitlements_approved_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["checked_by_id"],
            ["users.id"],
            name=op.f("fk_family_planning_entitlements_checked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["nodes.id"],
            name=op.f("fk_family_planning_entitlements_node_id_nodes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_family_planning_entitlements_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_family_planning_entitlements_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_planning_entitlements")),
        sa.UniqueConstraint(
            "tenant_id",
            "person_id",
            "year",
            "scheme",
            name=op.f("uq_family_planning_entitlements_tenant_id_person_id_year_scheme"),
        ),
    )
    with op.batch_alter_table("family_planning_entitlements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_family_planning_entitlements_tenant_id_filed_path",
            ["tenant_id", "filed_path"],
            unique=False,
            postgresql_ops={"filed_path": "text_pattern_ops"},
        )
        batch_op.create_index(
            "ix_family_planning_entitlements_tenant_id_year_state",
            ["tenant_id", "year", "state"],
            unique=False,
        )

    op.create_table(
        "family_planning_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False, comment="a TargetKind"),
        sa.Column("household_id", sa.Integer(), nullable=True, comment="the person's household"),
        sa.Column("node_id", sa.Integer(), nullable=False, comment="the person's grid when found"),
        sa.Column(
            "filed_path",
            sa.String(length=255),
            nullable=False,
            comment="path of the grid when found",
        ),
        sa.Column(
            "special_kind",
            sa.String(length=24),
            nullable=True,
            comment="a SpecialKind, for a special family",
        ),
        sa.Column(
            "recognised_on", sa.Date(), nullable=True, comment="认定日期 of a special family"
        ),
        sa.Column(
            "found_on", sa.Date(), nullable=False, comment="the county day it was registered"
        ),
        sa.Column("found_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_family_planning_targets_household_id_households"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["found_by_id"],
            ["users.id"],
            name=op.f("fk_family_planning_targets_found_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["nodes.id"],
            name=op.f("fk_family_planning_targets_node_id_nodes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_family_planning_targets_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_family_planning_targets_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_planning_targets")),
        sa.UniqueConstraint(
            "tenant_id",
            "person_id",
            "kind",
            name=op.f("uq_family_planning_targets_tenant_id_person_id_kind"),
        ),
    )
    with op.batch_alter_table("family_planning_targets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_family_planning_targets_tenant_id_filed_path",
            ["tenant_id", "filed_path"],
            unique=False,
            postgresql_ops={"filed_path": "text_pattern_ops"},
        )
        batch_op.create_index(
            "ix_family_planning_targets_tenant_id_found_by_id_found_on",
            ["tenant_id", "found_by_id", "found_on"],
            unique=False,
        )

    op.create_table(
        "family_planning_follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False, comment="the form as filled in"),
        sa.Column(
            "visit_id", sa.Integer(), nullable=True, comment="the registry's household visit"
        ),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False, comment="when this follow-up fell due"),
        sa.Column(
            "is_on_time", sa.Boolean(), nullable=False, comment="visited by the day it fell due"
        ),
        sa.Column("visited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["form_submissions.id"],
            name=op.f("fk_family_planning_follow_ups_submission_id_form_submissions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["family_planning_targets.id"],
            name=op.f("fk_family_planning_follow_ups_target_id_family_planning_targets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_family_planning_follow_ups_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visits.id"],
            name=op.f("fk_family_planning_follow_ups_visit_id_visits"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["visited_by_id"],
            ["users.id"],
            name=op.f("fk_family_planning_follow_ups_visited_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_planning_follow_ups")),
        sa.UniqueConstraint(
            "tenant_id",
            "submission_id",
            name=op.f("uq_family_planning_follow_ups_tenant_id_submission_id"),
        ),
    )
    with op.batch_alter_table("family_planning_follow_ups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_family_planning_follow_ups_tenant_id_target_id",
            ["tenant_id", "target_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_family_planning_follow_ups_tenant_id_visitor_day",
            ["tenant_id", "visited_by_id", "visited_on"],
            unique=False,
        )

    for table in TENANT_TABLES:
        protect_tenant_table(table)


def downgrade() -> None:
    with op.batch_alter_table("family_planning_follow_ups", schema=None) as batch_op:
        batch_op.drop_index("ix_family_planning_follow_ups_tenant_id_visitor_day")
        batch_op.drop_index("ix_family_planning_follow_ups_tenant_id_target_id")

    op.drop_table("family_planning_follow_ups")
    with op.batch_alter_table("family_planning_targets", schema=None) as batch_op:
        batch_op.drop_index("ix_family_planning_targets_tenant_id_found_by_id_found_on")
        batch_op.drop_index(
            "ix_family_planning_targets_tenant_id_filed_path",
            postgresql_ops={"filed_path": "text_pattern_ops"},
        )

    op.drop_table("family_planning_targets")
    with op.batch_alter_table("family_planning_entitlements", schema=None) as batch_op:
        batch_op.drop_index("ix_family_planning_entitlements_tenant_id_year_state")
        batch_op.drop_index(
            "ix_family_planning_entitlements_tenant_id_filed_path",
            postgresql_ops={"filed_path": "text_pattern_ops"},
        )

    op.drop_table("family_planning_entitlements")
    with op.batch_alter_table("family_planning_births", schema=None) as batch_op:
        batch_op.drop_index("ix_family_planning_births_tenant_id_household_id")
        batch_op.drop_index(
            "ix_family_planning_births_tenant_id_filed_path",
            postgresql_ops={"filed_path": "text_pattern_ops"},
        )

    op.drop_table("family_planning_births")
