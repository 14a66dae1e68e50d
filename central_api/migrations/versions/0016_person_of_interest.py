"""person_of_interest: faces on the port-wide watchlist without an enrolled person.

The port authority enters them (photo's template sealed with the template key, ``poi:<id>``
bound in; no photo kept), with a reason and an optional period. Gates receive them in
their replica's watchlist gallery.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import central_api.db

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "person_of_interest",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("entered_by", sa.String(length=128), nullable=False),
        sa.Column("valid_from", central_api.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("valid_until", central_api.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", central_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    """Revert."""
    op.drop_table("person_of_interest")
