"""Fixtures of the central API tests: every API test runs on SQLite and on PostgreSQL.

The PostgreSQL cluster is testkit/postgres.py's (one per session, migrated once with
Alembic, tables truncated between tests); each SQLite test gets a copy of a migrated
template file.
"""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from central_api.app import create_app
from central_api.audit.chain import GENESIS_HASH
from central_api.config import Settings
from central_api.db import make_engine
from central_api.enroll.tables import ENROLL_METADATA
from central_api.migrate import upgrade_database
from testkit.api.world import World, seed_world
from testkit.postgres import (
    PG_BIN,
    PostgresServer,
    postgres_available,
    start_postgres,
    stop_postgres,
)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL cluster for the whole session (skipped where PostgreSQL is absent)."""
    if not postgres_available():
        pytest.skip(f"PostgreSQL server binaries not found in {PG_BIN}")
    server = start_postgres()
    try:
        yield server
    finally:
        stop_postgres(server)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade_database(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_engine(postgres_server: PostgresServer) -> Iterator[Engine]:
    url = postgres_server.create_database("portgate_api_tests")
    upgrade_database(url)
    engine = make_engine(url, pool_size=20)
    yield engine
    engine.dispose()


def _truncate(engine: Engine) -> None:
    # The enrollment tables too: their person ids are plain columns, no cascade reaches them.
    tables = [*SQLModel.metadata.sorted_tables, *ENROLL_METADATA.sorted_tables]
    # Only the tables a test wrote to are truncated (a TRUNCATE of all ~100 took 0.2-0.35 s
    # a test, most of it new files for empty tables), and every sequence a test moved is
    # restarted, so ids start at 1 in each test as before.
    probe = " UNION ALL ".join(
        f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")"  # noqa: S608 (our tables)
        for t in tables
    )
    with engine.begin() as conn:
        used = [str(name) for name in conn.execute(text(probe)).scalars()]
        if used:
            names = ", ".join(f'"{name}"' for name in used)
            conn.execute(text(f"TRUNCATE {names} CASCADE"))
        moved = conn.execute(
            text("SELECT schemaname, sequencename FROM pg_sequences WHERE last_value IS NOT NULL")
        ).all()
        for schema, sequence in moved:
            conn.execute(text(f'ALTER SEQUENCE "{schema}"."{sequence}" RESTART'))
        conn.execute(
            text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": GENESIS_HASH}
        )
        # The row the decision-data triggers bump (migration 0003).
        conn.execute(text("INSERT INTO decision_data_version (id, version) VALUES (1, 0)"))


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Engine]:
    if request.param == "sqlite":
        path = tmp_path / "portgate.db"
        shutil.copy(sqlite_template, path)
        engine = make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
    else:
        engine = request.getfixturevalue("pg_engine")
        _truncate(engine)
        yield engine


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return Settings(
        PORTGATE_DEV_MODE=True,
        DATABASE_URL=engine.url.render_as_string(hide_password=False),
        PORTGATE_COOKIE_SECURE=False,
        PORTGATE_METRICS_TOKEN="metrics-token-for-tests-0123456789",
    )


@pytest.fixture
def app(settings: Settings, engine: Engine) -> FastAPI:
    return create_app(settings, engine=engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def world(client: TestClient, engine: Engine, settings: Settings) -> World:
    return seed_world(engine, settings)
