"""`portgate api --workers 2` against a mosquitto started with the generated site config.

The generated broker sets ``use_username_as_clientid``: with one shared API user the
workers' four connections would all get the client id ``api`` and displace each other.
With ``api_workers: 2`` in the site config every connection has its own broker user,
whose password each worker derives from MQTT_URL's. Two apps with the settings serve.py
gives its workers stand for the two processes, on one database.
"""

import logging
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from central_api.app import create_app
from central_api.bus.mqtt import MqttBus, refusal_hint
from central_api.config import Settings
from central_api.ingest.worker import IngestWorker
from central_api.serve import SHARE_GROUP
from gate_protocol.messages import encode_message
from gate_protocol.topics import GateChannel, GateTopic, build_topic
from portgate.broker.site_config import (
    BrokerSettings,
    GateEntry,
    SiteConfig,
)
from testkit.api.workers import TopicRecorder, sqlite_database, stored
from testkit.api.world import make_event, seed_world
from testkit.mosquitto import MosquittoFactory, MosquittoProcess
from testkit.mqtt_probe import MqttProbe
from testkit.polling import wait_until
from testkit.secured_broker import start_site_broker

pytestmark = pytest.mark.integration
EVENTS = 60
API_PASSWORD = "api-password-0123456789"  # noqa: S105 (a throwaway test broker)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Engine]:
    yield from sqlite_database(tmp_path)


def site_broker(
    tmp_path: Path, factory: MosquittoFactory, site: str, gate: str
) -> tuple[MosquittoProcess, dict[str, str]]:
    config = SiteConfig(site=site, gates=[GateEntry(id=gate)], broker=BrokerSettings(api_workers=2))
    secured = start_site_broker(tmp_path, config, passwords={"api": API_PASSWORD}, launch=factory)
    assert secured.files.credentials is None
    assert "use_username_as_clientid true" in secured.conf_text
    return secured.broker, secured.passwords


def worker_settings(port: int, index: int, site: str = "rtm") -> Settings:
    return Settings(
        PORTGATE_DEV_MODE=True,
        PORTGATE_SITE=site,
        MQTT_URL=f"mqtt://api:{API_PASSWORD}@127.0.0.1:{port}",
        PORTGATE_WORKER_INDEX=index,
        PORTGATE_INGEST_SHARE_GROUP=SHARE_GROUP,
    )


def test_two_workers_with_generated_broker_config_ingest_once_without_flapping(
    tmp_path: Path, mosquitto_factory: MosquittoFactory, database: Engine
) -> None:
    # The world's site and gate, known before the broker's ACL is written.
    probe_settings = Settings(PORTGATE_DEV_MODE=True)
    world = seed_world(database, probe_settings)
    broker, passwords = site_broker(tmp_path, mosquitto_factory, world.site, world.gate)
    with ExitStack() as stack:
        clients = [
            stack.enter_context(
                TestClient(
                    create_app(worker_settings(broker.port, index, world.site), engine=database)
                )
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
        topic = build_topic(GateTopic(site=world.site, gate=world.gate, channel=GateChannel.EVENT))
        agent = f"agent-{world.gate}"
        probe = MqttProbe(broker.port, username=agent, password=passwords[agent])
        assert not probe.connect().is_failure  # type: ignore[attr-defined]
        for n in range(EVENTS):
            probe.publish(topic, encode_message(make_event(n)))
        assert wait_until(lambda: stored(database) == EVENTS, 15)
        assert wait_until(lambda: all(len(seen) == EVENTS for seen in live), 15)
        time.sleep(1.0)  # time for any displaced connection to come back and flap
        workers: list[IngestWorker] = [c.app.state.ingest for c in clients]  # type: ignore[attr-defined]
        processed = [worker.processed for worker in workers]
        assert sum(processed) == EVENTS
        assert all(count > 0 for count in processed)
        assert stored(database) == EVENTS
        assert all(c.app.state.bus.connected for c in clients)  # type: ignore[attr-defined]
        probe.close()
    log = broker.log()
    assert "already connected" not in log
    connects = re.findall(r"New client connected from \S+ as (\S+)", log)
    api_connects = sorted(c for c in connects if c.startswith("api"))
    assert api_connects == ["api-w0", "api-w0-live", "api-w1", "api-w1-live"]


def test_without_derived_users_the_workers_displace_each_other(
    tmp_path: Path, mosquitto_factory: MosquittoFactory, database: Engine
) -> None:
    # The failure the derived users prevent: one shared user, one client id for all four.
    world = seed_world(database, Settings(PORTGATE_DEV_MODE=True))
    broker, _ = site_broker(tmp_path, mosquitto_factory, world.site, world.gate)
    with ExitStack() as stack:
        for index in (0, 1):
            settings = worker_settings(broker.port, index, world.site).model_copy(
                update={"mqtt_worker_users": False}
            )
            stack.enter_context(TestClient(create_app(settings, engine=database)))
        assert wait_until(lambda: "already connected" in broker.log(), timeout=10)


def test_worker_connection_urls_use_derived_users() -> None:
    settings = worker_settings(1883, 3)
    ingest, live = settings.ingest_mqtt_url(), settings.live_mqtt_url()
    assert ingest is not None and ingest.startswith("mqtt://api-w3:")
    assert live is not None and live.startswith("mqtt://api-w3-live:")
    assert API_PASSWORD not in ingest + live
    single = Settings(PORTGATE_DEV_MODE=True, MQTT_URL="mqtt://api:pw@broker:1883")
    assert single.ingest_mqtt_url() == "mqtt://api:pw@broker:1883"
    anonymous = Settings(PORTGATE_DEV_MODE=True, MQTT_URL="mqtt://broker", PORTGATE_WORKER_INDEX=1)
    assert anonymous.ingest_mqtt_url() == "mqtt://broker"


def test_a_worker_beyond_api_workers_is_refused_with_a_hint(
    tmp_path: Path,
    mosquitto_factory: MosquittoFactory,
    database: Engine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # `portgate api --workers 3` on a site config that declares api_workers: 2.
    world = seed_world(database, Settings(PORTGATE_DEV_MODE=True))
    broker, _ = site_broker(tmp_path, mosquitto_factory, world.site, world.gate)
    caplog.set_level(logging.ERROR, logger="central_api.bus.mqtt")
    with TestClient(create_app(worker_settings(broker.port, 2, world.site), engine=database)):
        assert wait_until(lambda: "api-w2" in caplog.text, timeout=10)
    assert "broker.api_workers must be at least" in caplog.text
    assert "not authorized" in caplog.text.lower()
    # A plain wrong password names MQTT_URL instead.
    assert "MQTT_URL" in refusal_hint("api", "Not authorized")
    assert refusal_hint("api-w0", "Server unavailable") == ""
