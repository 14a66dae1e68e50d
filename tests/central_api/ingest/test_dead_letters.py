"""A poison MQTT message is kept as a dead letter, acknowledged, and the next one stored.

Over a real mosquitto and the API's own subscription, on SQLite and PostgreSQL: an event
that does not validate (an unknown decision) and a message that fails to store while the
database works.
"""

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from central_api.app import create_app
from central_api.config import Settings
from central_api.ingest.worker import IngestWorker
from central_api.models import AccessEventRecord, DeadLetter, Role
from gate_protocol.messages import encode_message, new_id
from gate_protocol.topics import GateChannel, GateTopic, build_topic
from testkit.api.world import World, make_event, seed_world
from testkit.mosquitto import MosquittoProcess, mosquitto_available, start_mosquitto
from testkit.mqtt_probe import MqttProbe


def _topic(world: World) -> str:
    return build_topic(GateTopic(world.site, world.gate, GateChannel.EVENT))


def _poison() -> bytes:
    event = json.loads(encode_message(make_event(1)))
    event["decision"] = "perhaps"
    return json.dumps(event).encode()


def _stored(engine: Engine, event_id: str) -> bool:
    with Session(engine) as session:
        query = select(AccessEventRecord).where(AccessEventRecord.event_id == event_id)
        return session.exec(query).first() is not None


def _dead_letters(engine: Engine) -> list[DeadLetter]:
    with Session(engine) as session:
        return list(session.exec(select(DeadLetter)).all())


def _counted(reason: str) -> float:
    labels = {"reason": reason}
    return REGISTRY.get_sample_value("portgate_ingest_dead_letters_total", labels) or 0.0


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoProcess]:
    if not mosquitto_available():
        pytest.skip("mosquitto is not installed (apt-get install mosquitto)")
    process = start_mosquitto(tmp_path)
    yield process
    process.stop()


@pytest.fixture
def mqtt_app(settings: Settings, engine: Engine, broker: MosquittoProcess) -> FastAPI:
    with_broker = settings.model_copy(
        update={"mqtt_url": f"mqtt://127.0.0.1:{broker.port}", "mqtt_client_id": new_id()[:12]}
    )
    return create_app(with_broker, engine=engine)


def test_a_poison_event_over_mqtt_is_dead_lettered_and_the_next_is_stored(
    mqtt_app: FastAPI, engine: Engine, broker: MosquittoProcess
) -> None:
    before = _counted("invalid")
    poison = _poison()
    with TestClient(mqtt_app) as client:
        world = _seed(engine, mqtt_app)
        gate = MqttProbe(broker.port, client_id=f"gate-{new_id()[:8]}")
        gate.connect()
        try:
            _until_subscribed(gate, world, engine)
            gate.publish(_topic(world), poison)
            gate.publish(_topic(world), encode_message(make_event(2)))
            deadline = time.monotonic() + 10
            while not _stored(engine, "ev-2"):
                assert time.monotonic() < deadline, "the good event after the poison one"
                time.sleep(0.05)
        finally:
            gate.close()
        answer = client.get("/api/v1/dead-letters", headers=world.user(Role.ADMIN))
        refused = client.get("/api/v1/dead-letters", headers=world.user(Role.OPERATOR))
    assert not _stored(engine, "ev-1")
    letters = _dead_letters(engine)
    assert [(letter.reason, letter.topic) for letter in letters] == [("invalid", _topic(world))]
    assert "decision" in letters[0].error
    assert bytes(letters[0].payload) == poison
    assert _counted("invalid") == before + 1
    assert answer.status_code == 200
    assert answer.json()[0]["payload"] == poison.decode()
    assert refused.status_code == 403


def _seed(engine: Engine, app: FastAPI) -> World:
    return seed_world(engine, app.state.settings)


def _until_subscribed(gate: MqttProbe, world: World, engine: Engine) -> None:
    # The API's subscription is in place once a message published now gets stored.
    deadline = time.monotonic() + 15
    while not _stored(engine, "ev-0"):
        assert time.monotonic() < deadline, "the API did not subscribe"
        gate.publish(_topic(world), encode_message(make_event(0)))
        time.sleep(0.3)


def test_a_message_that_fails_to_store_while_the_database_works_is_dead_lettered(
    world: World, engine: Engine
) -> None:
    # Stands for any store failure of one message that is not the database being away.
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER poison BEFORE INSERT ON access_event "
                    "WHEN NEW.event_id = 'ev-1' BEGIN SELECT RAISE(ABORT, 'poison'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN "
                    "IF NEW.event_id = 'ev-1' THEN RAISE EXCEPTION 'poison' "
                    "USING ERRCODE = '22000'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER poison BEFORE INSERT ON access_event "
                    "FOR EACH ROW EXECUTE FUNCTION poison()"
                )
            )
    acks: list[str] = []
    worker = IngestWorker(engine=engine)
    worker.start()
    try:
        for n in (1, 2):
            event = encode_message(make_event(n))
            worker.enqueue(_topic(world), event, lambda n=n: acks.append(f"ev-{n}"))
        assert worker.wait_idle(10)
    finally:
        worker.stop()
        _drop_poison_trigger(engine)
    assert sorted(acks) == ["ev-1", "ev-2"]
    assert _stored(engine, "ev-2") and not _stored(engine, "ev-1")
    letters = _dead_letters(engine)
    assert [letter.reason for letter in letters] == ["store_error"]
    assert "poison" in letters[0].error


def _drop_poison_trigger(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER poison"))
        else:
            conn.execute(text("DROP TRIGGER poison ON access_event"))
            conn.execute(text("DROP FUNCTION poison()"))
