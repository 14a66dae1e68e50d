"""The one mosquitto launcher: plain, with users and an ACL, with extra listeners; bad input."""

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.mosquitto import MosquittoProcess, broker_conf, mosquitto_available, start_mosquitto
from testkit.mqtt_probe import MqttProbe
from testkit.ports import free_port

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not mosquitto_available(), reason="mosquitto is not installed"),
]


@pytest.fixture
def started() -> Iterator[list[MosquittoProcess]]:
    brokers: list[MosquittoProcess] = []
    yield brokers
    for broker in brokers:
        broker.stop(timeout_s=5)


@pytest.fixture
def probes() -> Iterator[list[MqttProbe]]:
    opened: list[MqttProbe] = []
    yield opened
    for probe in opened:
        probe.close()


def _round_trip(probe: MqttProbe, topic: str) -> bool:
    probe.subscribe(topic)
    probe.publish(topic, b"hello")
    return probe.wait_for(lambda: probe.on_topic(topic) == [b"hello"])


def test_a_plain_broker_takes_anonymous_clients(
    tmp_path: Path, started: list[MosquittoProcess], probes: list[MqttProbe]
) -> None:
    broker = start_mosquitto(tmp_path)
    started.append(broker)
    probe = MqttProbe(broker.port)
    probes.append(probe)
    assert not probe.connect().is_failure  # type: ignore[union-attr]
    assert _round_trip(probe, "t/plain")


@pytest.mark.skipif(shutil.which("mosquitto_passwd") is None, reason="mosquitto_passwd missing")
def test_a_secured_broker_checks_passwords_and_its_acl(
    tmp_path: Path, started: list[MosquittoProcess], probes: list[MqttProbe]
) -> None:
    passwd, acl = tmp_path / "passwd", tmp_path / "acl"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(passwd), "alice", "pw-0123"], check=True)
    acl.write_text("user alice\ntopic readwrite alice/#\n")
    broker = start_mosquitto(tmp_path, password_file=passwd, acl_file=acl)
    started.append(broker)
    anonymous, wrong = MqttProbe(broker.port), MqttProbe(broker.port, username="alice")
    alice = MqttProbe(broker.port, username="alice", password="pw-0123")
    probes.extend([anonymous, wrong, alice])
    assert anonymous.connect().is_failure  # type: ignore[union-attr]
    assert wrong.connect().is_failure  # type: ignore[union-attr]
    assert not alice.connect().is_failure  # type: ignore[union-attr]
    assert _round_trip(alice, "alice/in")
    # Outside her ACL the broker drops what she publishes and sends her nothing.
    alice.subscribe("bob/in")
    alice.publish("bob/in", b"not hers")
    assert not alice.wait_for(lambda: alice.on_topic("bob/in") != [], timeout=1.0)


def test_extra_conf_adds_a_listener(
    tmp_path: Path, started: list[MosquittoProcess], probes: list[MqttProbe]
) -> None:
    second = free_port()
    broker = start_mosquitto(tmp_path, extra_conf=f"listener {second} 127.0.0.1\n")
    started.append(broker)
    first_probe, second_probe = MqttProbe(broker.port), MqttProbe(second)
    probes.extend([first_probe, second_probe])
    assert not first_probe.connect().is_failure  # type: ignore[union-attr]
    assert not second_probe.connect().is_failure  # type: ignore[union-attr]
    second_probe.subscribe("t/across")
    first_probe.publish("t/across", b"one broker")
    assert second_probe.wait_for(lambda: second_probe.on_topic("t/across") == [b"one broker"])


def test_a_broker_that_cannot_start_says_why(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="exited early"):
        start_mosquitto(tmp_path, extra_conf="no_such_option on\n")


def test_an_acl_without_a_password_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="acl_file needs a password_file"):
        broker_conf(acl_file=tmp_path / "acl")


def test_a_whole_config_and_files_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="either conf_text or password_file"):
        start_mosquitto(tmp_path, conf_text="listener {port}\n", password_file=tmp_path / "p")


def test_a_config_without_its_port_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs the port"):
        start_mosquitto(tmp_path, conf_text="listener 1883 127.0.0.1\n")
