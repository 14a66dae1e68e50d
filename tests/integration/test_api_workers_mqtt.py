"""Several API workers on one broker: each event stored once, every live feed sees all.

Two apps with the settings `portgate api --workers 2` gives its workers (a shared ingest
subscription, worker index 0 and 1) stand for the two processes, on one database.
"""

import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

_API_TESTS = str(Path(__file__).resolve().parents[1] / "central_api")
if _API_TESTS not in sys.path:
    sys.path.insert(0, _API_TESTS)

from api_worker_support import TopicRecorder, sqlite_database, stored, wait  # noqa: E402
from api_world import make_event, seed_world  # noqa: E402
from mosquitto_fixture import MosquittoProcess, MqttProbe  # noqa: E402

from central_api.app import create_app  # noqa: E402
from central_api.bus.mqtt import MqttBus  # noqa: E402
from central_api.config import Settings  # noqa: E402
from central_api.ingest.worker import IngestWorker  # noqa: E402
from gate_protocol.messages import encode_message  # noqa: E402
from gate_protocol.topics import GateChannel, GateTopic, build_topic  # noqa: E402

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
        assert wait(lambda: stored(database) == EVENTS)
        assert wait(lambda: all(len(seen) == EVENTS for seen in live))
        time.sleep(0.3)
        workers: list[IngestWorker] = [c.app.state.ingest for c in clients]  # type: ignore[attr-defined]
        processed = [worker.processed for worker in workers]
        # Each message went to one worker only (shared subscription), and both took some.
        assert sum(processed) == EVENTS
        assert all(count > 0 for count in processed)
        assert stored(database) == EVENTS
        probe.close()
