"""An import remembers the county's own column headers it was given (表头对应), so that the job
reading the file later matches the same columns: import_runs.mapping.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_runs") as batch:
        batch.add_column(
            sa.Column(
                "mapping",
                sa.JSON(),
                nullable=True,
                comment="the county's own headers: sheet header -> column key",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("import_runs") as batch:
        batch.drop_column("mapping")
