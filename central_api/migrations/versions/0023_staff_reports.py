"""staff_report, staff_report_message, staff_report_sign: staff reports (issue 20.3).

A report keeps no client address, user agent or cookie; its follow-up code only as a
keyed hash (unique), its photo sealed (AES-GCM). Signs map a random token to a gate.

Revision ID: 0023
Revises: 0022 (the integrator re-chains the branches' migrations when merging)
Create Date: 2026-12-06 13:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import central_api.db

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = central_api.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "staff_report",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("gate_id", sa.String(length=64), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("what", sa.String(length=4000), nullable=False),
        sa.Column("occurred_at", _TIME, nullable=False),
        sa.Column("received_at", _TIME, nullable=False),
        sa.Column("reporter_name", sa.String(length=120), nullable=True),
        sa.Column("reporter_contact", sa.String(length=200), nullable=True),
        sa.Column("photo_nonce", sa.LargeBinary(), nullable=True),
        sa.Column("photo_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("photo_sha256", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("assigned_to", sa.String(length=80), nullable=True),
        sa.Column("passed_on_to", sa.String(length=200), nullable=True),
        sa.Column("incident_id", sa.String(length=64), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.Column("closed_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    for column in ("site_id", "received_at", "status", "closed_at"):
        op.create_index(op.f(f"ix_staff_report_{column}"), "staff_report", [column])
    op.create_table(
        "staff_report_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.String(length=64), nullable=False),
        sa.Column("author", sa.String(length=32), nullable=False),
        sa.Column("author_user", sa.String(length=80), nullable=True),
        sa.Column("body", sa.String(length=2000), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["staff_report.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_staff_report_message_report_id"), "staff_report_message", ["report_id"]
    )
    op.create_table(
        "staff_report_sign",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("gate_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("retired_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("token"),
    )
    op.create_index(op.f("ix_staff_report_sign_site_id"), "staff_report_sign", ["site_id"])


def downgrade() -> None:
    """Revert."""
    op.drop_index(op.f("ix_staff_report_sign_site_id"), table_name="staff_report_sign")
    op.drop_table("staff_report_sign")
    op.drop_index(op.f("ix_staff_report_message_report_id"), table_name="staff_report_message")
    op.drop_table("staff_report_message")
    for column in ("closed_at", "status", "received_at", "site_id"):
        op.drop_index(op.f(f"ix_staff_report_{column}"), table_name="staff_report")
    op.drop_table("staff_report")
