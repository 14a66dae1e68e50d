"""enroll_desk_note, enroll_document_ref, enroll_desk_read: the desk's reasons, lookups, reads.

enroll_desk_note keeps why the desk revoked, suspended or reinstated a person or revoked a
badge (erased with the person); enroll_document_ref a keyed hash of each document number
the desk checked, so the desk finds a person by it without storing the number;
enroll_desk_read the last badge each desk user's own reader read (issue 22.3).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 17:05:00.000000
"""

from collections.abc import Sequence

import central_api.db
import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "enroll_desk_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", central_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_enroll_desk_note_person_id", "enroll_desk_note", ["person_id"])
    op.create_table(
        "enroll_document_ref",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("ref", sa.String(length=80), nullable=False),
        sa.Column("created_at", central_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "ref", name="uq_enroll_document_ref"),
    )
    op.create_index("ix_enroll_document_ref_person_id", "enroll_document_ref", ["person_id"])
    op.create_index("ix_enroll_document_ref_ref", "enroll_document_ref", ["ref"])
    op.create_table(
        "enroll_desk_read",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("badge_format", sa.String(length=16), nullable=True),
        sa.Column("read_at", central_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username"),
    )


def downgrade() -> None:
    """Revert."""
    op.drop_table("enroll_desk_read")
    op.drop_table("enroll_document_ref")
    op.drop_table("enroll_desk_note")
