"""Account security: passwords someone else set (initial ones, resets) must be changed at the
next login, a flag on users and operators (existing accounts: false); the second factor of a
user (TOTP secret, encrypted; when it was confirmed; the last code's time step; the recovery
codes' hashes).

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("users", "operators")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column(
                    "must_change_password",
                    sa.Boolean(),
                    nullable=False,
                    server_default=sa.false(),
                    comment="set by someone else (initial, reset): change at next login",
                )
            )
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column(
                "totp_secret_cipher",
                sa.LargeBinary(),
                nullable=True,
                comment="AES-GCM of the TOTP secret; None: no second factor",
            )
        )
        batch.add_column(
            sa.Column(
                "totp_confirmed_at",
                sa.DateTime(timezone=True),
                nullable=True,
                comment="None: enrolment not finished (or none)",
            )
        )
        batch.add_column(
            sa.Column(
                "totp_last_step",
                sa.Integer(),
                nullable=True,
                comment="time step of the last code accepted (no replay)",
            )
        )
        batch.add_column(
            sa.Column(
                "recovery_code_hashes",
                sa.JSON(),
                nullable=True,
                comment="keyed hashes of the unused recovery codes",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        for column in (
            "recovery_code_hashes",
            "totp_last_step",
            "totp_confirmed_at",
            "totp_secret_cipher",
        ):
            batch.drop_column(column)
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("must_change_password")
