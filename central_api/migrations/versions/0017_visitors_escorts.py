"""visitors pre-registered by a host; the gates' escort window; soft anti-passback on events.

`visitor` holds a visit (the visitor is a person of kind visitor, valid in the visit's
window; the row names the host, the identity document kind and whether the visitor passes
only escorted). `gate.escort_window_s` (not null, default 60): how long after the host's
grant at a lane the visitor may follow there. `access_event.anti_passback_violation` (not
null, default false): a grant that soft anti-passback let through; existing events were
never flagged, so false is what they are.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import central_api.db

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "visitor",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("site_id", sa.String(length=64), sa.ForeignKey("site.id"), nullable=False),
        sa.Column("person_id", sa.String(length=64), sa.ForeignKey("person.id"), nullable=False),
        sa.Column(
            "host_person_id", sa.String(length=64), sa.ForeignKey("person.id"), nullable=False
        ),
        sa.Column("company", sa.String(length=120), nullable=True),
        sa.Column("id_document_kind", sa.String(length=32), nullable=False),
        sa.Column("valid_from", central_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", central_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("escort_required", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", central_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", central_api.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_visitor_site_id", "visitor", ["site_id"])
    op.create_index("ix_visitor_person_id", "visitor", ["person_id"])
    op.create_index("ix_visitor_host_person_id", "visitor", ["host_person_id"])
    # Plain ADD/DROP COLUMN (SQLite >= 3.35 has both): a batch copy of `gate` would trip
    # the foreign keys of the tables that refer to it on a populated database.
    op.add_column(
        "gate", sa.Column("escort_window_s", sa.Integer(), nullable=False, server_default="60")
    )
    op.add_column(
        "access_event",
        sa.Column(
            "anti_passback_violation", sa.Boolean(), nullable=False, server_default=sa.false()
        ),
    )


def downgrade() -> None:
    """Revert."""
    op.drop_column("access_event", "anti_passback_violation")
    op.drop_column("gate", "escort_window_s")
    op.drop_index("ix_visitor_host_person_id", table_name="visitor")
    op.drop_index("ix_visitor_person_id", table_name="visitor")
    op.drop_index("ix_visitor_site_id", table_name="visitor")
    op.drop_table("visitor")
