"""File jobs: imports, people exports and card-list exports share one status vocabulary
(``files.models.RunStatus``); only the column comments that named the two old enums change.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_COMMENTS = {
    "import_runs": "ImportStatus",
    "export_runs": "ImportStatus",
    "task_exports": "ExportStatus",
}


def _comment_status(comments: dict[str, str], previous: dict[str, str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite keeps no column comments: nothing to change, no table to rebuild
    for table, comment in comments.items():
        op.alter_column(
            table,
            "status",
            existing_type=sa.String(16),
            existing_nullable=False,
            comment=comment,
            existing_comment=previous[table],
        )


def upgrade() -> None:
    _comment_status(dict.fromkeys(OLD_COMMENTS, "RunStatus"), OLD_COMMENTS)


def downgrade() -> None:
    _comment_status(OLD_COMMENTS, dict.fromkeys(OLD_COMMENTS, "RunStatus"))
