"""Period reports: the transition log says which department a step concerned (dispatched to
it, handled or returned by it), and tasks are indexed by the moments a period report counts
from (reported, closed), so a county's quarter does not scan every task it ever had.

Steps logged before this revision name no department: a period report counts departments'
work from this revision on.

Revision ID: 0016
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEPARTMENT_COMMENT = (
    "the department the step concerned: dispatched to it, handled or returned by it"
)


def upgrade() -> None:
    with op.batch_alter_table("task_transitions") as batch:
        batch.add_column(
            sa.Column("department_id", sa.Integer(), nullable=True, comment=DEPARTMENT_COMMENT)
        )
        batch.create_foreign_key(
            "fk_task_transitions_department_id_departments",
            "departments",
            ["department_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch.create_index(
            "ix_task_transitions_tenant_id_department_id_at",
            ["tenant_id", "department_id", "at"],
            unique=False,
        )
    with op.batch_alter_table("tasks") as batch:
        batch.create_index("ix_tasks_tenant_id_reported_at", ["tenant_id", "reported_at"])
        batch.create_index("ix_tasks_tenant_id_closed_at", ["tenant_id", "closed_at"])


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_index("ix_tasks_tenant_id_closed_at")
        batch.drop_index("ix_tasks_tenant_id_reported_at")
    with op.batch_alter_table("task_transitions") as batch:
        batch.drop_index("ix_task_transitions_tenant_id_department_id_at")
        batch.drop_constraint("fk_task_transitions_department_id_departments", type_="foreignkey")
        batch.drop_column("department_id")
