"""decision data version: a counter bumped by triggers on every decision-input change.

Central decisions keep people, credentials, groups, schedules, competencies, watchlist,
zones and gates in memory per process; the triggers make any change to those tables
(through the API, a migration or hand-written SQL) visible to the very next decision,
because each decision reads this counter in the same query as the live anti-passback
state. PostgreSQL: one statement-level trigger per table; SQLite: row-level triggers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled here rather than imported: a migration must not change when the models do.
_TABLES = (
    "zone",
    "gate",
    "person",
    "credential",
    "personaccessgroup",
    "accessgroup",
    "accessgroupzone",
    "schedule",
    "holiday",
    "personcompetency",
    "watchlistentry",
)
_BUMP = "UPDATE decision_data_version SET version = version + 1 WHERE id = 1"


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "decision_data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO decision_data_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION portgate_bump_decision_data() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN {_BUMP}; RETURN NULL; END $$"
        )
        for table in _TABLES:
            op.execute(
                f"CREATE TRIGGER trg_{table}_decision_data "
                f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION portgate_bump_decision_data()"
            )
        return
    for table in _TABLES:
        for verb in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER trg_{table}_decision_data_{verb.lower()} "
                f"AFTER {verb} ON {table} BEGIN {_BUMP}; END"
            )


def downgrade() -> None:
    """Revert."""
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in _TABLES:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_decision_data ON {table}")
            continue
        for verb in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_decision_data_{verb}")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS portgate_bump_decision_data()")
    op.drop_table("decision_data_version")
