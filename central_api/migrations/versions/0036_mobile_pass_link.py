"""mobile_pass_link: a pass's phone link, kept as a keyed hash (issue 26.3).

One row per issued pass that has a phone link: the pass id, its holder (erasure deletes
the row), the HMAC of the link's secret and who made the link. A new link replaces the
hash. New table only: no data moves.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-06 21:00:00.000000
"""

from collections.abc import Sequence

import central_api.db
import sqlalchemy as sa
from alembic import op

revision: str = "0036"
# The integrator re-chains: on this branch 0032 (accounts) is the head it follows.
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "mobile_pass_link",
        sa.Column("pass_id", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("link_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", central_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pass_id"),
        sa.UniqueConstraint("link_hash"),
    )
    op.create_index(
        "ix_mobile_pass_link_person_id", "mobile_pass_link", ["person_id"]
    )


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_mobile_pass_link_person_id", table_name="mobile_pass_link")
    op.drop_table("mobile_pass_link")
