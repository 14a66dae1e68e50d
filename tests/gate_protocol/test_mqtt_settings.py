"""The agent's and the bridge's broker sections share one set of keys and checks."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from firmware_bridge.config import MqttConfig as BridgeMqtt
from gate_agent.config import MqttConfig as AgentMqtt

TLS = {
    "url": "mqtts://broker.port.example:8883",
    "username": "gate-1",
    "ca_file": "/etc/portgate/ca.crt",
    "cert_file": "/etc/portgate/node.crt",
    "key_file": "/etc/portgate/node.key",
    "keepalive_s": 30,
}


@pytest.mark.parametrize("section", [AgentMqtt, BridgeMqtt])
def test_the_same_keys_give_the_same_connection(section: type) -> None:
    connection = section.model_validate(TLS).connection(password="secret")
    assert connection.tls and connection.host == "broker.port.example"
    assert connection.port == 8883 and connection.keepalive_s == 30
    assert connection.username == "gate-1"
    assert connection.ca_file == Path("/etc/portgate/ca.crt")
    assert (connection.cert_file, connection.key_file) == (
        Path("/etc/portgate/node.crt"),
        Path("/etc/portgate/node.key"),
    )


@pytest.mark.parametrize("section", [AgentMqtt, BridgeMqtt])
def test_a_certificate_without_its_key_is_refused_when_read(section: type) -> None:
    keys = {k: v for k, v in TLS.items() if k != "key_file"}
    with pytest.raises(ValidationError, match="key_file"):
        section.model_validate(keys)


@pytest.mark.parametrize("section", [AgentMqtt, BridgeMqtt])
def test_tls_files_on_a_plain_url_are_refused(section: type) -> None:
    with pytest.raises(ValidationError, match="mqtts"):
        section.model_validate({"url": "mqtt://broker:1883", "ca_file": "/etc/ca.crt"})


@pytest.mark.parametrize("section", [AgentMqtt, BridgeMqtt])
def test_an_unknown_key_is_refused(section: type) -> None:
    with pytest.raises(ValidationError, match="ca_path"):
        section.model_validate({"url": "mqtts://broker", "ca_path": "/etc/ca.crt"})
