"""enrollment tables (external ids, pending faces, issued passes, kept photos)

Until this revision the API created these four tables itself at start-up
(``ENROLL_METADATA.create_all``). A database that already has them from that time is
adopted: a table that exists is left as it is (the same metadata made it).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 19:05:50.580532
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import central_api.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _exists(name: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(name)


def upgrade() -> None:
    """Apply."""
    if not _exists("enroll_external_id"):
        op.create_table(
            "enroll_external_id",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("site_id", sa.String(length=64), nullable=False),
            sa.Column("external_id", sa.String(length=64), nullable=False),
            sa.Column("person_id", sa.String(length=64), nullable=False),
            sa.Column("created_at", central_api.db.UTCDateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("site_id", "external_id", name="uq_enroll_external_id"),
        )
        with op.batch_alter_table("enroll_external_id", schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f("ix_enroll_external_id_person_id"), ["person_id"], unique=True
            )

    if not _exists("enroll_issued_pass"):
        op.create_table(
            "enroll_issued_pass",
            sa.Column("pass_id", sa.String(length=64), nullable=False),
            sa.Column("appointment_id", sa.String(length=64), nullable=False),
            sa.Column("person_id", sa.String(length=64), nullable=False),
            sa.Column("token", sa.String(length=256), nullable=False),
            sa.Column("issued_by", sa.String(length=80), nullable=False),
            sa.Column("issued_at", central_api.db.UTCDateTime(timezone=True), nullable=False),
            sa.Column("not_before", central_api.db.UTCDateTime(timezone=True), nullable=False),
            sa.Column("expires_at", central_api.db.UTCDateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("pass_id"),
        )
        with op.batch_alter_table("enroll_issued_pass", schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f("ix_enroll_issued_pass_appointment_id"), ["appointment_id"], unique=False
            )
            batch_op.create_index(
                batch_op.f("ix_enroll_issued_pass_person_id"), ["person_id"], unique=False
            )

    if not _exists("enroll_pending_face"):
        op.create_table(
            "enroll_pending_face",
            sa.Column("id", sa.String(length=64), nullable=False),
            sa.Column("person_id", sa.String(length=64), nullable=False),
            sa.Column("nonce", sa.LargeBinary(), nullable=False),
            sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
            sa.Column("quality", sa.Float(), nullable=True),
            sa.Column("candidates", sa.JSON(), nullable=False),
            sa.Column("requested_by", sa.String(length=80), nullable=False),
            sa.Column("created_at", central_api.db.UTCDateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("enroll_pending_face", schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f("ix_enroll_pending_face_person_id"), ["person_id"], unique=False
            )

    if not _exists("enroll_retained_photo"):
        op.create_table(
            "enroll_retained_photo",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("person_id", sa.String(length=64), nullable=False),
            sa.Column("template_id", sa.Integer(), nullable=True),
            sa.Column("nonce", sa.LargeBinary(), nullable=False),
            sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
            sa.Column("content_type", sa.String(length=32), nullable=False),
            sa.Column("created_at", central_api.db.UTCDateTime(timezone=True), nullable=False),
            sa.Column("expires_at", central_api.db.UTCDateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("enroll_retained_photo", schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f("ix_enroll_retained_photo_expires_at"), ["expires_at"], unique=False
            )
            batch_op.create_index(
                batch_op.f("ix_enroll_retained_photo_person_id"), ["person_id"], unique=False
            )
            batch_op.create_index(
                batch_op.f("ix_enroll_retained_photo_template_id"), ["template_id"], unique=False
            )


def downgrade() -> None:
    """Revert."""
    for table in (
        "enroll_retained_photo",
        "enroll_pending_face",
        "enroll_issued_pass",
        "enroll_external_id",
    ):
        op.drop_table(table)
