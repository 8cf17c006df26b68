"""The monthly assessment of grid workers: the county's scheme versions, leave requests
(请销假), morning meetings (晨会) and their attendance, comments on daily logs, spot checks
(抽查), manual scores, the monthly runs and the sheets they write with their lines, the
reviewers' adjustments, objections (复核), locked months and payouts. Every table is the
county's (RLS).

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gridgov.migrations.rls import protect_tenant_table

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "assessment_manual_scores",
    "assessment_meetings",
    "assessment_objections",
    "assessment_periods",
    "assessment_schemes",
    "leave_requests",
    "assessment_adjustments",
    "assessment_meeting_attendance",
    "assessment_runs",
    "worker_log_comments",
    "assessment_sheets",
    "assessment_lines",
    "assessment_spot_checks",
)


def upgrade() -> None:
    op.create_table(
        "assessment_manual_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False, comment="YYYY-MM"),
        sa.Column("user_id", sa.Integer(), nullable=False, comment="the grid worker scored"),
        sa.Column("line", sa.String(length=127), nullable=False, comment="the scheme line's code"),
        sa.Column(
            "scorer",
            sa.String(length=100),
            nullable=False,
            comment="who gave it: a user's username, or a representative's name",
        ),
        sa.Column("points", sa.Double(), nullable=False, comment="0 … the line's points"),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("entered_by_name", sa.String(length=100), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["users.id"],
            name=op.f("fk_assessment_manual_scores_entered_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_assessment_manual_scores_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_assessment_manual_scores_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_manual_scores")),
        sa.UniqueConstraint(
            "tenant_id",
            "month",
            "user_id",
            "line",
            "scorer",
            name=op.f("uq_assessment_manual_scores_tenant_id_month_user_id_line_scorer"),
        ),
    )
    with op.batch_alter_table("assessment_manual_scores", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assessment_manual_scores_tenant_id_month", ["tenant_id", "month"], unique=False
        )

    op.create_table(
        "assessment_meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "node_id", sa.Integer(), nullable=False, comment="the station (community) holding it"
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_name", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["nodes.id"],
            name=op.f("fk_assessment_meetings_node_id_nodes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_assessment_meetings_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_assessment_meetings_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_meetings")),
        sa.UniqueConstraint(
            "tenant_id", "node_id", "day", name=op.f("uq_assessment_meetings_tenant_id_node_id_day")
        ),
    )
    op.create_table(
        "assessment_objections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False, comment="YYYY-MM"),
        sa.Column("user_id", sa.Integer(), nullable=False, comment="the worker objecting"),
        sa.Column("line", sa.String(length=127), nullable=False, comment="the line disputed"),
        sa.Column("text", sa.Text(), nullable=False, comment="what the worker says"),
        sa.Column("state", sa.String(length=16), nullable=False, comment="an ObjectionState value"),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "due_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="the answer is due by then",
        ),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("upheld", sa.Boolean(), nullable=True, comment="True: the line was changed"),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_by_name", sa.String(length=100), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["users.id"],
            name=op.f("fk_assessment_objections_answered_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_assessment_objections_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_assessment_objections_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_objections")),
    )
    with op.batch_alter_table("assessment_objections", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assessment_objections_tenant_id_month_user_id",
            ["tenant_id", "month", "user_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_assessment_objections_tenant_id_state_due_at",
            ["tenant_id", "state", "due_at"],
            unique=False,
        )

    op.create_table(
        "assessment_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False, comment="lock (a month) or payout"),
        sa.Column(
            "period",
            sa.String(length=7),
            nullable=False,
            comment="YYYY-MM, or YYYY-Qn for a quarter",
        ),
        sa.Column(
            "at", sa.DateTime(timezone=True), nullable=False, comment="locked, or payout opened"
        ),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("by_name", sa.String(length=100), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True, comment="payout: promised by this day"),
        sa.Column(
            "payout_state", sa.String(length=16), nullable=True, comment="a PayoutState value"
        ),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column(
            "amount", sa.Double(), nullable=True, comment="payout: yuan of floating pay in total"
        ),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["users.id"],
            name=op.f("fk_assessment_periods_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_assessment_periods_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_periods")),
        sa.UniqueConstraint(
            "tenant_id", "kind", "period", name=op.f("uq_assessment_periods_tenant_id_kind_period")
        ),
    )
    op.create_table(
        "assessment_schemes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False, comment="1, 2, … within the county"),
        sa.Column(
            "first_month", sa.String(length=7), nullable=False, comment="YYYY-MM it applies from"
        ),
        sa.Column(
            "definition",
            sa.JSON(),
            nullable=False,
            comment="categories, lines, bands, floating share (assessment.scheme.Scheme)",
        ),
        sa.Column(
            "source",
            sa.String(length=16),
            nullable=False,
            comment="default, portal, api or manifest",
        ),
        sa.Column("note", sa.Text(), nullable=False, comment="why the scheme changed"),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_assessment_schemes_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_assessment_schemes_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_schemes")),
        sa.UniqueConstraint(
            "tenant_id", "number", name=op.f("uq_assessment_schemes_tenant_id_number")
        ),
    )
    op.create_table(
        "leave_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column(
            "last_day", sa.Date(), nullable=False, comment="inclusive; lowered when back early"
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False, comment="a LeaveState value"),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_name", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column(
            "ended_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="销假: when the worker came back",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_leave_requests_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_leave_requests_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_leave_requests_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leave_requests")),
    )
    with op.batch_alter_table("leave_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_leave_requests_tenant_id_user_id_first_day",
            ["tenant_id", "user_id", "first_day"],
            unique=False,
        )

    op.create_table(
        "assessment_adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False, comment="YYYY-MM"),
        sa.Column("user_id", sa.Integer(), nullable=False, comment="the grid worker"),
        sa.Column("line", sa.String(length=127), nullable=False, comment="the scheme line's code"),
        sa.Column("points_before", sa.Double(), nullable=True, comment="the line's points before"),
        sa.Column("points", sa.Double(), nullable=False, comment="the line's points from now on"),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "objection_id", sa.Integer(), nullable=True, comment="the objection it answers, if any"
        ),
        sa.Column(
            "after_lock", sa.Boolean(), nullable=False, comment="a correction of a locked month"
        ),
        sa.Column("made_by_id", sa.Integer(), nullable=True),
        sa.Column("made_by_name", sa.String(length=100), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["made_by_id"],
            ["users.id"],
            name=op.f("fk_assessment_adjustments_made_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["objection_id"],
            ["assessment_objections.id"],
            name=op.f("fk_assessment_adjustments_objection_id_assessment_objections"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_assessment_adjustments_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_assessment_adjustments_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_adjustments")),
    )
    with op.batch_alter_table("assessment_adjustments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assessment_adjustments_tenant_id_month_user_id",
            ["tenant_id", "month", "user_id"],
            unique=False,
        )

    op.create_table(
        "assessment_meeting_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["assessment_meetings.id"],
            name=op.f("fk_assessment_meeting_attendance_meeting_id_assessment_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_assessment_meeting_attendance_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_assessment_meeting_attendance_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_meeting_attendance")),
        sa.UniqueConstraint(
            "tenant_id",
            "meeting_id",
            "user_id",
            name=op.f("uq_assessment_meeting_attendance_tenant_id_meeting_id_user_id"),
        ),
    )
    op.create_table(
        "assessment_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False, comment="YYYY-MM"),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("sheets", sa.Integer(), nullable=True, comment="sheets written"),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False, comment="RunStatus"),
        sa.Column("job_id", sa.String(length=64), nullable=True, comment="RQ job id, for progress"),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_assessment_runs_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["scheme_id"],
            ["assessment_schemes.id"],
            name=op.f("fk_assessment_runs_scheme_id_assessment_schemes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_assessment_runs_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_runs")),
    )
    with op.batch_alter_table("assessment_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assessment_runs_tenant_id_month", ["tenant_id", "month"], unique=False
        )

    op.create_table(
        "worker_log_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_worker_log_comments_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["log_id"],
            ["worker_logs.id"],
            name=op.f("fk_worker_log_comments_log_id_worker_logs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_worker_log_comments_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_log_comments")),
    )
    with op.batch_alter_table("worker_log_comments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_worker_log_comments_tenant_id_log_id", ["tenant_id", "log_id"], unique=False
        )

    op.create_table(
        "assessment_sheets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False, comment="YYYY-MM"),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "user_name",
            sa.String(length=100),
            nullable=False,
            comment="the worker's name that month",
        ),
        sa.Column("node_id", sa.Integer(), nullable=True, comment="the worker's (first) grid"),
        sa.Column(
            "node_path",
            sa.String(length=255),
            nullable=False,
            comment="its path, for scoped reading",
        ),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Double(), nullable=False, comment="out of 100, two decimals"),
        sa.Column(
            "band", sa.String(length=32), nullable=False, comment="the pay band's label, e.g. ≥90"
        ),
        sa.Column(
            "pay_percent", sa.Double(), nullable=False, comment="share of the floating pay paid"
        ),
        sa.Column(
            "floating_amount",
            sa.Double(),
            nullable=True,
            comment="yuan paid of the floating share; None: the county set no salary",
        ),
        sa.Column(
            "indicators",
            sa.JSON(),
            nullable=False,
            comment="valid-report, on-time, missed-report and visit rates",
        ),
        sa.Column(
            "pending_lines", sa.Integer(), nullable=False, comment="manual lines not scored yet"
        ),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["nodes.id"],
            name=op.f("fk_assessment_sheets_node_id_nodes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["assessment_runs.id"],
            name=op.f("fk_assessment_sheets_run_id_assessment_runs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["scheme_id"],
            ["assessment_schemes.id"],
            name=op.f("fk_assessment_sheets_scheme_id_assessment_schemes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_assessment_sheets_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_assessment_sheets_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_sheets")),
        sa.UniqueConstraint(
            "tenant_id",
            "month",
            "user_id",
            name=op.f("uq_assessment_sheets_tenant_id_month_user_id"),
        ),
    )
    with op.batch_alter_table("assessment_sheets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assessment_sheets_tenant_id_month_node_path",
            ["tenant_id", "month", "node_path"],
            unique=False,
        )

    op.create_table(
        "assessment_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False, comment="place on the sheet"),
        sa.Column(
            "code",
            sa.String(length=127),
            nullable=False,
            comment="the scheme line, e.g. core.patrols",
        ),
        sa.Column(
            "category", sa.String(length=16), nullable=False, comment="integrity, ability, …"
        ),
        sa.Column(
            "source",
            sa.String(length=63),
            nullable=False,
            comment="core, manual, or the module's name",
        ),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False, comment="a LineStatus value"),
        sa.Column(
            "points",
            sa.Double(),
            nullable=True,
            comment="the points counted: the rule's, or the latest adjustment's; None unless scored",
        ),
        sa.Column(
            "computed_points", sa.Double(), nullable=True, comment="the rule's, before adjustment"
        ),
        sa.Column(
            "adjustment_id",
            sa.Integer(),
            nullable=True,
            comment="the adjustment in force on the line, if any",
        ),
        sa.Column("max_points", sa.Double(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False, comment="the figures, in words"),
        sa.Column(
            "detail_en",
            sa.Text(),
            nullable=False,
            comment="a module's own English words, if it gave them",
        ),
        sa.Column("figures", sa.JSON(), nullable=False, comment="the figures as data"),
        sa.Column(
            "evidence",
            sa.JSON(),
            nullable=False,
            comment="ids of the records counted, by kind (task, patrol, visit, …)",
        ),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["adjustment_id"],
            ["assessment_adjustments.id"],
            name=op.f("fk_assessment_lines_adjustment_id_assessment_adjustments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sheet_id"],
            ["assessment_sheets.id"],
            name=op.f("fk_assessment_lines_sheet_id_assessment_sheets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_assessment_lines_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_lines")),
    )
    with op.batch_alter_table("assessment_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assessment_lines_tenant_id_sheet_id", ["tenant_id", "sheet_id"], unique=False
        )
        batch_op.create_index("ix_assessment_lines_sheet_id", ["sheet_id"], unique=False)

    op.create_table(
        "assessment_spot_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False, comment="the grid worker checked on"),
        sa.Column(
            "household_id", sa.Integer(), nullable=True, comment="the household asked, if known"
        ),
        sa.Column("resident", sa.String(length=100), nullable=False, comment="who was asked"),
        sa.Column(
            "knows_worker", sa.Boolean(), nullable=False, comment="knew their grid worker (知晓)"
        ),
        sa.Column(
            "was_visited", sa.Boolean(), nullable=False, comment="says they were visited (入户)"
        ),
        sa.Column(
            "satisfaction",
            sa.String(length=16),
            nullable=False,
            comment="a SatisfactionAnswer value",
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_by_id", sa.Integer(), nullable=True),
        sa.Column("checked_by_name", sa.String(length=100), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["checked_by_id"],
            ["users.id"],
            name=op.f("fk_assessment_spot_checks_checked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_assessment_spot_checks_household_id_households"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_assessment_spot_checks_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_assessment_spot_checks_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_spot_checks")),
    )
    with op.batch_alter_table("assessment_spot_checks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assessment_spot_checks_tenant_id_user_id_at",
            ["tenant_id", "user_id", "at"],
            unique=False,
        )

    for table in TABLES:
        protect_tenant_table(table)


def downgrade() -> None:
    with op.batch_alter_table("assessment_spot_checks", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_spot_checks_tenant_id_user_id_at")

    op.drop_table("assessment_spot_checks")
    with op.batch_alter_table("assessment_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_lines_sheet_id")
        batch_op.drop_index("ix_assessment_lines_tenant_id_sheet_id")

    op.drop_table("assessment_lines")
    with op.batch_alter_table("assessment_sheets", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_sheets_tenant_id_month_node_path")

    op.drop_table("assessment_sheets")
    with op.batch_alter_table("worker_log_comments", schema=None) as batch_op:
        batch_op.drop_index("ix_worker_log_comments_tenant_id_log_id")

    op.drop_table("worker_log_comments")
    with op.batch_alter_table("assessment_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_runs_tenant_id_month")

    op.drop_table("assessment_runs")
    op.drop_table("assessment_meeting_attendance")
    with op.batch_alter_table("assessment_adjustments", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_adjustments_tenant_id_month_user_id")

    op.drop_table("assessment_adjustments")
    with op.batch_alter_table("leave_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_leave_requests_tenant_id_user_id_first_day")

    op.drop_table("leave_requests")
    op.drop_table("assessment_schemes")
    op.drop_table("assessment_periods")
    with op.batch_alter_table("assessment_objections", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_objections_tenant_id_state_due_at")
        batch_op.drop_index("ix_assessment_objections_tenant_id_month_user_id")

    op.drop_table("assessment_objections")
    op.drop_table("assessment_meetings")
    with op.batch_alter_table("assessment_manual_scores", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_manual_scores_tenant_id_month")

    op.drop_table("assessment_manual_scores")
