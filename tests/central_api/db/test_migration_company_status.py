"""Migration 0015: companies that exist get the status active, and a history table."""

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
        yield f"sqlite:///{tmp_path / 'companies.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        yield server.create_database("portgate_company_status_migration")


def test_existing_companies_become_active_and_the_downgrade_drops_it_again(url: str) -> None:
    upgrade_database(url, "0012")
    engine = make_engine(url)
    with engine.begin() as conn:
        for name in ("North Sea Haulage", "Acme"):
            conn.execute(text("INSERT INTO company (name) VALUES (:n)"), {"n": name})
    upgrade_database(url, "0015")
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT name, status, status_reason, status_changed_at FROM company ORDER BY id")
        ).all()
        assert conn.execute(text("SELECT count(*) FROM company_status_change")).scalar() == 0
    assert [tuple(row) for row in rows] == [
        ("North Sea Haulage", "active", None, None),
        ("Acme", "active", None, None),
    ]
    command.downgrade(alembic_config(url), "0012")
    columns = {c["name"] for c in inspect(engine).get_columns("company")}
    assert columns == {"id", "name"}
    assert "company_status_change" not in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM company")).scalar() == 2
    engine.dispose()
