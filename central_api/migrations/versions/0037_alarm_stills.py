"""Camera stills of alarms (22.4): the site's rule and the sealed stills.

Two site columns, off and 7 days for every site, existing ones included (privacy first:
an admin turns stills on), added with a plain ADD COLUMN (a batch copy would drop `site`,
which gates and people reference); and the `alarm_still` table. No data moves.

Revision ID: 0037
Revises: 0038
Create Date: 2026-12-07 00:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from central_api.db import UTCDateTime

revision: str = "0037"
# The integrator re-chains the branches' migrations when merging.
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.add_column(
        "site",
        sa.Column("keep_alarm_stills", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "site",
        sa.Column("still_retention_days", sa.Integer(), nullable=False, server_default="7"),
    )
    op.create_table(
        "alarm_still",
        sa.Column("alarm_id", sa.String(length=64), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("gate_id", sa.String(length=64), nullable=False),
        sa.Column("lane", sa.Integer(), nullable=True),
        sa.Column("taken_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("alarm_id"),
    )
    op.create_index("ix_alarm_still_site_id", "alarm_still", ["site_id"])
    op.create_index("ix_alarm_still_expires_at", "alarm_still", ["expires_at"])


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_alarm_still_expires_at", table_name="alarm_still")
    op.drop_index("ix_alarm_still_site_id", table_name="alarm_still")
    op.drop_table("alarm_still")
    op.drop_column("site", "still_retention_days")
    op.drop_column("site", "keep_alarm_stills")
