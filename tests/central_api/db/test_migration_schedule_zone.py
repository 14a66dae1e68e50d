"""Migration 0031: schedules keep their zone; one without a zone goes back to UTC on downgrade."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from central_api.db import make_engine
from central_api.migrate import alembic_config, upgrade_database
from testkit.postgres import PostgresServer

INSERT = "INSERT INTO schedule (id, name, timezone, windows, holidays_allowed) VALUES "


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'schedules.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        yield server.create_database("portgate_schedule_zone_migration")


def _zones(url: str) -> dict[str, str | None]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, timezone FROM schedule ORDER BY id")).all()
    finally:
        engine.dispose()
    return {str(sid): zone for sid, zone in rows}


def test_zones_are_kept_and_an_empty_one_becomes_utc_on_downgrade(url: str) -> None:
    upgrade_database(url, "0027")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(INSERT + "('old-utc', 'o', 'UTC', '[]', false)"))
        conn.execute(text(INSERT + "('oslo', 'n', 'Europe/Oslo', '[]', false)"))
    upgrade_database(url, "0031")
    assert _zones(url) == {"old-utc": "UTC", "oslo": "Europe/Oslo"}  # nothing moved
    with engine.begin() as conn:
        conn.execute(text(INSERT + "('site-zone', 's', NULL, '[]', false)"))
    engine.dispose()
    command.downgrade(alembic_config(url), "0027")
    assert _zones(url) == {"old-utc": "UTC", "oslo": "Europe/Oslo", "site-zone": "UTC"}
    engine = make_engine(url)
    with pytest.raises(Exception, match="(?i)not null|null value"), engine.begin() as conn:
        conn.execute(text(INSERT + "('again', 'a', NULL, '[]', false)"))
    engine.dispose()
