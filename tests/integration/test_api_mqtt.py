"""The central API against a real mosquitto: ingest, sync notices, remote opens, sessions."""

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.app import create_app
from central_api.bus.mqtt import MqttBus
from central_api.config import Settings
from central_api.models import Credential, Role
from gate_protocol.messages import OpenCommand, SyncNotice, decode_message, encode_message
from gate_protocol.topics import GateChannel, GateTopic, SyncTopic, build_topic
from testkit.api.workers import sqlite_database, stored
from testkit.api.world import World, make_event, seed_world
from testkit.mosquitto import MosquittoProcess
from testkit.mqtt_probe import MqttProbe
from testkit.polling import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Engine]:
    yield from sqlite_database(tmp_path)


@pytest.fixture
def api(mosquitto: MosquittoProcess, database: Engine) -> Callable[[], TestClient]:
    settings = Settings(
        PORTGATE_DEV_MODE=True,
        MQTT_URL=f"mqtt://127.0.0.1:{mosquitto.port}",
        PORTGATE_MQTT_CLIENT_ID="api-under-test",
    )

    def start() -> TestClient:
        return TestClient(create_app(settings, engine=database))

    return start


def connected(app: FastAPI) -> None:
    bus = app.state.bus
    assert isinstance(bus, MqttBus)
    assert bus.wait_connected(10)


def event_topic(world: World, site: str | None = None) -> str:
    return build_topic(
        GateTopic(site=site or world.site, gate=world.gate, channel=GateChannel.EVENT)
    )


def test_events_over_mqtt_are_stored_once_and_junk_is_survived(
    api: Callable[[], TestClient], mosquitto: MosquittoProcess, database: Engine
) -> None:
    with api() as client:
        connected(client.app)  # type: ignore[arg-type]
        world = seed_world(database, client.app.state.settings)  # type: ignore[attr-defined]
        probe = MqttProbe(mosquitto.port)
        probe.connect()
        probe.publish(event_topic(world), b"{junk")
        probe.publish(event_topic(world, site=world.other_site), encode_message(make_event(5)))
        for n in (1, 2, 1):
            probe.publish(event_topic(world), encode_message(make_event(n)))
        assert wait_until(lambda: stored(database) == 2, 15)
        time.sleep(0.3)
        assert stored(database) == 2
        probe.close()


def test_a_revocation_reaches_subscribers_within_a_second(
    api: Callable[[], TestClient], mosquitto: MosquittoProcess, database: Engine
) -> None:
    from testkit.api.decisions import enroll

    with api() as client:
        connected(client.app)  # type: ignore[arg-type]
        world = seed_world(database, client.app.state.settings)  # type: ignore[attr-defined]
        enroll(database, world, badge="A1")
        with Session(database) as session:
            credential = session.exec(select(Credential)).one()
        probe = MqttProbe(mosquitto.port)
        probe.connect()
        sync = build_topic(SyncTopic(site=world.site))
        probe.subscribe(sync)
        probe.wait_for(lambda: False, 0.3)  # let any retained notice arrive first
        before = len(probe.on_topic(sync))
        started = time.monotonic()
        answer = client.post(
            f"/api/v1/credentials/{credential.id}/revoke", headers=world.user(Role.SECURITY_DESK)
        )
        assert answer.status_code == 200
        assert probe.wait_for(lambda: len(probe.on_topic(sync)) > before, 1.0)
        elapsed = time.monotonic() - started
        notice = decode_message(probe.on_topic(sync)[-1], SyncNotice)
        assert isinstance(notice, SyncNotice)
        assert elapsed < 1.0
        probe.close()
        late = MqttProbe(mosquitto.port)
        late.connect()
        late.subscribe(sync)
        assert late.wait_for(lambda: len(late.on_topic(sync)) == 1, 2)  # retained
        assert decode_message(late.on_topic(sync)[0], SyncNotice) == notice
        late.close()


def test_a_remote_open_goes_out_on_the_gate_s_command_topic(
    api: Callable[[], TestClient], mosquitto: MosquittoProcess, database: Engine
) -> None:
    with api() as client:
        connected(client.app)  # type: ignore[arg-type]
        world = seed_world(database, client.app.state.settings)  # type: ignore[attr-defined]
        probe = MqttProbe(mosquitto.port)
        probe.connect()
        command_topic = build_topic(
            GateTopic(site=world.site, gate=world.gate, channel=GateChannel.CMD_OPEN)
        )
        probe.subscribe(command_topic)
        answer = client.post(
            f"/api/v1/gates/{world.gate}/open",
            json={"lane": 0, "reason": "driver locked in"},
            headers=world.user(Role.OPERATOR),
        )
        assert answer.status_code == 202
        assert probe.wait_for(lambda: len(probe.on_topic(command_topic)) == 1, 2)
        command = decode_message(probe.on_topic(command_topic)[0], OpenCommand)
        assert isinstance(command, OpenCommand)
        assert command.reason == "driver locked in"
        probe.close()


def test_events_sent_while_the_api_is_down_arrive_after_restart(
    api: Callable[[], TestClient], mosquitto: MosquittoProcess, database: Engine
) -> None:
    with api() as client:
        connected(client.app)  # type: ignore[arg-type]
        world = seed_world(database, client.app.state.settings)  # type: ignore[attr-defined]
    probe = MqttProbe(mosquitto.port)
    probe.connect()
    probe.publish(event_topic(world), encode_message(make_event(11)))
    probe.close()
    assert stored(database) == 0
    with api() as client:  # same client id, clean_start False: the broker kept our queue
        connected(client.app)  # type: ignore[arg-type]
        assert wait_until(lambda: stored(database) == 1, 15)
