"""Migration 0017 on a populated database: existing gates and events get their defaults."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlmodel import Session

from central_api.crud.sites import create_gate, create_site, create_zone
from central_api.db import make_engine
from central_api.ingest.store import store_events
from central_api.migrate import alembic_config, upgrade_database
from central_api.models import GateCreate, SiteCreate, ZoneCreate
from testkit.api.world import make_event
from testkit.postgres import PostgresServer


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'visitors.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        yield server.create_database("portgate_visitors_migration")


def test_0017_gives_existing_rows_their_defaults_and_goes_back(url: str) -> None:
    upgrade_database(url)
    engine = make_engine(url)
    with Session(engine) as session:
        create_site(session=session, site_create=SiteCreate(id="rtm", name="rtm"), actor="t")
        create_zone(
            session=session, zone_create=ZoneCreate(id="q", site_id="rtm", name="q"), actor="t"
        )
        create_gate(
            session=session,
            gate_create=GateCreate(id="g1", site_id="rtm", zone_id="q", escort_window_s=30),
            actor="t",
        )
        store_events(
            session=session,
            site_id="rtm",
            gate_id="g1",
            events=[make_event(1, anti_passback_violation=True), make_event(2)],
        )
        session.commit()
    engine.dispose()
    command.downgrade(alembic_config(url), "0012")
    engine = make_engine(url)
    assert "visitor" not in inspect(engine).get_table_names()
    assert "escort_window_s" not in {c["name"] for c in inspect(engine).get_columns("gate")}
    engine.dispose()
    upgrade_database(url)  # 0017 again, over the rows stored before
    engine = make_engine(url)
    with engine.connect() as conn:
        window = conn.execute(text("SELECT escort_window_s FROM gate WHERE id = 'g1'")).scalar()
        flags = conn.execute(
            text("SELECT event_id, anti_passback_violation FROM access_event ORDER BY event_id")
        ).all()
        visitors = conn.execute(text("SELECT count(*) FROM visitor")).scalar()
    engine.dispose()
    assert window == 60  # the column's default: the 30 went with the downgrade
    assert [(e, bool(f)) for e, f in flags] == [("ev-1", False), ("ev-2", False)]
    assert visitors == 0
