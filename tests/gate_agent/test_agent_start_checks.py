"""The agent's start checks against a real API (uvicorn) and a real mosquitto.

A gate the API does not know, a key it refuses, or a broker that cannot be reached: one
clear line and a non-zero exit after a bounded number of tries. An API that does not
answer is no reason to stop (the replica decides while it is away), nor is a broker that
cannot be reached once the box holds a replica.
"""

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from central_api.app import create_app
from central_api.config import Settings
from central_api.db import make_engine
from central_api.migrate import upgrade_database
from gate_agent.config import AgentConfig
from gate_agent.links.preflight import StartRefused, StartRetry, preflight
from portgate.cli import app as cli
from testkit.api.server import ThreadedApi
from testkit.api.world import World, seed_world
from testkit.mosquitto import MosquittoProcess, mosquitto_available, start_mosquitto
from testkit.ports import free_port

pytestmark = pytest.mark.skipif(not mosquitto_available(), reason="mosquitto not installed")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ThreadedApi, World]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('api') / 'portgate.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    settings = Settings(PORTGATE_DEV_MODE=True, DATABASE_URL=url)
    world = seed_world(engine, settings)
    with ThreadedApi(create_app(settings, engine=engine)) as served:
        yield served, world
    engine.dispose()


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MosquittoProcess]:
    process = start_mosquitto(tmp_path_factory.mktemp("broker"))
    yield process
    process.stop()


def _config(tmp_path: Path, *, gate: str, api_url: str, mqtt_port: int) -> AgentConfig:
    return AgentConfig.model_validate(
        {
            "site": "rtm",
            "gate": gate,
            "api": {"url": api_url, "gate_key_env": "PG_TEST_GATE_KEY"},
            "mqtt": {"url": f"mqtt://127.0.0.1:{mqtt_port}"},
            "outbox": {"path": str(tmp_path / "outbox.db")},
            "replica_path": str(tmp_path / "replica.json"),
        }
    )


def _run_agent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: AgentConfig, key: str
) -> tuple[int, str]:
    path = tmp_path / "agent.yaml"
    path.write_text(yaml.safe_dump(config.model_dump(mode="json", exclude_none=True)))
    monkeypatch.setenv("PG_TEST_GATE_KEY", key)
    monkeypatch.setenv("PORTGATE_AGENT_START_ATTEMPTS", "2")
    monkeypatch.setenv("PORTGATE_AGENT_START_BACKOFF_S", "0")
    result = CliRunner().invoke(cli, ["agent", "--config", str(path)])
    return result.exit_code, result.output


def test_a_wrong_key_exits_1_after_the_bounded_retry(
    api: tuple[ThreadedApi, World],
    broker: MosquittoProcess,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    served, world = api
    config = _config(tmp_path, gate=world.gate, api_url=served.url, mqtt_port=broker.port)
    code, output = _run_agent(tmp_path, monkeypatch, config, secrets.token_urlsafe(32))
    assert code == 1
    assert "refused the gate key in PG_TEST_GATE_KEY for gate 'north-1'" in output
    assert "gave up after 2 attempts" in output
    # One log line per try, each saying what to fix; then the one error line.
    assert "start check 1/2 failed: the central API refused the gate key" in output
    assert "start check 2/2 failed" in output and "start check 3/" not in output
    assert not (tmp_path / "outbox.db").exists()  # it stopped before building anything


def test_a_gate_the_api_does_not_know_under_this_key_exits_1(
    api: tuple[ThreadedApi, World],
    broker: MosquittoProcess,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    served, world = api
    config = _config(tmp_path, gate="nowhere-9", api_url=served.url, mqtt_port=broker.port)
    code, output = _run_agent(tmp_path, monkeypatch, config, world.keys[world.gate])
    assert code == 1
    assert "does not know gate 'nowhere-9' under this key" in output


def test_an_unreachable_broker_exits_1(
    api: tuple[ThreadedApi, World], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served, world = api
    config = _config(tmp_path, gate=world.gate, api_url=served.url, mqtt_port=free_port())
    code, output = _run_agent(tmp_path, monkeypatch, config, world.keys[world.gate])
    assert code == 1
    assert "the MQTT broker at 127.0.0.1:" in output and "is not reachable" in output


def test_the_checks_pass_with_a_known_gate_and_key_or_an_api_that_is_away(
    api: tuple[ThreadedApi, World], broker: MosquittoProcess, tmp_path: Path
) -> None:
    served, world = api
    key = world.keys[world.gate]
    pauses: list[float] = []
    good = _config(tmp_path, gate=world.gate, api_url=served.url, mqtt_port=broker.port)
    preflight(good, gate_key=key, mqtt_password=None, retry=StartRetry(3, 0.5), sleep=pauses.append)
    away = _config(
        tmp_path, gate=world.gate, api_url=f"http://127.0.0.1:{free_port()}", mqtt_port=broker.port
    )
    preflight(away, gate_key=key, mqtt_password=None, retry=StartRetry(3, 0.5), sleep=pauses.append)
    assert pauses == []  # both passed at the first try


def test_an_unreachable_broker_does_not_stop_a_box_that_holds_a_replica(
    api: tuple[ThreadedApi, World], tmp_path: Path
) -> None:
    # An edge box restarted during an outage decides from its replica (the three-days test);
    # a wrong key stays fatal with or without one.
    served, world = api
    config = _config(tmp_path, gate=world.gate, api_url=served.url, mqtt_port=free_port())
    config.replica_path.write_text("{}", encoding="utf-8")
    pauses: list[float] = []
    retry = StartRetry(3, 0.5)
    key = world.keys[world.gate]
    preflight(config, gate_key=key, mqtt_password=None, retry=retry, sleep=pauses.append)
    assert pauses == []
    with pytest.raises(StartRefused):
        preflight(
            config,
            gate_key="wrong-" + secrets.token_hex(16),
            mqtt_password=None,
            retry=StartRetry(2, 0.5),
            sleep=pauses.append,
        )


def test_the_pauses_between_tries_double_and_the_tries_are_bounded(
    api: tuple[ThreadedApi, World], tmp_path: Path
) -> None:
    served, world = api
    config = _config(tmp_path, gate=world.gate, api_url=served.url, mqtt_port=free_port())
    pauses: list[float] = []
    with pytest.raises(StartRefused, match="gave up after 4 attempts"):
        preflight(
            config,
            gate_key=world.keys[world.gate],
            mqtt_password=None,
            retry=StartRetry(4, 10.0),
            sleep=pauses.append,
        )
    assert pauses == [10.0, 20.0, 30.0]  # doubling, capped at 30 s


@pytest.mark.parametrize(("attempts", "backoff"), [("0", "1"), ("many", "1"), ("3", "-1")])
def test_bad_retry_settings_are_refused(
    monkeypatch: pytest.MonkeyPatch, attempts: str, backoff: str
) -> None:
    from gate_agent.config import ConfigError

    monkeypatch.setenv("PORTGATE_AGENT_START_ATTEMPTS", attempts)
    monkeypatch.setenv("PORTGATE_AGENT_START_BACKOFF_S", backoff)
    with pytest.raises(ConfigError, match="PORTGATE_AGENT_START_ATTEMPTS"):
        StartRetry.from_environment()
