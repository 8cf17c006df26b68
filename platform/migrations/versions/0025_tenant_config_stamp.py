"""A county's configuration stamp: a random number drawn anew whenever a row the requests of the
county read on every step changes (its rule table, calendar, admissions, hierarchy and
postings), so each process may keep them between requests and see a change on the next one
(gridgov.core.tenancy.county_cache). Counties that exist before it start at 0.

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tenants") as table:
        table.add_column(
            sa.Column(
                "config_stamp",
                sa.BigInteger(),
                server_default="0",
                nullable=False,
                comment="drawn anew on each change of what its requests keep cached",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("tenants") as table:
        table.drop_column("config_stamp")
