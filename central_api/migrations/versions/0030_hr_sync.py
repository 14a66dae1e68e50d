"""hr_member and hr_sync_report: the HR sync from a CSV export or the directory (issue 23.3).

hr_member holds the people the sync manages per site (only they can be leavers),
hr_sync_report what each applied run did.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 17:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import central_api.db

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "hr_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("employee", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("company", sa.String(length=120), nullable=True),
        sa.Column("left_at", central_api.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", central_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site_id", "employee", name="uq_hr_member_employee"),
    )
    op.create_index("ix_hr_member_person_id", "hr_member", ["person_id"])
    op.create_table(
        "hr_sync_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("ran_at", central_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("joined", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("left", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_hr_sync_report_site_id", "hr_sync_report", ["site_id"])


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_hr_sync_report_site_id", table_name="hr_sync_report")
    op.drop_table("hr_sync_report")
    op.drop_index("ix_hr_member_person_id", table_name="hr_member")
    op.drop_table("hr_member")
