"""Several API workers on one broker: each event stored once, every live feed sees all.

Two apps with the settings `portgate api --workers 2` gives its workers (a shared ingest
subscription, worker index 0 and 1) stand for the two processes, on one database.
"""

import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from central_api.app import create_app
from central_api.bus.mqtt import MqttBus
from central_api.config import Settings
from central_api.ingest.worker import IngestWorker
from gate_protocol.messages import encode_message
from gate_protocol.topics import GateChannel, GateTopic, build_topic
from testkit.api.workers import TopicRecorder, sqlite_database, stored
from testkit.api.world import make_event, seed_world
from testkit.mosquitto import MosquittoProcess
from testkit.mqtt_probe import MqttProbe
from testkit.polling import wait_until

pytestmark = pytest.mark.integration
EVENTS = 60


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Engine]:
    yield from sqlite_database(tmp_path)


def worker_settings(broker: MosquittoProcess, index: int) -> Settings:
    return Settings(
        PORTGATE_DEV_MODE=True,
        MQTT_URL=f"mqtt://127.0.0.1:{broker.port}",
        PORTGATE_MQTT_CLIENT_ID="api",
        PORTGATE_WORKER_INDEX=index,
        PORTGATE_INGEST_SHARE_GROUP="portgate-ingest",
    )


def test_two_workers_store_each_event_once_and_both_live_feeds_see_all(
    mosquitto: MosquittoProcess, database: Engine
) -> None:
    with ExitStack() as stack:
        clients = [
            stack.enter_context(
                TestClient(create_app(worker_settings(mosquitto, index), engine=database))
            )
            for index in (0, 1)
        ]
        live: list[list[str]] = [[], []]
        for client, seen in zip(clients, live, strict=True):
            bus = client.app.state.bus  # type: ignore[attr-defined]
            assert isinstance(bus, MqttBus)
            assert bus.wait_connected(10)
            client.app.state.ingest.add_tap(TopicRecorder(seen))  # type: ignore[attr-defined]
        time.sleep(0.5)  # the live connections subscribe right after connecting
        world = seed_world(database, clients[0].app.state.settings)  # type: ignore[attr-defined]
        topic = build_topic(GateTopic(site=world.site, gate=world.gate, channel=GateChannel.EVENT))
        probe = MqttProbe(mosquitto.port)
        probe.connect()
        for n in range(EVENTS):
            probe.publish(topic, encode_message(make_event(n)))
        assert wait_until(lambda: stored(database) == EVENTS, 15)
        assert wait_until(lambda: all(len(seen) == EVENTS for seen in live), 15)
        time.sleep(0.3)
        workers: list[IngestWorker] = [c.app.state.ingest for c in clients]  # type: ignore[attr-defined]
        processed = [worker.processed for worker in workers]
        # Each message went to one worker only (shared subscription), and both took some.
        assert sum(processed) == EVENTS
        assert all(count > 0 for count in processed)
        assert stored(database) == EVENTS
        probe.close()
