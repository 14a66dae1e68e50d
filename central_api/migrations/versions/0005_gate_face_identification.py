"""gates may allow face-only identification (1:N, no badge or pass); off unless switched on.

`gate.face_identification` (boolean, not null, default false): existing gates keep deciding
only badges and passes until a site admin enables it (`PATCH /api/v1/gates/{gate}`).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("gate", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "face_identification", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("gate", schema=None) as batch_op:
        batch_op.drop_column("face_identification")
