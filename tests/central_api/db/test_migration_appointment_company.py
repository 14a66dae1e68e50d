"""Migration 0019: appointments gain the haulier company; SQLite's table copy keeps the rows."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from central_api.db import make_engine
from central_api.migrate import alembic_config, upgrade_database
from testkit.postgres import PostgresServer

_ROWS = (
    "INSERT INTO site (id, name, timezone, four_eyes_open, threat_level, replica_version) "
    "VALUES ('rtm', 'rtm', 'UTC', false, 1, 0)",
    "INSERT INTO person (id, display_name, kind, status, site_id, created_at, updated_at) "
    "VALUES ('P1', 'Jan', 'driver', 'active', 'rtm', :t, :t)",
    "INSERT INTO appointment (id, site_id, person_id, plate, gates, window_start, window_end, "
    "one_time, pass_id, created_at) VALUES ('A1', 'rtm', 'P1', 'BX-482-K', '[\"north-1\"]', "
    ":t, :t, true, 'PASS1', :t)",
)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'appointments.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        yield server.create_database("portgate_appointment_company_migration")


def test_existing_appointments_keep_their_rows_and_name_no_company(url: str) -> None:
    upgrade_database(url, "0012")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for statement in _ROWS:
                conn.execute(text(statement), {"t": "2026-12-01 08:00:00+00:00"})
        upgrade_database(url, "0019")
        with engine.connect() as conn:
            row = conn.execute(text("SELECT id, plate, pass_id, company_id FROM appointment")).one()
        assert tuple(row) == ("A1", "BX-482-K", "PASS1", None)
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("UPDATE appointment SET company_id = 42"))  # no such company
        command.downgrade(alembic_config(url), "0012")
        columns = {c["name"] for c in inspect(engine).get_columns("appointment")}
        assert "company_id" not in columns
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM appointment")).scalar() == 1
    finally:
        engine.dispose()
