"""Period reports: tasks are indexed by the moments a period report counts from (reported,
closed), so a county's quarter does not scan every task it ever had. (Which department a step
concerned is in the transition log since 0014; steps logged before it name none, so a period
report counts departments' work from then on.)

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.create_index("ix_tasks_tenant_id_reported_at", ["tenant_id", "reported_at"])
        batch.create_index("ix_tasks_tenant_id_closed_at", ["tenant_id", "closed_at"])


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_index("ix_tasks_tenant_id_closed_at")
        batch.drop_index("ix_tasks_tenant_id_reported_at")
