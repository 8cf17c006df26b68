"""Sites (单位场所) get a position, so key sites can stand on the county's electronic map: a
WGS 84 latitude and longitude, both or neither (null for the sites registered until now).

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sites") as table:
        table.add_column(sa.Column("latitude", sa.Numeric(9, 6, asdecimal=False), nullable=True))
        table.add_column(sa.Column("longitude", sa.Numeric(9, 6, asdecimal=False), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sites") as table:
        table.drop_column("longitude")
        table.drop_column("latitude")
