"""Migration 0033: sites gain show_enrolled_photos, off for every existing site (privacy first)."""

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
        yield f"sqlite:///{tmp_path / 'sites.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        yield server.create_database("portgate_site_photos_migration")


def test_existing_sites_do_not_show_photos_and_the_column_goes_back(url: str) -> None:
    upgrade_database(url, "0032")
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
    upgrade_database(url, "0033")
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, show_enrolled_photos, threat_level, replica_version FROM site")
        ).all()
    assert sorted(tuple(row) for row in rows) == [("ams", False, 2, 7), ("rtm", False, 2, 7)]
    command.downgrade(alembic_config(url), "0032")
    columns = {c["name"] for c in inspect(engine).get_columns("site")}
    assert "show_enrolled_photos" not in columns and "threat_level" in columns
    engine.dispose()
