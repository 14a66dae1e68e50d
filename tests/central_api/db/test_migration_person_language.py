"""Migration 0035: people keep every row and get no language (English) until one is set."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from central_api.db import make_engine
from central_api.migrate import alembic_config, upgrade_database
from testkit.postgres import PostgresServer

_SITE = (
    "INSERT INTO site (id, name, timezone, four_eyes_open, threat_level, replica_version) "
    "VALUES ('rtm', 'rtm', 'UTC', false, 1, 7)"
)
_PERSON = (
    "INSERT INTO person (id, display_name, kind, status, site_id, created_at, updated_at) "
    "VALUES (:id, :name, 'driver', 'active', 'rtm', "
    "'2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'language.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        yield server.create_database("portgate_person_language_migration")


def _people(url: str) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            query = "SELECT id, display_name, preferred_language FROM person ORDER BY id"
            return [tuple(row) for row in conn.execute(text(query)).all()]
    finally:
        engine.dispose()


def test_people_are_kept_without_a_language_and_one_can_be_set(url: str) -> None:
    upgrade_database(url, "0032")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(_SITE))
        conn.execute(text(_PERSON), {"id": "P1", "name": "Ana Popescu"})
        conn.execute(text(_PERSON), {"id": "P2", "name": "Jonas Kazlauskas"})
    engine.dispose()
    upgrade_database(url, "0035")
    assert _people(url) == [("P1", "Ana Popescu", None), ("P2", "Jonas Kazlauskas", None)]
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE person SET preferred_language = 'ro' WHERE id = 'P1'"))
    engine.dispose()
    assert _people(url)[0] == ("P1", "Ana Popescu", "ro")
    command.downgrade(alembic_config(url), "0032")
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id FROM person ORDER BY id")).scalars().all()
    engine.dispose()
    assert rows == ["P1", "P2"]
