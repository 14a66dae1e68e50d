"""users belong to a site (operators and desks), or to none (site-wide admins).

`user.site_id` (nullable, references `site.id`). Existing users: when the database has
exactly one site, its operators and security desks are bound to it; otherwise they stay
site-wide (as they were) until an admin binds them (`portgate users site NAME --site S`).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 19:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("site_id", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_user_site_id"), ["site_id"], unique=False)
        batch_op.create_foreign_key("fk_user_site_id_site", "site", ["site_id"], ["id"])
    bind = op.get_bind()
    sites = bind.execute(sa.text("SELECT id FROM site")).scalars().all()
    if len(sites) == 1:
        bind.execute(
            sa.text("UPDATE \"user\" SET site_id = :site WHERE role <> 'admin'"),
            {"site": sites[0]},
        )


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_constraint("fk_user_site_id_site", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_user_site_id"))
        batch_op.drop_column("site_id")
