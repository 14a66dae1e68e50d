"""user_totp and totp_recovery_code: the TOTP second factor (issue 22.5).

user_totp holds one sealed TOTP secret per user (AES-GCM nonce and ciphertext), when it was
confirmed with a code and the time step of the last code accepted (no replay);
totp_recovery_code the keyed hashes of a user's one-time recovery codes. New tables only:
no data moves.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06 21:00:00.000000
"""

from collections.abc import Sequence

import central_api.db
import sqlalchemy as sa
from alembic import op

revision: str = "0034"
# The integrator re-chains the branches' migrations (0033 is the dashboard's).
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "user_totp",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", central_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", central_api.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_step", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "totp_recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", central_api.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    op.create_index("ix_totp_recovery_code_user_id", "totp_recovery_code", ["user_id"])


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_totp_recovery_code_user_id", table_name="totp_recovery_code")
    op.drop_table("totp_recovery_code")
    op.drop_table("user_totp")
