"""incident: incident reports for the Information Sharing Centre (issue 19).

A report names people only by pseudonym and attachments only by SHA-256; `external_ref`
(the report's id where it came from) is unique so that a bundle imported twice stores
its reports once.

Revision ID: 0021
Revises: 0020 (the integrator re-chains the branches' migrations when merging)
Create Date: 2026-12-06 10:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import central_api.db

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "incident",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", central_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=True),
        sa.Column("gate_id", sa.String(length=64), nullable=True),
        sa.Column("zone_id", sa.String(length=64), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("companies", sa.JSON(), nullable=False),
        sa.Column("person_pseudonyms", sa.JSON(), nullable=False),
        sa.Column("narrative", sa.String(length=4000), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("tlp", sa.String(length=32), nullable=False),
        sa.Column("source_alarm_id", sa.String(length=64), nullable=True),
        sa.Column("source_event_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", central_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", central_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("filed_by", sa.String(length=80), nullable=True),
        sa.Column("filed_at", central_api.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("issuer", sa.String(length=200), nullable=True),
        sa.Column("external_ref", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("external_ref"),
    )
    op.create_index(op.f("ix_incident_kind"), "incident", ["kind"])
    op.create_index(op.f("ix_incident_occurred_at"), "incident", ["occurred_at"])
    op.create_index(op.f("ix_incident_site_id"), "incident", ["site_id"])
    op.create_index(op.f("ix_incident_status"), "incident", ["status"])


def downgrade() -> None:
    """Revert."""
    for column in ("status", "site_id", "occurred_at", "kind"):
        op.drop_index(op.f(f"ix_incident_{column}"), table_name="incident")
    op.drop_table("incident")
