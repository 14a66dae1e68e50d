"""Migration 0037: sites keep no alarm stills (7 days when on); the still table comes and goes."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from central_api.db import make_engine
from central_api.migrate import alembic_config, upgrade_database
from testkit.postgres import PostgresServer


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'stills.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        yield server.create_database("portgate_alarm_stills_migration")


def test_existing_sites_keep_no_stills_and_the_migration_goes_back(url: str) -> None:
    upgrade_database(url, "0034")
    engine = make_engine(url)
    with engine.begin() as conn:
        for site in ("rtm", "ams"):
            conn.execute(
                text(
                    "INSERT INTO site (id, name, timezone, four_eyes_open, threat_level, "
                    "replica_version) VALUES (:s, :s, 'UTC', true, 2, 7)"
                ),
                {"s": site},
            )
    upgrade_database(url, "0037")
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, keep_alarm_stills, still_retention_days, threat_level FROM site")
        ).all()
    assert sorted(tuple(row) for row in rows) == [("ams", False, 7, 2), ("rtm", False, 7, 2)]
    assert "alarm_still" in inspect(engine).get_table_names()
    command.downgrade(alembic_config(url), "0034")
    inspector = inspect(engine)
    columns = {c["name"] for c in inspector.get_columns("site")}
    assert "keep_alarm_stills" not in columns and "still_retention_days" not in columns
    assert "alarm_still" not in inspector.get_table_names() and "threat_level" in columns
    engine.dispose()
