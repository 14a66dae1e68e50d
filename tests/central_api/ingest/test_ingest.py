from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.ingest.store import RejectedMessage, handle_message
from central_api.models import AccessEventRecord, Alarm, NodeStatusRecord, Role
from gate_protocol.messages import (
    AlarmKind,
    AlarmRaised,
    NodeState,
    NodeStatus,
    encode_message,
)
from gate_protocol.topics import GateChannel, GateTopic, NodeKind, build_topic
from testkit.api.world import World, make_event


def batch(*events: object) -> dict[str, object]:
    return {"events": [e.model_dump(mode="json") for e in events]}  # type: ignore[attr-defined]


def count_events(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(AccessEventRecord)).one()


def rejected(reason: str) -> float:
    return REGISTRY.get_sample_value("portgate_ingest_rejected_total", {"reason": reason}) or 0.0


def test_a_replayed_batch_is_stored_once(client: TestClient, world: World, engine: Engine) -> None:
    events = [make_event(n) for n in range(5)]
    first = client.post("/api/v1/events", json=batch(*events), headers=world.gate_key())
    assert first.json() == {"stored": 5, "duplicates": 0}
    again = client.post(
        "/api/v1/events", json=batch(*events[2:], make_event(9)), headers=world.gate_key()
    )
    assert again.json() == {"stored": 1, "duplicates": 3}
    assert count_events(engine) == 6


def test_late_and_out_of_order_events_keep_both_times(
    client: TestClient, world: World, engine: Engine
) -> None:
    late = make_event(1, occurred_at=datetime(2026, 1, 1, 7, 0, tzinfo=UTC))
    early = make_event(2, occurred_at=datetime(2025, 12, 31, 7, 0, tzinfo=UTC))
    answer = client.post("/api/v1/events", json=batch(late, early), headers=world.gate_key())
    assert answer.json()["stored"] == 2
    with Session(engine) as session:
        rows = {r.event_id: r for r in session.exec(select(AccessEventRecord)).all()}
    assert rows["ev-1"].occurred_at == datetime(2026, 1, 1, 7, 0, tzinfo=UTC)
    assert rows["ev-2"].received_at > rows["ev-2"].occurred_at
    assert rows["ev-1"].gate_id == world.gate


def test_events_are_stored_under_the_key_s_gate(
    client: TestClient, world: World, engine: Engine
) -> None:
    client.post("/api/v1/events", json=batch(make_event(1)), headers=world.gate_key(world.gate2))
    with Session(engine) as session:
        row = session.exec(select(AccessEventRecord)).one()
    assert (row.gate_id, row.site_id) == (world.gate2, world.site)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"events": []}, 422),
        ({"events": [{"kind": "access_event"}]}, 422),
        ({"events": "nope"}, 422),
        ({}, 422),
    ],
)
def test_bad_batches_get_a_clear_4xx(
    client: TestClient, world: World, body: object, status: int
) -> None:
    answer = client.post("/api/v1/events", json=body, headers=world.gate_key())
    assert answer.status_code == status
    assert "detail" in answer.json()


def test_batches_are_bounded(client: TestClient, world: World) -> None:
    too_many = batch(*(make_event(n) for n in range(501)))
    assert client.post("/api/v1/events", json=too_many, headers=world.gate_key()).status_code == 422


def test_operators_read_events(client: TestClient, world: World) -> None:
    client.post("/api/v1/events", json=batch(make_event(1)), headers=world.gate_key())
    answer = client.get("/api/v1/events", headers=world.user(Role.OPERATOR))
    assert [e["event_id"] for e in answer.json()] == ["ev-1"]
    naive = client.get(
        "/api/v1/events?since=2026-01-01T00:00:00", headers=world.user(Role.OPERATOR)
    )
    assert naive.status_code == 422


def topic(world: World, channel: GateChannel, *, site: str | None = None) -> str:
    node = NodeKind.AGENT if channel is GateChannel.STATUS else None
    return build_topic(
        GateTopic(site=site or world.site, gate=world.gate, channel=channel, node=node)
    )


