"""appointment.language: a pass's own language for the lane display (issue 26.2).

One nullable column on the visit a pass belongs to (None: the holder's own language, as
before); no data moves. Plain ADD and DROP COLUMN: a batch copy would rebuild a table that
issued passes reference, which SQLite refuses on a populated database.

Revision ID: 0038
Revises: 0034
Create Date: 2026-12-07 00:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0038"
# The integrator re-chains: on this branch 0034 (user TOTP) is the head it follows.
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.add_column("appointment", sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    """Revert."""
    op.drop_column("appointment", "language")
