"""A tamper-evident audit log: each county's events form a hash chain (``seq``, ``prev_hash``,
``hash``; the chain of the events already there is computed here, in the order they were
written), ``audit_chains`` keeps where a county's chain starts after a purge, and on PostgreSQL
a trigger refuses every UPDATE, DELETE and TRUNCATE of audit events, the owner's too, except the
purge's deletion of the events before its anchor. And ``spent_challenges``: the resident
form's challenges once checked, so that none is accepted twice.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

from gridgov.core.audit.chain import GENESIS, MIN_RETENTION_DAYS, PURGE_SETTING, event_hash
from gridgov.core.db import TENANT_SETTING, UTCDateTime
from gridgov.migrations.rls import protect_tenant_table

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUARD = "gridgov_audit_events_append_only"
OLD_ACTOR_TYPE_COMMENT = "user, operator or system"
ACTOR_TYPE_COMMENT = (
    "user, operator, console (the server command line), system, or anonymous (a failed login)"
)

# Row by row for UPDATE and DELETE; once per statement for TRUNCATE. A purge's DELETE passes
# for events up to the county's anchor, in a transaction that set PURGE_SETTING, and never for
# an event younger than the legal minimum: moving the anchor does not make recent events go.
GUARD_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {GUARD}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF current_setting('{PURGE_SETTING}', true) = 'on'
           AND OLD.at < now() - interval '{MIN_RETENTION_DAYS} days'
           AND OLD.seq <= (SELECT anchor_seq FROM audit_chains
                           WHERE audit_chains.tenant_id = OLD.tenant_id) THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'only gridgov audit purge removes events, and only those past retention';
END
$$
"""


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(
            sa.Column("seq", sa.Integer(), comment="place in the county's chain: 1, 2, 3, …")
        )
        batch.add_column(
            sa.Column("prev_hash", sa.String(length=64), comment="hash of the event before")
        )
        batch.add_column(
            sa.Column(
                "hash",
                sa.String(length=64),
                comment="SHA-256 of prev_hash and this event's canonical content",
            )
        )
    op.create_table(
        "audit_chains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "anchor_seq", sa.Integer(), nullable=False, comment="place of the last purged event"
        ),
        sa.Column(
            "anchor_hash",
            sa.String(length=64),
            nullable=False,
            comment="hash of the last purged event",
        ),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "purged_events",
            sa.Integer(),
            nullable=False,
            comment="events removed by purges, in all",
        ),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=False, comment="the county (tenant) owning this row"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_audit_chains_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chains")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_audit_chains_tenant_id")),
    )
    protect_tenant_table("audit_chains")
    _chain_existing_events()
    with op.batch_alter_table("audit_events") as batch:
        for column in ("seq", "prev_hash", "hash"):
            batch.alter_column(
                column,
                existing_type=sa.Integer() if column == "seq" else sa.String(length=64),
                nullable=False,
            )
        batch.create_unique_constraint("uq_audit_events_tenant_id_seq", ["tenant_id", "seq"])
    op.create_table(
        "spent_challenges",
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column(
            "expires_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when the challenge would have expired anyway; forgotten after",
        ),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_spent_challenges")),
    )
    op.create_index(
        op.f("ix_spent_challenges_expires_at"), "spent_challenges", ["expires_at"], unique=False
    )
    if op.get_bind().dialect.name == "postgresql":
        _comment_actor_type(ACTOR_TYPE_COMMENT, previous=OLD_ACTOR_TYPE_COMMENT)
        op.execute(text(GUARD_FUNCTION))
        op.execute(
            text(
                "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events"
                f" FOR EACH ROW EXECUTE FUNCTION {GUARD}()"
            )
        )
        op.execute(
            text(
                "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events"
                f" FOR EACH STATEMENT EXECUTE FUNCTION {GUARD}()"
            )
        )


def _chain_existing_events() -> None:
    """Link each county's events in the order they were written (their ids)."""
    bind = op.get_bind()
    events = sa.table(
        "audit_events",
        sa.column("id", sa.Integer()),
        sa.column("tenant_id", sa.Integer()),
        sa.column("at", UTCDateTime()),
        sa.column("actor_type", sa.String()),
        sa.column("actor_id", sa.Integer()),
        sa.column("actor_name", sa.String()),
        sa.column("action", sa.String()),
        sa.column("object_type", sa.String()),
        sa.column("object_id", sa.String()),
        sa.column("before", sa.JSON()),
        sa.column("after", sa.JSON()),
        sa.column("ip", sa.String()),
        sa.column("seq", sa.Integer()),
        sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )
    content = [column for column in events.c if column.name not in {"seq", "prev_hash", "hash"}]
    tenant_ids = bind.execute(text("SELECT id FROM tenants ORDER BY id")).scalars().all()
    for tenant_id in tenant_ids:
        _use_tenant(bind, tenant_id)  # the owner is under row-level security too (FORCE)
        rows = bind.execute(
            sa.select(*content).where(events.c.tenant_id == tenant_id).order_by(events.c.id)
        ).all()
        prev_hash, links = GENESIS, []
        for seq, row in enumerate(rows, start=1):
            digest = event_hash(prev_hash, _Linked(row, seq))
            links.append({"row_id": row.id, "new_seq": seq, "prev": prev_hash, "digest": digest})
            prev_hash = digest
        if links:
            bind.execute(
                events.update()
                .where(events.c.id == sa.bindparam("row_id"))
                .values(
                    seq=sa.bindparam("new_seq"),
                    prev_hash=sa.bindparam("prev"),
                    hash=sa.bindparam("digest"),
                ),
                links,
            )
    _use_tenant(bind, None)


class _Linked:
    """A row read before its place in the chain was stored, with that place."""

    def __init__(self, row: sa.Row, seq: int) -> None:
        self._row = row
        self.seq = seq

    def __getattr__(self, name: str) -> object:
        return getattr(self._row, name)


def _use_tenant(bind: sa.Connection, tenant_id: int | None) -> None:
    if bind.dialect.name == "postgresql":
        bind.execute(
            text("SELECT set_config(:name, :value, true)"),
            {"name": TENANT_SETTING, "value": "" if tenant_id is None else str(tenant_id)},
        )


def _comment_actor_type(comment: str, *, previous: str) -> None:
    op.alter_column(
        "audit_events",
        "actor_type",
        existing_type=sa.String(length=16),
        existing_nullable=False,
        comment=comment,
        existing_comment=previous,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_spent_challenges_expires_at"), table_name="spent_challenges")
    op.drop_table("spent_challenges")
    if op.get_bind().dialect.name == "postgresql":
        _comment_actor_type(OLD_ACTOR_TYPE_COMMENT, previous=ACTOR_TYPE_COMMENT)
        op.execute(text("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events"))
        op.execute(text("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events"))
        op.execute(text(f"DROP FUNCTION IF EXISTS {GUARD}()"))
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_constraint("uq_audit_events_tenant_id_seq", type_="unique")
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
        batch.drop_column("seq")
    op.drop_table("audit_chains")
