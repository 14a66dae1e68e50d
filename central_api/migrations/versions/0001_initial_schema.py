"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 16:48:28.790518
"""

from collections.abc import Sequence

from alembic import op

from central_api.migrations.initial_access import create_access_tables, drop_access_tables
from central_api.migrations.initial_records import create_record_tables, drop_record_tables


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    create_record_tables()
    create_access_tables()
    # The audit chain's head row: appends lock it, verification compares against it.
    op.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')")


def downgrade() -> None:
    """Revert."""
    drop_access_tables()
    drop_record_tables()
