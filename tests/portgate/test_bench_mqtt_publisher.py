"""The ingest benchmark's gates (bench/mqtt_publisher.py) against a real mosquitto."""

from __future__ import annotations

import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from bench.mqtt_publisher import publish_all
from testkit.mosquitto import mosquitto_available, start_mosquitto

pytestmark = pytest.mark.skipif(not mosquitto_available(), reason="mosquitto not installed")


def test_every_message_arrives_once_in_order_with_a_small_window(tmp_path: Path) -> None:
    broker = start_mosquitto(tmp_path)
    got: list[tuple[str, bytes]] = []
    done = threading.Event()
    messages = [(f"bench/g{n % 3}", f'{{"n":{n}}}'.encode()) for n in range(700)]

    def on_message(_c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        got.append((message.topic, message.payload))
        if len(got) == len(messages):
            done.set()

    subscribed = threading.Event()
    listener = mqtt.Client(CallbackAPIVersion.VERSION2)
    listener.on_message = on_message
    listener.on_subscribe = lambda *_: subscribed.set()
    try:
        listener.connect("127.0.0.1", broker.port)
        listener.subscribe("bench/#", qos=1)
        listener.loop_start()
        assert subscribed.wait(5)
        # A window far below the count: the publisher waits for acknowledgements many times.
        elapsed = publish_all("127.0.0.1", broker.port, messages, window=50)
        assert done.wait(10), f"{len(got)} of {len(messages)} arrived"
    finally:
        listener.loop_stop()
        listener.disconnect()
        broker.stop()
    assert elapsed > 0
    assert got == messages


def test_a_refused_connection_is_a_clear_error(tmp_path: Path) -> None:
    broker = start_mosquitto(
        tmp_path, conf_text="listener {port} 127.0.0.1\nallow_anonymous false\n"
    )
    try:
        with pytest.raises(ConnectionError, match="refused"):
            publish_all("127.0.0.1", broker.port, [("bench/g0", b"{}")])
    finally:
        broker.stop()
