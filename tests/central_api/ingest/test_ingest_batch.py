"""Batched ingest: one INSERT per batch, idempotent inside a batch, acked only once stored."""

import threading
from collections.abc import Callable
from pathlib import Path

from prometheus_client import REGISTRY
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.db import make_engine
from central_api.ingest.store import store_event_batch
from central_api.ingest.worker import IngestWorker
from central_api.models import AccessEventRecord
from gate_protocol.messages import encode_message
from gate_protocol.topics import GateChannel, GateTopic, build_topic
from testkit.api.world import World, make_event


def count_events(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(AccessEventRecord)).one()


def events_total(world: World, gate: str) -> float:
    labels = {"decision": "granted", "gate": gate}
    return REGISTRY.get_sample_value("portgate_events_total", labels) or 0.0


def test_duplicates_inside_one_batch_and_across_batches_are_stored_once(
    world: World, engine: Engine
) -> None:
    counted = events_total(world, world.gate2)
    with Session(engine) as session:
        first = store_event_batch(session=session, events=[(world.site, world.gate, make_event(1))])
        session.commit()
    assert (first.stored, first.duplicates) == (1, 0)
    batch = [
        (world.site, world.gate, make_event(1)),  # stored before
        (world.site, world.gate2, make_event(2)),
        (world.site, world.gate2, make_event(2)),  # twice in this batch
        (world.site, world.gate2, make_event(3)),
    ]
    with Session(engine) as session:
        second = store_event_batch(session=session, events=batch)
        session.commit()
    assert (second.stored, second.duplicates) == (2, 2)
    assert sorted(second.stored_ids) == ["ev-2", "ev-3"]
    assert count_events(engine) == 3
    assert events_total(world, world.gate2) == counted + 2
    with Session(engine) as session:
        rows = {r.event_id: r.gate_id for r in session.exec(select(AccessEventRecord)).all()}
    assert rows == {"ev-1": world.gate, "ev-2": world.gate2, "ev-3": world.gate2}


def topic(world: World, gate: str | None = None) -> str:
    return build_topic(
        GateTopic(site=world.site, gate=gate or world.gate, channel=GateChannel.EVENT)
    )


def is_stored(engine: Engine, event_id: str) -> bool:
    with Session(engine) as session:
        found = session.exec(
            select(AccessEventRecord).where(AccessEventRecord.event_id == event_id)
        ).first()
        return found is not None


def test_the_worker_acknowledges_a_message_only_once_it_is_stored(
    world: World, engine: Engine
) -> None:
    worker = IngestWorker(engine=engine)
    stored_at_ack: list[tuple[str, bool]] = []
    done = threading.Event()

    def ack_for(event_id: str) -> Callable[[], None]:
        def ack() -> None:
            stored_at_ack.append((event_id, event_id == "junk" or is_stored(engine, event_id)))
            if len(stored_at_ack) == 4:
                done.set()

        return ack

    worker.start()
    try:
        for n in (1, 2, 2):
            worker.enqueue(topic(world), encode_message(make_event(n)), ack_for(f"ev-{n}"))
        worker.enqueue(topic(world), b"{junk", ack_for("junk"))  # refused for good: acked
        assert done.wait(10)
    finally:
        worker.stop()
    assert count_events(engine) == 2
    # Every ack came after its event's commit (the junk one after its refusal).
    assert sorted(stored_at_ack) == [("ev-1", True), ("ev-2", True), ("ev-2", True), ("junk", True)]


def test_a_message_that_cannot_be_stored_is_left_unacknowledged(
    world: World, tmp_path: Path
) -> None:
    # A database without PortGate's tables: every store fails.
    broken = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    worker = IngestWorker(engine=broken)
    acks: list[str] = []
    before = REGISTRY.get_sample_value("portgate_ingest_rejected_total", {"reason": "store_error"})
    worker.start()
    try:
        worker.enqueue(topic(world), encode_message(make_event(1)), lambda: acks.append("x"))
        assert worker.wait_idle(10)
    finally:
        worker.stop()
        broken.dispose()
    after = REGISTRY.get_sample_value("portgate_ingest_rejected_total", {"reason": "store_error"})
    assert acks == []  # the broker keeps it and delivers it again after a reconnect
    assert (after or 0.0) == (before or 0.0) + 1
