"""access_event: face model and threshold per face decision; each row's Merkle leaf.

`face_model` (encoder and alignment, e.g. ``dlib_resnet_v1/68pt``) and `face_threshold`
(the distance threshold the decision used) are what no record kept before. `chain_leaf`
is the row's leaf in its batch's Merkle tree, whose root the audit chain records
(`central_api.audit.event_chain`). All nullable: rows stored before this migration have
none and `portgate audit verify` reports them as not covered (docs/production.md).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 10:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("access_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("face_model", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("face_threshold", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("chain_leaf", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("access_event", schema=None) as batch_op:
        batch_op.drop_column("chain_leaf")
        batch_op.drop_column("face_threshold")
        batch_op.drop_column("face_model")
