"""Fewer index entries for the card sweep to write (issue 20, item 4).

Each task the sweep cards gets a new row version with an entry in every index of ``tasks``
(``card`` is indexed, so the update is never HOT): about 2 µs a task for each index. So:

- the sweep reads its candidates of both colours from (tenant, is_open, yellow_at), which
  replaces (tenant, is_open, red_at): a stage is never red before it is yellow (running stages
  whose thresholds crossed get yellow at red here, as ``deadlines.start_stage`` now does), and
  the yellow ones were looked for among all the open tasks not yet red;
- the department and closing-time indexes keep only the tasks with a value: the open tasks the
  sweep cards have none, and every query by department or closing time names a value.

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gridgov.core.db import TENANT_SETTING

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTIAL = {"department_id": "department_id IS NOT NULL", "closed_at": "closed_at IS NOT NULL"}


def upgrade() -> None:
    bind = op.get_bind()
    # County by county: the tables are under FORCE ROW LEVEL SECURITY, so even the owner
    # running the migration sees only the county it names.
    for tenant_id in bind.execute(sa.text("SELECT id FROM tenants")).scalars().all():
        if bind.dialect.name == "postgresql":
            bind.execute(
                sa.text("SELECT set_config(:name, :value, true)"),
                {"name": TENANT_SETTING, "value": str(tenant_id)},
            )
        bind.execute(
            sa.text(
                "UPDATE tasks SET yellow_at = red_at WHERE tenant_id = :t AND yellow_at > red_at"
            ),
            {"t": tenant_id},
        )
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("SELECT set_config(:name, '', true)"), {"name": TENANT_SETTING})
    op.drop_index("ix_tasks_tenant_id_is_open_red_at", table_name="tasks")
    op.create_index(
        "ix_tasks_tenant_id_is_open_yellow_at", "tasks", ["tenant_id", "is_open", "yellow_at"]
    )
    for column, where in PARTIAL.items():
        name = f"ix_tasks_tenant_id_{column}"
        op.drop_index(name, table_name="tasks")
        op.create_index(
            name,
            "tasks",
            ["tenant_id", column],
            postgresql_where=sa.text(where),
            sqlite_where=sa.text(where),
        )


def downgrade() -> None:
    for column in PARTIAL:
        name = f"ix_tasks_tenant_id_{column}"
        op.drop_index(name, table_name="tasks")
        op.create_index(name, "tasks", ["tenant_id", column])
    op.drop_index("ix_tasks_tenant_id_is_open_yellow_at", table_name="tasks")
    op.create_index(
        "ix_tasks_tenant_id_is_open_red_at", "tasks", ["tenant_id", "is_open", "red_at"]
    )
