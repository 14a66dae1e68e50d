"""company status: active, flagged or suspended, with its reason and its history.

Existing companies are active. `company_status_change` keeps every change (from, to,
why, who, when); the audit chain has the same change as `company.suspend`, `.flag` or
`.clear`.

Revision ID: 0015
Revises: 0014 (re-chained by the integrator)
Create Date: 2026-12-06 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import central_api.db

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("company") as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=32), nullable=False, server_default="active")
        )
        batch.add_column(sa.Column("status_reason", sa.String(length=500), nullable=True))
        batch.add_column(
            sa.Column(
                "status_changed_at", central_api.db.UTCDateTime(timezone=True), nullable=True
            )
        )
    # The models give the default; the server default only filled the existing rows.
    with op.batch_alter_table("company") as batch:
        batch.alter_column("status", server_default=None)
    op.create_table(
        "company_status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), sa.ForeignKey("company.id"), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=False),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("changed_at", central_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_company_status_change_company_id", "company_status_change", ["company_id"]
    )


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_company_status_change_company_id", table_name="company_status_change")
    op.drop_table("company_status_change")
    with op.batch_alter_table("company") as batch:
        batch.drop_column("status_changed_at")
        batch.drop_column("status_reason")
        batch.drop_column("status")
