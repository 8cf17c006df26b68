"""A dispatch to a department names the department on its transition, so the department's
officers keep reading a task after they handled, returned or escalated it; the waiting lists
read tasks by type and state.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.create_index(
            "ix_tasks_tenant_id_task_type_state", ["tenant_id", "task_type", "state"]
        )
    with op.batch_alter_table("task_transitions") as batch:
        batch.add_column(
            sa.Column(
                "department_id",
                sa.Integer(),
                nullable=True,
                comment="the department the step concerned: dispatched to it, handled or returned by it",
            )
        )
        batch.create_foreign_key(
            op.f("fk_task_transitions_department_id_departments"),
            "departments",
            ["department_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch.create_index(
            "ix_task_transitions_tenant_id_department_id_at", ["tenant_id", "department_id", "at"]
        )


def downgrade() -> None:
    with op.batch_alter_table("task_transitions") as batch:
        batch.drop_index("ix_task_transitions_tenant_id_department_id_at")
        batch.drop_constraint(
            op.f("fk_task_transitions_department_id_departments"), type_="foreignkey"
        )
        batch.drop_column("department_id")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_index("ix_tasks_tenant_id_task_type_state")
