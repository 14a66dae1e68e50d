"""schedule.timezone may be empty: a schedule without a zone follows its site's (issue 22.2).

A schedule is shared by every site; one without a zone of its own is evaluated in the
zone of the site whose access group uses it. Existing schedules keep the zone they were
given (the old default "UTC" included), so no decision changes by this migration.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 17:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
# The integrator re-chains: on this branch 0027 (forward cursor) is the head it follows.
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("schedule") as batch:
        batch.alter_column("timezone", existing_type=sa.String(length=64), nullable=True)


def downgrade() -> None:
    """Revert: a schedule without a zone gets "UTC", the zone it had before 0031."""
    op.execute("UPDATE schedule SET timezone = 'UTC' WHERE timezone IS NULL")
    with op.batch_alter_table("schedule") as batch:
        batch.alter_column("timezone", existing_type=sa.String(length=64), nullable=False)
