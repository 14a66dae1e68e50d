"""Migration 0038: visits keep every row and get no language (the holder's) until one is set."""

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
    "VALUES ('P1', 'Sam Carter', 'driver', 'active', 'rtm', "
    "'2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')"
)
_VISIT = (
    "INSERT INTO appointment (id, site_id, person_id, plate, gates, window_start, window_end, "
    "one_time, pass_id, created_at) VALUES (:id, 'rtm', 'P1', :plate, '[\"north-1\"]', "
    "'2026-01-02 08:00:00+00:00', '2026-01-02 16:00:00+00:00', true, :pass_id, "
    "'2026-01-01 00:00:00+00:00')"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'visit-language.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        yield server.create_database("portgate_appointment_language_migration")


def _visits(url: str, columns: str = "id, plate, pass_id, language") -> list[tuple[object, ...]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            query = f"SELECT {columns} FROM appointment ORDER BY id"  # noqa: S608 (constants)
            return [tuple(row) for row in conn.execute(text(query)).all()]
    finally:
        engine.dispose()


def test_visits_are_kept_without_a_language_and_one_can_be_set(url: str) -> None:
    upgrade_database(url, "0034")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(_SITE))
        conn.execute(text(_PERSON))
        conn.execute(text(_VISIT), {"id": "A1", "plate": "AB123C", "pass_id": "PASS1"})
        conn.execute(text(_VISIT), {"id": "A2", "plate": None, "pass_id": "PASS2"})
    engine.dispose()
    upgrade_database(url, "0038")
    assert _visits(url) == [("A1", "AB123C", "PASS1", None), ("A2", None, "PASS2", None)]
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE appointment SET language = 'pl' WHERE id = 'A1'"))
    engine.dispose()
    assert _visits(url)[0] == ("A1", "AB123C", "PASS1", "pl")
    command.downgrade(alembic_config(url), "0034")
    assert _visits(url, "id, plate, pass_id") == [("A1", "AB123C", "PASS1"), ("A2", None, "PASS2")]
