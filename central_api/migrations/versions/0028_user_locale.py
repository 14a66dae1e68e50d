"""users.locale: the language a user chose for the pages (issue 22.1).

Nullable: an existing user keeps the browser's language until they choose one.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=8), nullable=True))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("user") as batch:
        batch.drop_column("locale")
