"""port_ban: the port authority's bans of one identity at every gate of every site.

A ban is a decision input (gate_protocol `PersonRecord.port_bans`), so the table gets the
decision-data triggers of a person table (migration 0008): a change notes the banned
person, and an API process drops only that person from what it cached.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import central_api.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VERBS = ("INSERT", "UPDATE", "DELETE")
_PG_REFERENCING = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
}
# Spelled here rather than imported from 0008: a migration must not change when others do.
_BUMP = "UPDATE decision_data_version SET version = version + 1 WHERE id = 1"
_PRUNE = (
    "DELETE FROM decision_data_change WHERE version <= "
    "(SELECT version FROM decision_data_version WHERE id = 1) - 10000"
)


def _sqlite_note(row: str) -> str:
    return (
        "INSERT INTO decision_data_change (version, person_id, credential_ref) "
        f"SELECT version, {row}.person_id, NULL FROM decision_data_version WHERE id = 1"
    )


def _create_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for verb in _VERBS:
            op.execute(
                f"CREATE TRIGGER trg_port_ban_decision_{verb.lower()} "
                f"AFTER {verb} ON port_ban {_PG_REFERENCING[verb]} FOR EACH STATEMENT "
                "EXECUTE FUNCTION portgate_note_person_change('person_id')"
            )
        op.execute(
            "CREATE TRIGGER trg_port_ban_decision_truncate AFTER TRUNCATE ON port_ban "
            "FOR EACH STATEMENT EXECUTE FUNCTION portgate_bump_decision_data()"
        )
        return
    for verb in _VERBS:
        rows = {"INSERT": ["NEW"], "UPDATE": ["OLD", "NEW"], "DELETE": ["OLD"]}[verb]
        body = "; ".join([_BUMP, *(_sqlite_note(row) for row in rows), _PRUNE])
        op.execute(
            f"CREATE TRIGGER trg_port_ban_decision_data_{verb.lower()} "
            f"AFTER {verb} ON port_ban BEGIN {body}; END"
        )


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "port_ban",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("legal_reference", sa.String(length=120), nullable=False),
        sa.Column("valid_from", central_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", central_api.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("issued_at", central_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by", sa.String(length=64), nullable=True),
        sa.Column("lifted_by", sa.String(length=64), nullable=True),
        sa.Column("lifted_at", central_api.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lift_reason", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_port_ban_person_id"), "port_ban", ["person_id"])
    op.create_index(op.f("ix_port_ban_status"), "port_ban", ["status"])
    _create_triggers()


def downgrade() -> None:
    """Revert (dropping the table drops its triggers)."""
    op.drop_index(op.f("ix_port_ban_status"), table_name="port_ban")
    op.drop_index(op.f("ix_port_ban_person_id"), table_name="port_ban")
    op.drop_table("port_ban")
