"""gatecommandkey: each gate's Ed25519 keys that sign its OpenCommands.

The newest row of a gate signs (the API's remote opens, and its agent through the
replica); older rows stay valid at the bridges until `portgate gates retire-command-key`
deletes them. The private key is sealed with the template key (AES-256-GCM, the gate and
key id bound in). Existing gates get their first key when it is first needed.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import central_api.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "gatecommandkey",
        sa.Column("gate_id", sa.String(length=64), sa.ForeignKey("gate.id"), nullable=False),
        sa.Column("key_id", sa.String(length=8), nullable=False),
        sa.Column("public_key_b64", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", central_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("gate_id", "key_id"),
    )


def downgrade() -> None:
    """Revert."""
    op.drop_table("gatecommandkey")
