"""decision_data_change: what each decision-data version touched.

Until now every change of a table a decision reads (migrations 0003 and 0007) made each
API process drop everything it had loaded: one suspended person cost 10,000 people loaded
again, and decisions at every gate waited behind that for seconds. The triggers now also
note, per new version, the person a changed row belongs to (and a credential's ref), or
nothing for a rule, zone, gate or key change; a process behind by a few person changes
drops only those people (`central_api.decision_data.cache`).

On PostgreSQL the person tables' triggers are statement-level with transition tables
(one version per statement, as before: a bulk import is one bump, not one per row); on
SQLite every trigger is per row. Notes older than 10,000 versions are deleted by the
triggers themselves (on PostgreSQL once every 1,000 versions).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 03:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled here rather than imported: a migration must not change when the models do.
_PERSON_TABLES = {
    "person": "id",
    "credential": "person_id",
    "personaccessgroup": "person_id",
    "personcompetency": "person_id",
    "watchlistentry": "person_id",
}
_SHARED_TABLES = (
    "zone",
    "gate",
    "accessgroup",
    "accessgroupzone",
    "schedule",
    "holiday",
    "agentkey",
)
_KEPT = 10_000
# PostgreSQL prunes once every this many versions: a delete on every statement of a bulk
# import walked the index entries that its own transaction had deleted before (10,000 people
# seeded row by row: 36.6 s, against 14.1 s without the delete).
_PRUNE_EVERY = 1_000
_BUMP = "UPDATE decision_data_version SET version = version + 1 WHERE id = 1"
_PRUNE = (
    "DELETE FROM decision_data_change WHERE version <= "
    f"(SELECT version FROM decision_data_version WHERE id = 1) - {_KEPT}"
)
_VERBS = ("INSERT", "UPDATE", "DELETE")

# PostgreSQL: the shared tables' statement triggers (0003, 0007) keep calling this
# function; it now notes "everything" too.
_PG_SHARED = f"""
CREATE OR REPLACE FUNCTION portgate_bump_decision_data() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE v bigint;
BEGIN
  UPDATE decision_data_version SET version = version + 1 WHERE id = 1 RETURNING version INTO v;
  IF v IS NOT NULL THEN  -- no version row: the tables are being emptied
    INSERT INTO decision_data_change (version) VALUES (v);
    IF v % {_PRUNE_EVERY} = 0 THEN
      DELETE FROM decision_data_change WHERE version <= v - {_KEPT};
    END IF;
  END IF;
  RETURN NULL;
END $$
"""
_PG_SHARED_OLD = (
    "CREATE OR REPLACE FUNCTION portgate_bump_decision_data() RETURNS trigger "
    f"LANGUAGE plpgsql AS $$ BEGIN {_BUMP}; RETURN NULL; END $$"
)


def _pg_note_rows(rows: str) -> str:
    """The statement that notes the person (and a credential's ref) of each of `rows`."""
    return (
        "INSERT INTO decision_data_change (version, person_id, credential_ref) "
        "SELECT DISTINCT v, r.j ->> TG_ARGV[0], "
        "CASE WHEN TG_TABLE_NAME = 'credential' THEN r.j ->> 'ref' END "
        f"FROM (SELECT to_jsonb(x) AS j FROM {rows} x) r;"
    )


# TG_ARGV[0] names the column that holds the person; a statement that touched no row
# changes nothing and bumps nothing.
_PG_PERSON = f"""
CREATE FUNCTION portgate_note_person_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE v bigint;
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM 1 FROM old_rows LIMIT 1;
  ELSE
    PERFORM 1 FROM new_rows LIMIT 1;
  END IF;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  UPDATE decision_data_version SET version = version + 1 WHERE id = 1 RETURNING version INTO v;
  IF v IS NULL THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    {_pg_note_rows("old_rows")}
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    {_pg_note_rows("new_rows")}
  END IF;
  IF v % {_PRUNE_EVERY} = 0 THEN
    DELETE FROM decision_data_change WHERE version <= v - {_KEPT};
  END IF;
  RETURN NULL;
END $$
"""
_PG_REFERENCING = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
}


def _sqlite_note(table: str, row: str) -> str:
    """The SQLite statement that notes one row (`row`: NEW or OLD) of a person table."""
    column = _PERSON_TABLES[table]
    ref = f"{row}.ref" if table == "credential" else "NULL"
    return (
        "INSERT INTO decision_data_change (version, person_id, credential_ref) "
        f"SELECT version, {row}.{column}, {ref} FROM decision_data_version WHERE id = 1"
    )


def _sqlite_trigger(table: str, verb: str, body: list[str]) -> None:
    op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_decision_data_{verb.lower()}")
    statements = "; ".join(body)
    op.execute(
        f"CREATE TRIGGER trg_{table}_decision_data_{verb.lower()} "
        f"AFTER {verb} ON {table} BEGIN {statements}; END"
    )


def _create_table() -> None:
    op.create_table(
        "decision_data_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=True),
        sa.Column("credential_ref", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_decision_data_change_version"), "decision_data_change", ["version"]
    )


def upgrade() -> None:
    """Apply."""
    _create_table()
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_SHARED)
        op.execute(_PG_PERSON)
        for table, column in _PERSON_TABLES.items():
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_decision_data ON {table}")
            for verb in _VERBS:
                op.execute(
                    f"CREATE TRIGGER trg_{table}_decision_{verb.lower()} "
                    f"AFTER {verb} ON {table} {_PG_REFERENCING[verb]} FOR EACH STATEMENT "
                    f"EXECUTE FUNCTION portgate_note_person_change('{column}')"
                )
            op.execute(
                f"CREATE TRIGGER trg_{table}_decision_truncate AFTER TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION portgate_bump_decision_data()"
            )
    else:
        note_all = (
            "INSERT INTO decision_data_change (version) "
            "SELECT version FROM decision_data_version WHERE id = 1"
        )
        for table in _SHARED_TABLES:
            for verb in _VERBS:
                _sqlite_trigger(table, verb, [_BUMP, note_all, _PRUNE])
        for table in _PERSON_TABLES:
            for verb in _VERBS:
                rows = {"INSERT": ["NEW"], "UPDATE": ["OLD", "NEW"], "DELETE": ["OLD"]}[verb]
                notes = [_sqlite_note(table, row) for row in rows]
                _sqlite_trigger(table, verb, [_BUMP, *notes, _PRUNE])
    op.execute(_BUMP)  # what any process cached before has no notes to go by


def downgrade() -> None:
    """Revert to the triggers of 0003 and 0007 (bump only)."""
    if op.get_bind().dialect.name == "postgresql":
        for table in _PERSON_TABLES:
            for verb in (*_VERBS, "TRUNCATE"):
                op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_decision_{verb.lower()} ON {table}")
            op.execute(
                f"CREATE TRIGGER trg_{table}_decision_data "
                f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION portgate_bump_decision_data()"
            )
        op.execute("DROP FUNCTION IF EXISTS portgate_note_person_change()")
        op.execute(_PG_SHARED_OLD)
    else:
        for table in (*_SHARED_TABLES, *_PERSON_TABLES):
            for verb in _VERBS:
                _sqlite_trigger(table, verb, [_BUMP])
    op.drop_index(op.f("ix_decision_data_change_version"), table_name="decision_data_change")
    op.drop_table("decision_data_change")
