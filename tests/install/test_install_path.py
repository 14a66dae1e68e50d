"""The install path (docs/install.md, scripts/install-path.sh) run step by step on this machine.

Everything is real: a PostgreSQL cluster of Debian's binaries (as the `postgres` user, a
private socket directory, a free port: the stand-in for Debian's own cluster), mosquitto
with the TLS listener and certificates the script makes, the API, the first admin, a site,
a gate, a group, a person with a badge, the gate agent over mqtts:// and the bridge with its
simulated reader. Then a badge held to that reader opens the lane: the agent asked the API,
the API decided and stored the event, the bridge moved the relay on a signed command.

Lines that change a real server as root (apt-get, useradd, chown, systemctl, mosquitto's
config in /etc) are in the doc but not run; the script's ``#test:`` lines stand in for them.
"""

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from firmware_bridge.assembly import build_bus
from firmware_bridge.config import load_bridge_config
from firmware_bridge.drivers.simulated import SimulatedTurnstile
from firmware_bridge.service import Bridge
from testkit.install_path import ROOT, doc_steps, read_steps, run_step, stop_services
from testkit.mosquitto import mosquitto_available
from testkit.ports import free_port
from testkit.postgres import PostgresServer, postgres_available, start_postgres, stop_postgres

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BADGE, FACILITY = 4711, 42


def _env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key: value for key, value in pairs if not key.startswith("#")}


@pytest.fixture
def cluster() -> Iterator[PostgresServer]:
    if not postgres_available() or not mosquitto_available():
        pytest.skip("the install path needs PostgreSQL 15 and mosquitto (make deps)")
    server = start_postgres()
    try:
        yield server
    finally:
        stop_postgres(server)


def test_the_doc_shows_every_step_of_the_script_as_the_script_has_it() -> None:
    steps = read_steps()
    assert [s.number for s in steps] == list(range(len(steps)))
    doc = doc_steps()
    assert sorted(doc) == [s.number for s in steps], "a step missing from docs/install.md"
    for step in steps:
        title, block = doc[step.number]
        assert title == step.title, step.number
        assert block == step.doc_text(), f"docs/install.md step {step.number} differs"


# About 1.5 min on a quiet machine; each of its 20 CLI runs takes up to a minute at load 20.
@pytest.mark.timeout(1200)
def test_the_install_path_gives_a_live_terminal(cluster: PostgresServer, tmp_path: Path) -> None:
    conf, data = tmp_path / "etc", tmp_path / "var"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PORTGATE_") and key not in {"DATABASE_URL", "MQTT_URL"}
    }
    env.update(
        HOME=str(tmp_path),
        PATH=f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
        SRC=str(ROOT),
        CONF=str(conf),
        DATA=str(data),
        BROKER_HOST="localhost",
        MQTT_PORT=str(free_port()),
        MQTTS_PORT=str(free_port()),
        DB_PORT=str(cluster.port),
        API_PORT=str(free_port()),
    )
    steps = read_steps()
    settings, bridge_step = steps[0], next(s for s in steps if s.title == "Bridge")
    assert all(line.startswith(("apt-get", "python3", "cd")) for line in steps[1].root_lines())
    bridge: Bridge | None = None
    try:
        for step in steps[1:]:
            run_step(step, settings, env, timeout_s=300)
            if step is bridge_step:
                bridge, sim = _start_bridge(conf, env)
        assert bridge is not None
        sim.present_card(lane=0, facility_code=FACILITY, card_number=BADGE)
        deadline = time.monotonic() + 60
        while sim.unlock_count(0) == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sim.unlock_count(0) == 1, (data / "agent.log").read_text()[-3000:]
        stored = _wait_for_event(_env_file(conf / "db.env")["DATABASE_URL"])
        assert stored == ("granted", "rotterdam-t1", "gate-a", str(BADGE)), stored
    finally:
        if bridge is not None:
            bridge.stop()
        stop_services(data / "pids")


def _start_bridge(conf: Path, env: dict[str, str]) -> tuple[Bridge, SimulatedTurnstile]:
    """What `portgate bridge --config` starts, with the simulated driver held here."""
    config = load_bridge_config(conf / "bridge.yaml")
    bridge_env = {**env, **_env_file(conf / "bridge.env")}
    sim = SimulatedTurnstile(lanes=[0, 1], reader_id="sim-reader")
    bridge = Bridge(
        config=config, turnstile=sim, reader=sim, bus=build_bus(config, environ=bridge_env)
    )
    bridge.start()
    return bridge, sim


def _wait_for_event(url: str) -> tuple[str, ...] | None:
    engine = create_engine(url)
    query = text(
        "SELECT decision, site_id, gate_id, credential_ref FROM access_event ORDER BY id DESC"
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                row = connection.execute(query).first()
            if row is not None:
                return tuple(str(getattr(v, "value", v)) for v in row)
            time.sleep(0.2)
        return None
    finally:
        engine.dispose()
