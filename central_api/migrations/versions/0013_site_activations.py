"""siteactivation, documentcheck: one identity across terminals.

A person is enrolled once in the port community and activated per site. Every existing
person becomes active at the one site that enrolled them (their `site_id`, which keeps
that meaning: the enrolling site), valid for the window the person had, so that what
each site's gates admit is unchanged by the upgrade. Activations feed decisions: they get
the decision-data triggers of the person tables (migration 0008's functions). What each
gate holds is unchanged (a person's access groups were of their own site), so no replica
is bumped.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import central_api.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "siteactivation"
_VERBS = ("INSERT", "UPDATE", "DELETE")
_PG_REFERENCING = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
}
# Spelled here rather than imported (0008's statements): a migration must not change later.
_BUMP = "UPDATE decision_data_version SET version = version + 1 WHERE id = 1"
_PRUNE = (
    "DELETE FROM decision_data_change WHERE version <= "
    "(SELECT version FROM decision_data_version WHERE id = 1) - 10000"
)
_BACKFILL = (
    "INSERT INTO siteactivation "
    "(person_id, site_id, status, valid_from, valid_until, activated_at, activated_by) "
    "SELECT id, site_id, 'active', valid_from, valid_until, created_at, 'migration:0013' "
    "FROM person"
)


def _create_tables() -> None:
    op.create_table(
        _TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=64), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("site_id", sa.String(length=64), sa.ForeignKey("site.id"), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("valid_from", central_api.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("valid_until", central_api.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("activated_at", central_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("activated_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "site_id", name="uq_siteactivation"),
    )
    op.create_index(op.f("ix_siteactivation_person_id"), _TABLE, ["person_id"])
    op.create_index(op.f("ix_siteactivation_site_id"), _TABLE, ["site_id"])
    op.create_table(
        "documentcheck",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=64), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("checked_by", sa.String(length=80), nullable=False),
        sa.Column("checked_at", central_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_documentcheck_person_id"), "documentcheck", ["person_id"])


def _create_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for verb in _VERBS:
            op.execute(
                f"CREATE TRIGGER trg_{_TABLE}_decision_{verb.lower()} "
                f"AFTER {verb} ON {_TABLE} {_PG_REFERENCING[verb]} FOR EACH STATEMENT "
                "EXECUTE FUNCTION portgate_note_person_change('person_id')"
            )
        op.execute(
            f"CREATE TRIGGER trg_{_TABLE}_decision_truncate AFTER TRUNCATE ON {_TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION portgate_bump_decision_data()"
        )
        return
    for verb in _VERBS:
        rows = {"INSERT": ["NEW"], "UPDATE": ["OLD", "NEW"], "DELETE": ["OLD"]}[verb]
        notes = [
            "INSERT INTO decision_data_change (version, person_id, credential_ref) "
            f"SELECT version, {row}.person_id, NULL FROM decision_data_version WHERE id = 1"
            for row in rows
        ]
        body = "; ".join([_BUMP, *notes, _PRUNE])
        op.execute(
            f"CREATE TRIGGER trg_{_TABLE}_decision_data_{verb.lower()} "
            f"AFTER {verb} ON {_TABLE} BEGIN {body}; END"
        )


def upgrade() -> None:
    """Apply."""
    _create_tables()
    op.execute(_BACKFILL)
    _create_triggers()
    op.execute(_BUMP)  # decisions cached before read people without activations


def downgrade() -> None:
    """Revert (activations at other sites than the enrolling one are lost)."""
    if op.get_bind().dialect.name == "postgresql":
        for verb in (*_VERBS, "TRUNCATE"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_{_TABLE}_decision_{verb.lower()} ON {_TABLE}")
    else:
        for verb in _VERBS:
            op.execute(f"DROP TRIGGER IF EXISTS trg_{_TABLE}_decision_data_{verb.lower()}")
    op.drop_index(op.f("ix_documentcheck_person_id"), table_name="documentcheck")
    op.drop_table("documentcheck")
    op.drop_index(op.f("ix_siteactivation_site_id"), table_name=_TABLE)
    op.drop_index(op.f("ix_siteactivation_person_id"), table_name=_TABLE)
    op.drop_table(_TABLE)
