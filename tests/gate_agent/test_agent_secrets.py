"""The agent refuses a weak gate key or broker password at start, by name (not in dev mode).

Both come from the environment; a short or patterned one had been taken as it was.
"""

from pathlib import Path

import pytest

from gate_agent.app import build_app
from gate_agent.config import AgentConfig, ConfigError
from portgate.broker.mosquitto_auth import new_password
from testkit.agent.doubles import GATE_KEY


def _config(tmp_path: Path) -> AgentConfig:
    return AgentConfig.model_validate(
        {
            "site": "t1",
            "gate": "g1",
            "mqtt": {"username": "agent-g1", "password_env": "G1_MQTT_PASSWORD"},
            "outbox": {"path": str(tmp_path / "o.db")},
            "replica_path": str(tmp_path / "r.json"),
        }
    )


@pytest.fixture(autouse=True)
def _no_dev_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTGATE_DEV_MODE", raising=False)
    monkeypatch.setenv("PORTGATE_GATE_KEY", GATE_KEY)
    monkeypatch.setenv("G1_MQTT_PASSWORD", new_password())


@pytest.mark.parametrize(
    ("name", "value", "why"),
    [
        ("PORTGATE_GATE_KEY", "gate-key", "too short"),
        ("PORTGATE_GATE_KEY", "changeme-changeme-changeme-changeme", "placeholder"),
        ("G1_MQTT_PASSWORD", "agent-pw", "too short"),
        ("G1_MQTT_PASSWORD", "ab" * 20, "repeats a short pattern"),
    ],
)
def test_a_weak_secret_stops_the_agent_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, why: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        build_app(_config(tmp_path))
    assert str(caught.value).startswith(f"{name} (") and why in str(caught.value)
    assert value not in str(caught.value), "the message never shows the secret"


def test_strong_secrets_start_and_dev_mode_accepts_weak_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_app(_config(tmp_path)).outbox.close()
    monkeypatch.setenv("PORTGATE_DEV_MODE", "1")
    monkeypatch.setenv("PORTGATE_GATE_KEY", "gate-key")
    monkeypatch.setenv("G1_MQTT_PASSWORD", "agent-pw")
    build_app(_config(tmp_path)).outbox.close()
