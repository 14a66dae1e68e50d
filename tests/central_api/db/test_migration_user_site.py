"""Migration 0004: users gain a site; on a one-site database its operators and desks join it."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from central_api.db import make_engine
from central_api.migrate import alembic_config, upgrade_database
from testkit.postgres import PostgresServer

_USER = (
    'INSERT INTO "user" (username, password_hash, role, active, created_at) '
    "VALUES (:name, 'x', :role, true, '2026-01-01 00:00:00+00:00')"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'users.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        yield server.create_database("portgate_user_site_migration")


def _users_after_upgrade(url: str, sites: list[str]) -> dict[str, str | None]:
    upgrade_database(url, "0003")
    engine = make_engine(url)
    with engine.begin() as conn:
        for site in sites:
            conn.execute(
                text(
                    "INSERT INTO site (id, name, timezone, four_eyes_open, threat_level, "
                    "replica_version) VALUES (:s, :s, 'UTC', false, 1, 0)"
                ),
                {"s": site},
            )
        for name, role in (("ann", "admin"), ("oscar", "operator"), ("desi", "security_desk")):
            conn.execute(text(_USER), {"name": name, "role": role})
    upgrade_database(url)
    with engine.connect() as conn:
        rows = conn.execute(text('SELECT username, site_id FROM "user"')).all()
    engine.dispose()
    return {row[0]: row[1] for row in rows}


def test_one_site_binds_operators_and_desks_admins_stay_site_wide(url: str) -> None:
    assert _users_after_upgrade(url, ["rtm"]) == {"ann": None, "oscar": "rtm", "desi": "rtm"}
    command.downgrade(alembic_config(url), "0003")  # and back: the column goes away


def test_several_sites_leave_everyone_site_wide_until_bound(url: str) -> None:
    assert _users_after_upgrade(url, ["rtm", "ams"]) == {"ann": None, "oscar": None, "desi": None}
