"""A supervision may be ordered by a county's standing rule, with no one's name on it (a
department module lists a major hazard the moment it is filed): task_supervisions.created_by_id
becomes NULL-able.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COMMENT = "who ordered it; NULL: a county's standing rule did (e.g. 重大隐患自动挂牌)"


def upgrade() -> None:
    with op.batch_alter_table("task_supervisions") as batch:
        batch.alter_column(
            "created_by_id", existing_type=sa.Integer(), nullable=True, comment=COMMENT
        )


def downgrade() -> None:
    # A rule's supervisions have no author to give back: they go with the feature.
    op.execute("DELETE FROM task_supervisions WHERE created_by_id IS NULL")
    with op.batch_alter_table("task_supervisions") as batch:
        batch.alter_column(
            "created_by_id", existing_type=sa.Integer(), nullable=False, comment=None
        )
