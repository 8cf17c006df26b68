"""An idempotency key and an external id belong to the reporter who sent them: unique per
county and reporter, so another reporter's key is a key of their own, never a way to someone
else's task.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_constraint("uq_tasks_tenant_id_idempotency_key", type_="unique")
        batch.drop_constraint("uq_tasks_tenant_id_source_external_id", type_="unique")
        batch.create_unique_constraint(
            "uq_tasks_tenant_id_reporter_id_idempotency_key",
            ["tenant_id", "reporter_id", "idempotency_key"],
        )
        batch.create_unique_constraint(
            "uq_tasks_tenant_id_reporter_id_source_external_id",
            ["tenant_id", "reporter_id", "source", "external_id"],
        )


def downgrade() -> None:
    # Keys two reporters share cannot be county-wide again: the later task loses its key.
    for column, partition in (
        ("idempotency_key", "tenant_id, idempotency_key"),
        ("external_id", "tenant_id, source, external_id"),
    ):
        op.execute(
            f"UPDATE tasks SET {column} = NULL WHERE id IN (SELECT id FROM (SELECT id,"
            f" ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY id) AS n FROM tasks"
            f" WHERE {column} IS NOT NULL) AS ranked WHERE n > 1)"
        )
    with op.batch_alter_table("tasks") as batch:
        batch.drop_constraint("uq_tasks_tenant_id_reporter_id_source_external_id", type_="unique")
        batch.drop_constraint("uq_tasks_tenant_id_reporter_id_idempotency_key", type_="unique")
        batch.create_unique_constraint(
            "uq_tasks_tenant_id_source_external_id", ["tenant_id", "source", "external_id"]
        )
        batch.create_unique_constraint(
            "uq_tasks_tenant_id_idempotency_key", ["tenant_id", "idempotency_key"]
        )
