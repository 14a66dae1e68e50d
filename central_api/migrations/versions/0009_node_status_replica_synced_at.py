"""nodestatusrecord.replica_synced_at: when an agent's replica was last known current.

The gate board shows a replica's age from this instant (the offline max-age rule counts
from it). The stored node status kept only the replica's version, so a board seeded from
storage showed an agent's replica as of unknown age; it now keeps what the live board keeps.
Null for every existing row (the agent's next status fills it).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import central_api.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.add_column(
        "nodestatusrecord",
        sa.Column(
            "replica_synced_at", central_api.db.UTCDateTime(timezone=True), nullable=True
        ),
    )


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("nodestatusrecord", schema=None) as batch_op:
        batch_op.drop_column("replica_synced_at")