def test_mqtt_messages_of_each_kind_are_stored(world: World, engine: Engine) -> None:
    now = datetime.now(UTC)
    alarm = AlarmRaised(alarm_id="al-1", alarm=AlarmKind.FORCED, lane=0, at=now, detail="door")
    status = NodeStatus(node=NodeKind.AGENT, state=NodeState.ONLINE, version="1.0", since=now)
    with Session(engine) as session:
        event_topic = topic(world, GateChannel.EVENT)
        assert (
            handle_message(
                session=session, topic=event_topic, payload=encode_message(make_event(1))
            )
            == "access_event"
        )
        handle_message(session=session, topic=event_topic, payload=encode_message(make_event(1)))
        handle_message(
            session=session, topic=topic(world, GateChannel.ALARM), payload=encode_message(alarm)
        )
        handle_message(
            session=session, topic=topic(world, GateChannel.STATUS), payload=encode_message(status)
        )
        session.commit()
        assert session.exec(select(func.count()).select_from(AccessEventRecord)).one() == 1
        assert session.exec(select(Alarm)).one().kind == AlarmKind.FORCED
        assert session.exec(select(NodeStatusRecord)).one().state == "online"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "malformed_json"),
        (b'{"kind": "martian"}', "unknown_kind"),
        (b'{"kind": "access_event", "event_id": "x"}', "invalid"),
        (b"x" * 20_000, "oversized"),
    ],
)
def test_malformed_payloads_are_counted_and_refused(
    world: World, engine: Engine, payload: bytes, reason: str
) -> None:
    before = rejected(reason)
    with Session(engine) as session, pytest.raises(RejectedMessage) as caught:
        handle_message(session=session, topic=topic(world, GateChannel.EVENT), payload=payload)
    assert caught.value.reason == reason
    assert count_events(engine) == 0
    assert before <= rejected(reason)  # counted by the worker; here we check the label


def test_a_topic_whose_site_is_not_the_gate_s_is_refused(world: World, engine: Engine) -> None:
    wrong_site = topic(world, GateChannel.EVENT, site=world.other_site)
    with Session(engine) as session, pytest.raises(RejectedMessage, match="unknown_gate"):
        handle_message(session=session, topic=wrong_site, payload=encode_message(make_event(1)))


def test_the_worker_survives_bad_messages(world: World, engine: Engine) -> None:
    from central_api.ingest.worker import IngestWorker

    worker = IngestWorker(engine=engine)
    worker.start()
    before = rejected("malformed_json")
    worker.enqueue(topic(world, GateChannel.EVENT), b"{broken")
    worker.enqueue("not/a/portgate/topic", b"{}")
    worker.enqueue(topic(world, GateChannel.EVENT), encode_message(make_event(7)))
    assert worker.wait_idle(10)
    worker.stop()
    assert count_events(engine) == 1
    assert rejected("malformed_json") == before + 1


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00Z", "2999-01-01T00:00:00Z"])
def test_implausible_event_times_are_refused(
    client: TestClient, world: World, engine: Engine, when: str
) -> None:
    body = batch(make_event(1), make_event(2))
    body["events"][1]["occurred_at"] = when  # type: ignore[index]
    answer = client.post("/api/v1/events", json=body, headers=world.gate_key())
    assert answer.status_code == 422
    assert "ev-2" in answer.json()["detail"]
    assert count_events(engine) == 0


def test_a_gate_learns_which_of_its_events_are_stored(client: TestClient, world: World) -> None:
    client.post(
        "/api/v1/events", json=batch(make_event(1), make_event(2)), headers=world.gate_key()
    )
    answer = client.post(
        "/api/v1/events/known",
        json={"event_ids": ["ev-1", "ev-2", "ev-3"]},
        headers=world.gate_key(),
    )
    assert answer.json() == {"known": ["ev-1", "ev-2"]}
    other_gate = client.post(
        "/api/v1/events/known", json={"event_ids": ["ev-1"]}, headers=world.gate_key(world.gate2)
    )
    assert other_gate.json() == {"known": []}
    assert (
        client.post(
            "/api/v1/events/known", json={"event_ids": []}, headers=world.gate_key()
        ).status_code
        == 422
    )
