"""The county's own rule table, versioned: task_rule_versions and task_rules replace
task_sla_limits (each county's limits become version 1 of its table, with its
``escalate_red_tasks`` setting as a rule for every stage); a task's stage and each card keep
the version in force (rule_version_id), and a stage has a red threshold of its own (red_at).
Data is moved county by county, as that county (the tables are under FORCE ROW LEVEL SECURITY).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gridgov.core.db import TENANT_SETTING
from gridgov.migrations.rls import protect_tenant_table

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MIGRATED_BY = "数据迁移（原办理时限设置）"
ESCALATE_RED_SETTING = "escalate_red_tasks"


def upgrade() -> None:
    op.create_table(
        "task_rule_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False, comment="1, 2, … within the county"),
        sa.Column(
            "source",
            sa.String(length=16),
            nullable=False,
            comment="portal, api, manifest or migration",
        ),
        sa.Column("note", sa.Text(), nullable=False, comment="why the rules changed"),
        sa.Column(
            "created_by_id",
            sa.Integer(),
            nullable=True,
            comment="None: a manifest or a migration",
        ),
        sa.Column("created_by_name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_task_rule_versions_created_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_task_rule_versions_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_rule_versions")),
        sa.UniqueConstraint(
            "tenant_id", "number", name=op.f("uq_task_rule_versions_tenant_id_number")
        ),
    )
    op.create_table(
        "task_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("task_type", sa.String(length=64), nullable=True, comment="None: every type"),
        sa.Column("category", sa.String(length=64), nullable=True, comment="None: every category"),
        sa.Column(
            "level", sa.Integer(), nullable=True, comment="level the task waits on; None: any"
        ),
        sa.Column(
            "state", sa.String(length=32), nullable=True, comment="the stage; None: every stage"
        ),
        sa.Column(
            "hours",
            sa.Numeric(precision=8, scale=2, asdecimal=False),
            nullable=True,
            comment="the stage's limit in working hours",
        ),
        sa.Column(
            "yellow_percent", sa.Integer(), nullable=True, comment="yellow card at this % of it"
        ),
        sa.Column("red_percent", sa.Integer(), nullable=True, comment="red card at this % of it"),
        sa.Column("escalate", sa.Boolean(), nullable=True, comment="a red task goes up by itself"),
        sa.Column(
            "escalate_to_level", sa.Integer(), nullable=True, comment="to this level; None: next"
        ),
        sa.Column(
            "yellow_points",
            sa.Numeric(precision=5, scale=2, asdecimal=False),
            nullable=True,
            comment="assessment points a yellow card deducts",
        ),
        sa.Column(
            "red_points",
            sa.Numeric(precision=5, scale=2, asdecimal=False),
            nullable=True,
            comment="assessment points a red card deducts",
        ),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_task_rules_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["task_rule_versions.id"],
            name=op.f("fk_task_rules_version_id_task_rule_versions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_rules")),
    )
    with op.batch_alter_table("task_rules") as batch:
        batch.create_index("ix_task_rules_tenant_id_version_id", ["tenant_id", "version_id"])
    protect_tenant_table("task_rule_versions")
    protect_tenant_table("task_rules")

    with op.batch_alter_table("tasks") as batch:
        batch.add_column(
            sa.Column(
                "red_at",
                sa.DateTime(timezone=True),
                nullable=True,
                comment="the stage's red threshold",
            )
        )
        batch.add_column(
            sa.Column(
                "rule_version_id",
                sa.Integer(),
                nullable=True,
                comment="the county's rules in force when the stage started; None: the engine's",
            )
        )
        batch.create_foreign_key(
            op.f("fk_tasks_rule_version_id_task_rule_versions"),
            "task_rule_versions",
            ["rule_version_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch.alter_column(
            "due_at",
            existing_type=sa.DateTime(timezone=True),
            existing_nullable=True,
            comment="the stage's limit (SLA), never later than the deadline",
        )
        batch.create_index("ix_tasks_tenant_id_is_open_red_at", ["tenant_id", "is_open", "red_at"])
    with op.batch_alter_table("task_cards") as batch:
        batch.add_column(
            sa.Column(
                "rule_version_id",
                sa.Integer(),
                nullable=True,
                comment="the rules (and card points) in force for the stage; None: the engine's",
            )
        )
        batch.create_foreign_key(
            op.f("fk_task_cards_rule_version_id_task_rule_versions"),
            "task_rule_versions",
            ["rule_version_id"],
            ["id"],
            ondelete="RESTRICT",
        )
    _carry_over()
    op.drop_table("task_sla_limits")


def _as_tenant(tenant_id: int | None) -> None:
    """Act as one county for the rest of the transaction: the tables are under FORCE ROW
    LEVEL SECURITY, so even the owner running the migration sees only that county's rows."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.execute(
            sa.text("SELECT set_config(:name, :value, true)"),
            {"name": TENANT_SETTING, "value": "" if tenant_id is None else str(tenant_id)},
        )


