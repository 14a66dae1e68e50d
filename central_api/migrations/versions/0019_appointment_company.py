"""appointment.company_id: the haulier company a driver works for on one visit.

Nullable (existing appointments name none); the insider pattern "one driver for many
companies in a week" reads it. Also an index on (plate, window_start) for the pattern
"one plate, many drivers in a day".

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 07:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    # Batch: SQLite gains a foreign key only by a table copy; no table references
    # `appointment` by a foreign key and it has no triggers, so the copy loses nothing.
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("company_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_appointment_company_id_company", "company", ["company_id"], ["id"]
        )
        # The "one plate, many drivers in a day" check looks plates up by day.
        batch_op.create_index("ix_appointment_plate_window", ["plate", "window_start"])


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_index("ix_appointment_plate_window")
        batch_op.drop_constraint("fk_appointment_company_id_company", type_="foreignkey")
        batch_op.drop_column("company_id")
