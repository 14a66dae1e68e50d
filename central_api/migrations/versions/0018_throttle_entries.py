"""throttle_entry: the login throttle's counted failures, shared by every API worker.

The throttle had counted in each worker process's memory, so N workers allowed N times the
attempts; its `limits` storage now keeps one row per counted failure here. Starts empty.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "throttle_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_throttle_entry_key_at", "throttle_entry", ["key", "at"])
    op.create_index("ix_throttle_entry_expires_at", "throttle_entry", ["expires_at"])


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_throttle_entry_expires_at", table_name="throttle_entry")
    op.drop_index("ix_throttle_entry_key_at", table_name="throttle_entry")
    op.drop_table("throttle_entry")
