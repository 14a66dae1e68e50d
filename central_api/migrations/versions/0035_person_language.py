"""person.preferred_language: the language the lane display speaks to a person (issue 26.2).

One nullable column (None: English); no data moves.

Revision ID: 0035
Revises: 0032
Create Date: 2026-12-06 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035"
# The integrator re-chains: on this branch 0032 (accounts) is the head it follows.
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("preferred_language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("person") as batch:
        batch.drop_column("preferred_language")
