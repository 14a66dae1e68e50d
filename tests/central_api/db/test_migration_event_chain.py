"""Migration 0022 on a populated database: old events stay, are reported not covered, and
are sealed once; new ones are covered; the downgrade keeps the rows."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlmodel import Session

from central_api.audit.event_chain import seal_uncovered_events, verify_events
from central_api.db import make_engine
from central_api.ingest.store import store_event_batch
from central_api.migrate import alembic_config, upgrade_database
from testkit.api.world import make_event
from testkit.postgres import PostgresServer

_SITE = (
    "INSERT INTO site (id, name, timezone, four_eyes_open, threat_level, replica_version) "
    "VALUES ('rtm', 'rtm', 'UTC', false, 1, 0)"
)
_EVENT = (
    "INSERT INTO access_event (event_id, site_id, gate_id, agent_seq, occurred_at, "
    "received_at, lane, direction, decision, reason, credential_kind, face_score, "
    "decided_by, latency, anti_passback_violation) VALUES (:id, 'rtm', 'north-1', 1, :t, :t, "
    "0, 'entry', 'granted', 'granted', 'badge', 0.3, 'central', '{}', false)"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'events.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        yield server.create_database("portgate_event_chain_migration")


def test_old_events_are_reported_then_sealed_and_new_ones_covered(url: str) -> None:
    upgrade_database(url, "0019")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(_SITE))
            for event_id in ("old-1", "old-2"):
                conn.execute(text(_EVENT), {"id": event_id, "t": "2026-12-01 08:00:00+00:00"})
        # To head, not 0022: the checks below use today's models (a later migration's
        # site column would be missing at 0022), and the downgrade then passes every step.
        upgrade_database(url)
        with Session(engine) as session:
            store_event_batch(session=session, events=[("rtm", "north-1", make_event(1))])
            session.commit()
            before = verify_events(session=session)
            assert (before.ok, before.not_covered, before.checked) == (True, 2, 3)
            assert seal_uncovered_events(session=session) == 2
            session.commit()
            after = verify_events(session=session)
            assert (after.ok, after.not_covered, after.batches) == (True, 0, 2)
        with engine.begin() as conn:
            conn.execute(text("UPDATE access_event SET face_score = 0.1 WHERE event_id = 'old-1'"))
        with Session(engine) as session:
            assert verify_events(session=session).problems == [
                "event old-1: edited (its fields no longer match its leaf)"
            ]
        command.downgrade(alembic_config(url), "0019")
        columns = {c["name"] for c in inspect(engine).get_columns("access_event")}
        assert not {"face_model", "face_threshold", "chain_leaf"} & columns
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM access_event")).scalar() == 3
    finally:
        engine.dispose()
