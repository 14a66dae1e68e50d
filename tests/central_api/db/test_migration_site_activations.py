"""Migration 0013: every person of a populated database becomes active at their own site."""

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
    "VALUES (:s, :s, 'UTC', false, 1, 7)"
)
_PERSON = (
    "INSERT INTO person (id, display_name, kind, status, site_id, valid_from, valid_until, "
    "created_at, updated_at) VALUES (:id, :id, 'staff', :status, :site, NULL, :until, "
    "'2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')"
)
_PEOPLE = (
    ("P1", "active", "rtm", None),
    ("P2", "suspended", "rtm", None),
    ("P3", "active", "ams", "2027-01-01 00:00:00+00:00"),
)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'activations.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        yield server.create_database("portgate_activation_migration")


def test_each_person_is_activated_at_the_site_that_enrolled_them(url: str) -> None:
    upgrade_database(url, "0012")
    engine = make_engine(url)
    with engine.begin() as conn:
        for site in ("rtm", "ams"):
            conn.execute(text(_SITE), {"s": site})
        for person, status, site, until in _PEOPLE:
            conn.execute(
                text(_PERSON), {"id": person, "status": status, "site": site, "until": until}
            )
        version = conn.execute(text("SELECT version FROM decision_data_version")).scalar_one()
    upgrade_database(url, "0013")
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT person_id, site_id, status, valid_until IS NOT NULL, activated_by "
                "FROM siteactivation ORDER BY person_id"
            )
        ).all()
        after = conn.execute(text("SELECT version FROM decision_data_version")).scalar_one()
        sites = conn.execute(text("SELECT replica_version FROM site")).scalars().all()
    # The person's own status stays global: the suspended person is active at the site
    # and suspended everywhere; the window is copied.
    assert [tuple(r) for r in rows] == [
        ("P1", "rtm", "active", False, "migration:0013"),
        ("P2", "rtm", "active", False, "migration:0013"),
        ("P3", "ams", "active", True, "migration:0013"),
    ]
    assert after > version  # every process reloads the people it had cached
    assert sites == [7, 7]  # what each gate holds is unchanged
    with engine.begin() as conn:  # activations feed decisions: a change bumps the version
        conn.execute(text("UPDATE siteactivation SET status = 'suspended' WHERE person_id='P1'"))
        changed = conn.execute(
            text("SELECT person_id FROM decision_data_change WHERE person_id = 'P1'")
        ).all()
    assert changed
    engine.dispose()
    command.downgrade(alembic_config(url), "0012")  # and back: the tables go away
    engine = make_engine(url)
    with engine.connect() as conn:
        people = conn.execute(text("SELECT count(*) FROM person")).scalar_one()
    engine.dispose()
    assert people == 3