def _carry_over() -> None:
    """County by county: running stages get their red threshold (until now the red card came
    at the stage's limit), and the county's limits and escalate_red_tasks setting become
    version 1 of its table."""
    bind = op.get_bind()
    now = dt.datetime.now(dt.UTC)
    tenants = sa.table("tenants", sa.column("id", sa.Integer), sa.column("settings", sa.JSON))
    versions = sa.table(
        "task_rule_versions",
        *(sa.column(name) for name in ("tenant_id", "number", "source", "note")),
        sa.column("created_by_name"),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    for tenant_id, settings in bind.execute(sa.select(tenants.c.id, tenants.c.settings)).all():
        _as_tenant(tenant_id)
        bind.execute(
            sa.text("UPDATE tasks SET red_at = due_at WHERE tenant_id = :t"), {"t": tenant_id}
        )
        rows: list[dict[str, object]] = [
            {"task_type": task_type, "level": level, "state": state, "hours": hours}
            for task_type, level, state, hours in bind.execute(
                sa.text(
                    "SELECT task_type, level, state, hours FROM task_sla_limits "
                    "WHERE tenant_id = :t ORDER BY id"
                ),
                {"t": tenant_id},
            )
        ]
        settings = dict(settings or {})
        if ESCALATE_RED_SETTING in settings:
            if settings.pop(ESCALATE_RED_SETTING):
                rows.append({"escalate": True})
            bind.execute(
                tenants.update().where(tenants.c.id == tenant_id).values(settings=settings)
            )
        if not rows:
            continue
        bind.execute(
            versions.insert().values(
                tenant_id=tenant_id,
                number=1,
                source="migration",
                note="",
                created_by_name=MIGRATED_BY,
                created_at=now,
            )
        )
        version_id = bind.execute(
            sa.text("SELECT id FROM task_rule_versions WHERE tenant_id = :t AND number = 1"),
            {"t": tenant_id},
        ).scalar_one()
        for row in rows:
            bind.execute(
                sa.text(
                    "INSERT INTO task_rules (tenant_id, version_id, task_type, level, state, "
                    "hours, escalate) VALUES (:t, :v, :task_type, :level, :state, :hours, "
                    ":escalate)"
                ),
                {
                    "t": tenant_id,
                    "v": version_id,
                    "task_type": row.get("task_type"),
                    "level": row.get("level"),
                    "state": row.get("state"),
                    "hours": row.get("hours"),
                    "escalate": row.get("escalate"),
                },
            )
        # The stages running now ran on these limits and this escalation: version 1 is theirs,
        # so a county that escalated red tasks still does for the tasks open at the upgrade.
        bind.execute(
            sa.text("UPDATE tasks SET rule_version_id = :v WHERE tenant_id = :t AND is_open"),
            {"t": tenant_id, "v": version_id},
        )
    _as_tenant(None)


def downgrade() -> None:
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
    protect_tenant_table("task_sla_limits")
    # What the old table can hold of each county's newest version: a limit for one type,
    # level and stage. The rest (categories, cards, points, escalation) goes with the feature.
    bind = op.get_bind()
    for tenant_id in bind.execute(sa.text("SELECT id FROM tenants")).scalars().all():
        _as_tenant(tenant_id)
        bind.execute(
            sa.text(
                "INSERT INTO task_sla_limits (tenant_id, task_type, level, state, hours) "
                "SELECT r.tenant_id, r.task_type, r.level, r.state, r.hours FROM task_rules r "
                "JOIN task_rule_versions v ON v.id = r.version_id "
                "WHERE v.tenant_id = :t AND v.number = (SELECT max(number) "
                "FROM task_rule_versions w WHERE w.tenant_id = :t) "
                "AND r.task_type IS NOT NULL AND r.level IS NOT NULL AND r.state IS NOT NULL "
                "AND r.hours IS NOT NULL AND r.category IS NULL"
            ),
            {"t": tenant_id},
        )
    _as_tenant(None)
    with op.batch_alter_table("task_cards") as batch:
        batch.drop_constraint(
            op.f("fk_task_cards_rule_version_id_task_rule_versions"), type_="foreignkey"
        )
        batch.drop_column("rule_version_id")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_index("ix_tasks_tenant_id_is_open_red_at")
        batch.drop_constraint(
            op.f("fk_tasks_rule_version_id_task_rule_versions"), type_="foreignkey"
        )
        batch.drop_column("rule_version_id")
        batch.drop_column("red_at")
        batch.alter_column(
            "due_at",
            existing_type=sa.DateTime(timezone=True),
            existing_nullable=True,
            comment="the stage's limit (SLA)",
        )
    with op.batch_alter_table("task_rules") as batch:
        batch.drop_index("ix_task_rules_tenant_id_version_id")
    op.drop_table("task_rules")
    op.drop_table("task_rule_versions")
