"""The Alembic history builds the whole schema the models describe (SQLite and PostgreSQL).

`portgate db upgrade` is the only thing that creates tables: the enrollment tables
included (revision 0002), nothing at API start-up.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import Engine, MetaData, inspect, text
from sqlmodel import SQLModel

import central_api.models  # noqa: F401 (registers the tables)
from central_api.app import create_app
from central_api.config import Settings
from central_api.db import make_engine
from central_api.enroll.tables import ENROLL_METADATA
from central_api.migrate import alembic_config, is_at_head, upgrade_database
from testkit.postgres import PostgresServer

ENROLL_TABLES = {"enroll_external_id", "enroll_pending_face", "enroll_issued_pass"} | {
    "enroll_retained_photo"
}
SCHEMA: list[MetaData] = [SQLModel.metadata, ENROLL_METADATA]


def test_enrollment_tables_are_the_ones_migrated() -> None:
    assert set(ENROLL_METADATA.tables) == ENROLL_TABLES


def test_migrations_match_the_models(engine: Engine) -> None:
    """Autogenerate finds nothing to do: every table, column, type, index and constraint."""
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SCHEMA)
    assert diff == []


def test_upgrade_creates_the_enrollment_tables(engine: Engine) -> None:
    inspector = inspect(engine)
    assert ENROLL_TABLES <= set(inspector.get_table_names())
    unique = {
        tuple(u["column_names"]) for u in inspector.get_unique_constraints("enroll_external_id")
    }
    unique |= {
        tuple(i["column_names"])
        for i in inspector.get_indexes("enroll_external_id")
        if i.get("unique")
    }
    assert ("site_id", "external_id") in unique, "the bulk-import key is unique per site"
    assert ("person_id",) in unique


def test_the_history_is_one_line_with_one_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    revisions = list(script.walk_revisions())
    assert [r.revision for r in revisions][-1] == "0001"
    assert any(r.revision == "0002" and r.down_revision == "0001" for r in revisions)


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        yield server.create_database("portgate_migration_tests")


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_downgrade_drops_them_and_upgrade_brings_them_back(fresh_url: str) -> None:
    from alembic import command

    upgrade_database(fresh_url)
    assert ENROLL_TABLES <= _tables(fresh_url)
    command.downgrade(alembic_config(fresh_url), "0001")
    assert not ENROLL_TABLES & _tables(fresh_url)
    assert "person" in _tables(fresh_url)
    upgrade_database(fresh_url)
    assert ENROLL_TABLES <= _tables(fresh_url) and is_at_head(fresh_url)


def test_a_database_whose_api_made_the_tables_at_start_up_is_adopted(fresh_url: str) -> None:
    """Before 0002 the API created these tables itself: upgrading keeps them and their rows."""
    upgrade_database(fresh_url, "0001")
    engine = make_engine(fresh_url)
    try:
        ENROLL_METADATA.create_all(engine)  # what the API's start-up used to do
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO enroll_external_id (site_id, external_id, person_id, created_at)"
                    " VALUES ('rtm', 'HR-1', 'p-1', CURRENT_TIMESTAMP)"
                )
            )
        upgrade_database(fresh_url)
        assert is_at_head(fresh_url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT person_id FROM enroll_external_id")).all() == [
                ("p-1",)
            ]
            assert compare_metadata(MigrationContext.configure(conn), SCHEMA) == []
    finally:
        engine.dispose()


def test_api_start_up_creates_no_tables(fresh_url: str) -> None:
    """Only the migrations make tables: the API's start-up leaves a 0001 database alone."""
    upgrade_database(fresh_url, "0001")
    engine = make_engine(fresh_url)
    settings = Settings(
        PORTGATE_DEV_MODE=True, DATABASE_URL=fresh_url, PORTGATE_COOKIE_SECURE=False
    )
    try:
        with TestClient(create_app(settings, engine=engine)) as client:
            assert client.get("/healthz").status_code in (200, 503)
    finally:
        engine.dispose()
    assert not ENROLL_TABLES & _tables(fresh_url)
    assert not is_at_head(fresh_url)


def test_sqlite_runs_in_wal_mode(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
