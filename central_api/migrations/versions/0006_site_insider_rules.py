"""site.insider_rules: a site's overrides of the insider-pattern thresholds (JSON).

Empty (the code defaults, central_api.insider.rules) for every existing site.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 19:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    # A plain ADD COLUMN: a batch copy would drop `site`, which gates and people reference.
    op.add_column(
        "site",
        sa.Column("insider_rules", sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
    )


def downgrade() -> None:
    """Revert."""
    op.drop_column("site", "insider_rules")
