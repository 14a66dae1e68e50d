"""The MQTT ingest waits out a database failover: every message stored, then acknowledged.

A message the worker cannot store because the database is away stays unacknowledged;
were the worker to drop it, a few dozen of them would fill the broker's in-flight window
of its connection (``max_inflight_messages``) and no further message would reach it before
a reconnect. So the batch is tried again until the database is back. Here the PostgreSQL
primary is killed -9 with the worker running, events arrive, and only after the standby is
promoted are they stored and acknowledged, each once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.config import Settings
from central_api.db import make_engine
from central_api.ingest.worker import IngestWorker
from central_api.migrate import upgrade_database
from central_api.models import AccessEventRecord
from gate_protocol.messages import encode_message
from gate_protocol.topics import GateChannel, GateTopic, build_topic
from testkit.api.world import World, make_event, seed_world
from testkit.faults.pg_standby import PgPair, start_pair, stop_pair
from testkit.polling import wait_until
from testkit.postgres import postgres_available

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EVENTS = 40  # twice the broker's in-flight window


@pytest.fixture
def pair() -> Iterator[PgPair]:
    if not postgres_available():
        pytest.skip("PostgreSQL server binaries are not installed")
    pair = start_pair(synchronous=True)
    try:
        yield pair
    finally:
        stop_pair(pair)


@pytest.fixture
def failover_engine(pair: PgPair) -> Iterator[Engine]:
    url = pair.create_database("ingest_away")
    upgrade_database(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def _count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(AccessEventRecord)).one()


def test_events_arriving_during_a_failover_are_stored_once_and_then_acknowledged(
    pair: PgPair, failover_engine: Engine
) -> None:
    settings = Settings.model_validate(
        {
            "PORTGATE_DEV_MODE": True,
            "DATABASE_URL": failover_engine.url.render_as_string(hide_password=False),
        }
    )
    world: World = seed_world(failover_engine, settings)
    topic = build_topic(GateTopic(world.site, world.gate, GateChannel.EVENT))
    acks: list[int] = []
    lock = threading.Lock()

    def ack_of(n: int) -> object:
        def ack() -> None:
            with lock:
                acks.append(n)

        return ack

    worker = IngestWorker(engine=failover_engine, batch=10)
    worker.start()
    try:
        worker.enqueue(topic, encode_message(make_event(0)), ack_of(0))  # type: ignore[arg-type]
        assert wait_until(lambda: acks == [0], 20, interval=0.05)
        pair.primary.kill9()
        for n in range(1, EVENTS + 1):
            worker.enqueue(topic, encode_message(make_event(n)), ack_of(n))  # type: ignore[arg-type]
        # Nothing can be stored, so nothing is acknowledged (nor dropped) meanwhile.
        assert not wait_until(lambda: len(acks) > 1, 2, interval=0.1)
        pair.standby.promote()
        assert wait_until(lambda: len(acks) == EVENTS + 1, 60, interval=0.1), len(acks)
    finally:
        worker.stop()
    assert sorted(acks) == list(range(EVENTS + 1))
    assert _count(failover_engine) == EVENTS + 1
