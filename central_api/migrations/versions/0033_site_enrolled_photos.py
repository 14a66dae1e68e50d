"""site.show_enrolled_photos: whether operators see a person's kept enrollment photo (22.4).

Off for every site, existing ones included (privacy first): an admin turns it on for a
site that keeps photos. One new column with a default: no data moves.

Revision ID: 0033
Revises: 0036
Create Date: 2026-12-06 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
# The integrator re-chains the branches' migrations when merging.
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    # A plain ADD COLUMN: a batch copy would drop `site`, which gates and people reference
    # (SQLite refuses that DROP TABLE on a populated database with its foreign keys on).
    op.add_column(
        "site",
        sa.Column("show_enrolled_photos", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    """Revert."""
    op.drop_column("site", "show_enrolled_photos")
