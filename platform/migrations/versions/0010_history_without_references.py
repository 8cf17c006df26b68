"""The change history (record_changes) names the grid and the actor by id without foreign keys,
as the audit log does: an append-only history constrains nothing, and the two checks per entry
were a quarter of the cost of storing an imported person.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NODE_COMMENT = "the grid the record was in (nodes.id)"
ACTOR_COMMENT = "users.id of who changed it, if a user"


def upgrade() -> None:
    with op.batch_alter_table("record_changes") as batch:
        batch.drop_constraint("fk_record_changes_node_id_nodes", type_="foreignkey")
        batch.drop_constraint("fk_record_changes_actor_id_users", type_="foreignkey")
        batch.alter_column("node_id", existing_type=sa.Integer(), comment=NODE_COMMENT)
        batch.alter_column("actor_id", existing_type=sa.Integer(), comment=ACTOR_COMMENT)


def downgrade() -> None:
    # Entries of users or grids deleted since would break the keys: they lose the reference.
    op.execute(
        "UPDATE record_changes SET actor_id = NULL"
        " WHERE actor_id IS NOT NULL AND actor_id NOT IN (SELECT id FROM users)"
    )
    with op.batch_alter_table("record_changes") as batch:
        batch.alter_column("node_id", existing_type=sa.Integer(), comment=None)
        batch.alter_column("actor_id", existing_type=sa.Integer(), comment=None)
        batch.create_foreign_key(
            "fk_record_changes_node_id_nodes", "nodes", ["node_id"], ["id"], ondelete="RESTRICT"
        )
        batch.create_foreign_key(
            "fk_record_changes_actor_id_users", "users", ["actor_id"], ["id"], ondelete="SET NULL"
        )
