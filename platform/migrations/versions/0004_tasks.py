"""Task engine: tasks, their append-only transition log, links, attachments, cards,
supervision, notifications, SLA limits, calendar overrides, counters, patrols, daily logs and
the notice board; row-level security on every one of them.

Revision ID: 0004
Revises: 0003

Generated with autogenerate against gridgov.core.models, then reviewed: every table has a
tenant_id and is protected by RLS; task_transitions is append-only (APPEND_ONLY_TABLES).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gridgov.migrations.rls import protect_tenant_table

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


TENANT_TABLES = (
    "task_sla_limits",
    "work_calendar_days",
    "patrols",
    "task_counters",
    "worker_logs",
    "notice_board_entries",
    "tasks",
    "notifications",
    "task_attachments",
    "task_cards",
    "task_links",
    "task_supervisions",
    "task_transitions",
)


def upgrade() -> None:
    op.create_table(
        "task_sla_limits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_type", sa.String(length=64), nullable=False),
        sa.Column(
            "level", sa.Integer(), nullable=False, comment="level of the node the task waits on"
        ),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column(
            "hours",
            sa.Numeric(precision=8, scale=2, asdecimal=False),
            nullable=False,
            comment="working hours",
        ),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_task_sla_limits_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_sla_limits")),
        sa.UniqueConstraint(
            "tenant_id",
            "task_type",
            "level",
            "state",
            name=op.f("uq_task_sla_limits_tenant_id_task_type_level_state"),
        ),
    )
    op.create_table(
        "work_calendar_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("is_workday", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=100), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_work_calendar_days_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_calendar_days")),
        sa.UniqueConstraint("tenant_id", "day", name=op.f("uq_work_calendar_days_tenant_id_day")),
    )
    op.create_table(
        "patrols",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("latitude", sa.Numeric(precision=9, scale=6, asdecimal=False), nullable=True),
        sa.Column("longitude", sa.Numeric(precision=9, scale=6, asdecimal=False), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["node_id"], ["nodes.id"], name=op.f("fk_patrols_node_id_nodes"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_patrols_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_patrols_user_id_users"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrols")),
    )
    with op.batch_alter_table("patrols", schema=None) as batch_op:
        batch_op.create_index(
            "ix_patrols_tenant_id_user_id_at", ["tenant_id", "user_id", "at"], unique=False
        )

    op.create_table(
        "task_counters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False, comment="first day of the report month"),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("track", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column(
            "level", sa.Integer(), nullable=False, comment="level of the node the tasks wait on"
        ),
        sa.Column("rating", sa.String(length=16), nullable=False, comment="'' when not rated"),
        sa.Column("tasks", sa.Integer(), nullable=False),
        sa.Column(
            "handling_seconds",
            sa.BigInteger(),
            nullable=False,
            comment="sum of report-to-close times of the closed ones",
        ),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["nodes.id"],
            name=op.f("fk_task_counters_node_id_nodes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_task_counters_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_counters")),
        sa.UniqueConstraint(
            "tenant_id",
            "node_id",
            "month",
            "category",
            "track",
            "state",
            "level",
            "rating",
            name=op.f("uq_task_counters_tenant_id_node_id_month_category_track_state_level_rating"),
        ),
    )
    op.create_table(
        "worker_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_worker_logs_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_worker_logs_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_logs")),
        sa.UniqueConstraint(
            "tenant_id", "user_id", "day", name=op.f("uq_worker_logs_tenant_id_user_id_day")
        ),
    )
    op.create_table(
        "notice_board_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("shows_phone", sa.Boolean(), nullable=False),
        sa.Column("photo_file_id", sa.Integer(), nullable=True, comment="the worker's photo"),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["photo_file_id"],
            ["stored_files.id"],
            name=op.f("fk_notice_board_entries_photo_file_id_stored_files"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_notice_board_entries_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notice_board_entries_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_board_entries")),
        sa.UniqueConstraint(
            "tenant_id", "user_id", name=op.f("uq_notice_board_entries_tenant_id_user_id")
        ),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "code",
            sa.String(length=16),
            nullable=False,
            comment="tracking code, the resident's handle",
        ),
        sa.Column(
            "task_type", sa.String(length=64), nullable=False, comment="a registered TaskType name"
        ),
        sa.Column(
            "category", sa.String(length=64), nullable=False, comment="e.g. 民生事项, 矛盾纠纷"
        ),
        sa.Column("source", sa.String(length=16), nullable=False, comment="a Source value"),
        sa.Column("track", sa.String(length=16), nullable=False, comment="a Track value"),
        sa.Column(
            "state",
            sa.String(length=32),
            nullable=False,
            comment="a state of the task type's workflow",
        ),
        sa.Column("is_open", sa.Boolean(), nullable=False, comment="False once closed or after"),
        sa.Column("node_id", sa.Integer(), nullable=False, comment="the grid it was filed under"),
        sa.Column(
            "filed_path",
            sa.String(length=255),
            nullable=False,
            comment="path of the filed grid at report time: scope and counters use it",
        ),
        sa.Column(
            "current_node_id", sa.Integer(), nullable=False, comment="the level it waits on now"
        ),
        sa.Column(
            "current_path", sa.String(length=255), nullable=False, comment="path of current_node"
        ),
        sa.Column(
            "assignee_role",
            sa.String(length=32),
            nullable=True,
            comment="dispatched to this role at current_node",
        ),
        sa.Column(
            "department_id", sa.Integer(), nullable=True, comment="dispatched to a department"
        ),
        sa.Column(
            "dispatcher_node_id",
            sa.Integer(),
            nullable=True,
            comment="the level that dispatched it: returns and results go back there",
        ),
        sa.Column(
            "reporter_id", sa.Integer(), nullable=True, comment="None: a resident or another system"
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("location_text", sa.String(length=300), nullable=False),
        sa.Column("latitude", sa.Numeric(precision=9, scale=6, asdecimal=False), nullable=True),
        sa.Column("longitude", sa.Numeric(precision=9, scale=6, asdecimal=False), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False, comment="1 high, 2 normal, 3 low"),
        sa.Column(
            "deadline",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="overall deadline, if given",
        ),
        sa.Column("stage_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "yellow_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="the stage's yellow threshold",
        ),
        sa.Column(
            "due_at", sa.DateTime(timezone=True), nullable=True, comment="the stage's limit (SLA)"
        ),
        sa.Column("card", sa.String(length=8), nullable=False),
        sa.Column(
            "card_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="when the current card was given",
        ),
        sa.Column("is_supervised", sa.Boolean(), nullable=False, comment="督办: under supervision"),
        sa.Column("rating", sa.String(length=16), nullable=True, comment="a Rating value"),
        sa.Column("rating_comment", sa.Text(), nullable=False),
        sa.Column(
            "external_id",
            sa.String(length=100),
            nullable=True,
            comment="the id another system (12345 hotline) gave it: intake is idempotent",
        ),
        sa.Column(
            "idempotency_key",
            sa.String(length=100),
            nullable=True,
            comment="the key an offline draft was sent with: resent, it is not doubled",
        ),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["current_node_id"],
            ["nodes.id"],
            name=op.f("fk_tasks_current_node_id_nodes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_tasks_department_id_departments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["dispatcher_node_id"],
            ["nodes.id"],
            name=op.f("fk_tasks_dispatcher_node_id_nodes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["node_id"], ["nodes.id"], name=op.f("fk_tasks_node_id_nodes"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["users.id"],
            name=op.f("fk_tasks_reporter_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tasks_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_tasks_tenant_id_code")),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name=op.f("uq_tasks_tenant_id_idempotency_key")
        ),
        sa.UniqueConstraint(
            "tenant_id", "source", "external_id", name=op.f("uq_tasks_tenant_id_source_external_id")
        ),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tasks_tenant_id_card_filed_path",
            ["tenant_id", "card", "filed_path"],
            unique=False,
            postgresql_ops={"filed_path": "text_pattern_ops"},
        )
        batch_op.create_index(
            "ix_tasks_tenant_id_current_node_id_state",
            ["tenant_id", "current_node_id", "state"],
            unique=False,
        )
        batch_op.create_index(
            "ix_tasks_tenant_id_current_path",
            ["tenant_id", "current_path"],
            unique=False,
            postgresql_ops={"current_path": "text_pattern_ops"},
        )
        batch_op.create_index(
            "ix_tasks_tenant_id_department_id", ["tenant_id", "department_id"], unique=False
        )
        batch_op.create_index(
            "ix_tasks_tenant_id_filed_path",
            ["tenant_id", "filed_path"],
            unique=False,
            postgresql_ops={"filed_path": "text_pattern_ops"},
        )
        batch_op.create_index(
            "ix_tasks_tenant_id_is_open_due_at", ["tenant_id", "is_open", "due_at"], unique=False
        )
        batch_op.create_index(
            "ix_tasks_tenant_id_node_id_due_at", ["tenant_id", "node_id", "due_at"], unique=False
        )

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.String(length=32),
            nullable=False,
            comment="card.yellow, card.red, emergency …",
        ),
        sa.Column("message", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_notifications_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_notifications_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notifications_tenant_id_user_id_read_at",
            ["tenant_id", "user_id", "read_at"],
            unique=False,
        )

    op.create_table(
        "task_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["stored_files.id"],
            name=op.f("fk_task_attachments_file_id_stored_files"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_task_attachments_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_task_attachments_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_attachments")),
    )
    with op.batch_alter_table("task_attachments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_task_attachments_tenant_id_task_id", ["tenant_id", "task_id"], unique=False
        )

    op.create_table(
        "task_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("color", sa.String(length=8), nullable=False, comment="yellow or red"),
        sa.Column(
            "state", sa.String(length=32), nullable=False, comment="the stage it was given in"
        ),
        sa.Column("node_id", sa.Integer(), nullable=False, comment="the level the task waited on"),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["node_id"], ["nodes.id"], name=op.f("fk_task_cards_node_id_nodes"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_cards_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_task_cards_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_cards")),
    )
    with op.batch_alter_table("task_cards", schema=None) as batch_op:
        batch_op.create_index("ix_task_cards_tenant_id_at", ["tenant_id", "at"], unique=False)
        batch_op.create_index(
            "ix_task_cards_tenant_id_task_id", ["tenant_id", "task_id"], unique=False
        )

    op.create_table(
        "task_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False, comment="person, dwelling or site"),
        sa.Column("ref_id", sa.Integer(), nullable=False, comment="id of the registry row"),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_links_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_task_links_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_links")),
        sa.UniqueConstraint(
            "tenant_id",
            "task_id",
            "kind",
            "ref_id",
            name=op.f("uq_task_links_tenant_id_task_id_kind_ref_id"),
        ),
    )
    with op.batch_alter_table("task_links", schema=None) as batch_op:
        batch_op.create_index(
            "ix_task_links_tenant_id_kind_ref_id", ["tenant_id", "kind", "ref_id"], unique=False
        )

    op.create_table(
        "task_supervisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False, comment="the supervising level"),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_listed", sa.Boolean(), nullable=False, comment="挂牌督办: posted publicly"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "ended_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="set when the task closes",
        ),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_task_supervisions_created_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["nodes.id"],
            name=op.f("fk_task_supervisions_node_id_nodes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_task_supervisions_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_task_supervisions_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_supervisions")),
    )
    with op.batch_alter_table("task_supervisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_task_supervisions_tenant_id_node_id_ended_at",
            ["tenant_id", "node_id", "ended_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_task_supervisions_tenant_id_task_id", ["tenant_id", "task_id"], unique=False
        )

    op.create_table(
        "task_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column(
            "action", sa.String(length=32), nullable=False, comment="report, accept, dispatch …"
        ),
        sa.Column("from_state", sa.String(length=32), nullable=True, comment="None: the report"),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.Column(
            "actor_id", sa.Integer(), nullable=True, comment="None: a resident or the system"
        ),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column(
            "node_id", sa.Integer(), nullable=False, comment="where the task waits afterwards"
        ),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("file_ids", sa.JSON(), nullable=False, comment="stored_files ids"),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_task_transitions_actor_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["nodes.id"],
            name=op.f("fk_task_transitions_node_id_nodes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_task_transitions_task_id_tasks"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_task_transitions_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_transitions")),
    )
    with op.batch_alter_table("task_transitions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_task_transitions_tenant_id_task_id", ["tenant_id", "task_id"], unique=False
        )

    for table in TENANT_TABLES:
        protect_tenant_table(table)
    # A new table with a tenant_id column: protect_tenant_table("<name>") here (RLS policy).


def downgrade() -> None:
    with op.batch_alter_table("task_transitions", schema=None) as batch_op:
        batch_op.drop_index("ix_task_transitions_tenant_id_task_id")

    op.drop_table("task_transitions")
    with op.batch_alter_table("task_supervisions", schema=None) as batch_op:
        batch_op.drop_index("ix_task_supervisions_tenant_id_task_id")
        batch_op.drop_index("ix_task_supervisions_tenant_id_node_id_ended_at")

    op.drop_table("task_supervisions")
    with op.batch_alter_table("task_links", schema=None) as batch_op:
        batch_op.drop_index("ix_task_links_tenant_id_kind_ref_id")

    op.drop_table("task_links")
    with op.batch_alter_table("task_cards", schema=None) as batch_op:
        batch_op.drop_index("ix_task_cards_tenant_id_task_id")
        batch_op.drop_index("ix_task_cards_tenant_id_at")

    op.drop_table("task_cards")
    with op.batch_alter_table("task_attachments", schema=None) as batch_op:
        batch_op.drop_index("ix_task_attachments_tenant_id_task_id")

    op.drop_table("task_attachments")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_tenant_id_user_id_read_at")

    op.drop_table("notifications")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_tenant_id_node_id_due_at")
        batch_op.drop_index("ix_tasks_tenant_id_is_open_due_at")
        batch_op.drop_index(
            "ix_tasks_tenant_id_filed_path", postgresql_ops={"filed_path": "text_pattern_ops"}
        )
        batch_op.drop_index("ix_tasks_tenant_id_department_id")
        batch_op.drop_index(
            "ix_tasks_tenant_id_current_path", postgresql_ops={"current_path": "text_pattern_ops"}
        )
        batch_op.drop_index("ix_tasks_tenant_id_current_node_id_state")
        batch_op.drop_index(
            "ix_tasks_tenant_id_card_filed_path", postgresql_ops={"filed_path": "text_pattern_ops"}
        )

    op.drop_table("tasks")
    op.drop_table("notice_board_entries")
    op.drop_table("worker_logs")
    op.drop_table("task_counters")
    with op.batch_alter_table("patrols", schema=None) as batch_op:
        batch_op.drop_index("ix_patrols_tenant_id_user_id_at")

    op.drop_table("patrols")
    op.drop_table("work_calendar_days")
    op.drop_table("task_sla_limits")
