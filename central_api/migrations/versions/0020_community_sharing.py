"""community sharing: the community, members, item logs, refusals, identity refs, bans.

New tables only; nothing existing moves (docs/sharing.md).

Revision ID: 0020
Revises: 0019 (re-chained by the integrator)
Create Date: 2026-12-06 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import central_api.db

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, central_api.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "community",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("own_member_id", sa.String(length=64), nullable=False),
        sa.Column("signing_nonce", sa.LargeBinary(), nullable=False),
        sa.Column("signing_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("ref_key_nonce", sa.LargeBinary(), nullable=False),
        sa.Column("ref_key_sealed", sa.LargeBinary(), nullable=False),
        _time("created_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "community_member",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("public_key_b64", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        _time("added_at"),
        _time("removed_at", nullable=True),
        sa.Column("last_received_seq", sa.Integer(), nullable=False),
        sa.Column("last_delivered_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "shared_item_out",
        sa.Column("sequence", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("tlp", sa.String(length=32), nullable=False),
        sa.Column("recipients", sa.String(length=1000), nullable=False),
        sa.Column("item_json", sa.Text(), nullable=False),
        _time("created_at"),
        _time("published_at", nullable=True),
        sa.PrimaryKeyConstraint("sequence"),
    )
    op.create_table(
        "shared_item_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("tlp", sa.String(length=32), nullable=False),
        sa.Column("item_json", sa.Text(), nullable=False),
        _time("received_at"),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issuer", "sequence", name="uq_shared_item_in"),
    )
    op.create_index("ix_shared_item_in_issuer", "shared_item_in", ["issuer"])
    op.create_table(
        "sharing_refusal",
        sa.Column("issuer", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        _time("last_at"),
        sa.Column("last_detail", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("issuer", "reason"),
    )
    op.create_table(
        "community_identity_ref",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=68), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        _time("created_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ref", "person_id", name="uq_community_identity_ref"),
    )
    op.create_index("ix_community_identity_ref_ref", "community_identity_ref", ["ref"])
    op.create_index("ix_community_identity_ref_person_id", "community_identity_ref", ["person_id"])
    op.create_table(
        "community_ban",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=64), nullable=False),
        sa.Column("issuer_ban_id", sa.String(length=64), nullable=False),
        sa.Column("identity_ref", sa.String(length=68), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("legal_reference", sa.String(length=120), nullable=False),
        _time("valid_from"),
        _time("valid_until", nullable=True),
        _time("lifted_at", nullable=True),
        sa.Column("local_ban_ids", sa.String(length=1000), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issuer", "issuer_ban_id", "identity_ref", name="uq_community_ban"),
    )
    op.create_index("ix_community_ban_identity_ref", "community_ban", ["identity_ref"])


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_community_ban_identity_ref", table_name="community_ban")
    op.drop_table("community_ban")
    op.drop_index("ix_community_identity_ref_person_id", table_name="community_identity_ref")
    op.drop_index("ix_community_identity_ref_ref", table_name="community_identity_ref")
    op.drop_table("community_identity_ref")
    op.drop_table("sharing_refusal")
    op.drop_index("ix_shared_item_in_issuer", table_name="shared_item_in")
    op.drop_table("shared_item_in")
    op.drop_table("shared_item_out")
    op.drop_table("community_member")
    op.drop_table("community")
