"""A fleet of gates on one machine, each part in its own process where it matters.

mosquitto, the API (`portgate api`) and every gate agent (`gate_agent.service.run_service`,
what `portgate agent` runs) are child processes that a fault run can SIGKILL and restart;
the bridges and the badge-reading crowd run in the calling process (fleet_bridges.py).
Used by the fault suite (tests/faults) and the soak (bench/bench_soak.py).
"""

from __future__ import annotations

import base64
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx
import yaml

from central_api.db import make_engine
from portgate.broker.site_config import GateEntry, SiteConfig
from testkit.faults.bridges import Crowd, FleetBridge
from testkit.faults.seed import FleetSeed, seed_fleet
from testkit.migrated_db import migrate_database
from testkit.ports import free_port
from testkit.secured_broker import SiteBroker, start_site_broker

__all__ = ["ChildProcess", "Fleet", "running"]

_AGENT_MAIN = (
    "import logging, pathlib, sys; from gate_agent.service import run_service; "
    "logging.basicConfig(level=logging.WARNING); run_service(pathlib.Path(sys.argv[1]))"
)
_API_MAIN = (
    "import logging, sys; from portgate.commands.api import api_command; "
    "logging.basicConfig(level=logging.WARNING); "
    "api_command(host='127.0.0.1', port=int(sys.argv[1]))"
)


@dataclass
class ChildProcess:
    """A Python child process with its log file; start again after a stop or a kill."""

    name: str
    args: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start (again)."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own modules)
                [sys.executable, *self.args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
            )

    @property
    def pid(self) -> int | None:
        """The process id while running."""
        return self.process.pid if self.running and self.process is not None else None

    @property
    def running(self) -> bool:
        """Whether it is alive."""
        return self.process is not None and self.process.poll() is None

    def kill9(self) -> None:
        """SIGKILL: a crash."""
        if self.process is not None and self.running:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self, *, timeout_s: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if it hangs."""
        if self.process is None or not self.running:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill9()


@dataclass
class Fleet:
    """Broker, API, N agents, N bridges and a crowd (see the module docstring).

    Args:
        workdir: Where everything is written.
        gates: How many gates.
        people: How many badge holders.
        period_s: Seconds between presentations at one gate.
        site: The site id.
        fail_modes: A gate's lane fail mode (``secure``/``safe``), default by direction.
    """

    workdir: Path
    gates: int = 3
    people: int = 20
    period_s: float = 0.5
    site: str = "fleet"
    broker: SiteBroker | None = None
    seed: FleetSeed | None = None
    api: ChildProcess | None = None
    api_port: int = field(default_factory=free_port)
    agents: dict[str, ChildProcess] = field(default_factory=dict)
    bridges: list[FleetBridge] = field(default_factory=list)
    crowd: Crowd | None = None
    fail_modes: dict[str, str] = field(default_factory=dict)  # gate -> its lane's fail mode

    @property
    def database_path(self) -> Path:
        """The API's SQLite database."""
        return self.workdir / "api.db"

    def outbox_path(self, gate: str) -> Path:
        """A gate agent's durable outbox."""
        return self.workdir / "agents" / gate / "outbox.sqlite3"

    def start(self) -> None:
        """Seed, then start the broker, the API, the bridges and the agents (not the crowd)."""
        gate_ids = [f"g{n:02d}" for n in range(1, self.gates + 1)]
        url = f"sqlite:///{self.database_path}"
        migrate_database(url)
        engine = make_engine(url)
        template_key = secrets.token_bytes(32)
        self.seed = seed_fleet(
            engine=engine,
            site=self.site,
            gates=self.gates,
            people=self.people,
            seal_key=template_key,
        )
        engine.dispose()
        site = SiteConfig(site=self.site, gates=[GateEntry(id=gate) for gate in gate_ids])
        self.broker = start_site_broker(self.workdir / "broker", site)
        api_env = {
            **os.environ,
            "DATABASE_URL": url,
            "MQTT_URL": self.broker.url("api"),
            "PORTGATE_SITE": self.site,
            "PORTGATE_SECRET_KEY": secrets.token_urlsafe(48),
            "PORTGATE_TEMPLATE_KEY": base64.b64encode(template_key).decode(),
        }
        self.api = ChildProcess(
            "api", ["-c", _API_MAIN, str(self.api_port)], api_env, self.workdir / "api.log"
        )
        self.api.start()
        self.wait_api()
        self._start_gates(gate_ids)

    def _start_gates(self, gate_ids: list[str]) -> None:
        """Each gate's bridge and agent, then the crowd that badges at them."""
        assert self.broker is not None and self.seed is not None  # noqa: S101 (started)
        for gate in gate_ids:
            bridge = FleetBridge(
                site=self.site,
                gate=gate,
                broker=self.broker,
                workdir=self.workdir / "bridges",
                command_keys=self.seed.command_keys[gate],
                fail_mode=self.fail_modes.get(gate),
            )
            bridge.bridge.start()
            self.bridges.append(bridge)
            self.agents[gate] = self._agent(gate)
            self.agents[gate].start()
        self.crowd = Crowd(
            bridges=self.bridges,
            badges=self.seed.badges,
            unknown_badge=self.seed.unknown_badge,
            period_s=self.period_s,
        )

    def _agent(self, gate: str) -> ChildProcess:
        assert self.broker is not None and self.seed is not None  # noqa: S101 (started)
        folder = self.workdir / "agents" / gate
        folder.mkdir(parents=True, exist_ok=True)
        config = {
            "site": self.site,
            "gate": gate,
            "mqtt": {
                "url": f"mqtt://127.0.0.1:{self.broker.port}",
                "username": f"agent-{gate}",
                "password_env": "PORTGATE_MQTT_PASSWORD",
                "reconnect_min_s": 0.2,
                "reconnect_max_s": 2,
            },
            "api": {
                "url": f"http://127.0.0.1:{self.api_port}",
                "decision_timeout_ms": 300,
                "sync_interval_s": 5,
                "event_replay_after_s": 3,
            },
            "turnstile": {"command_ttl_s": 3, "ack_timeout_s": 2, "passage_timeout_s": 3},
            "outbox": {"path": str(self.outbox_path(gate))},
            "replica_path": str(folder / "replica.json"),
        }
        config_path = folder / "agent.yaml"
        config_path.write_text(yaml.safe_dump(config))
        env = {
            **os.environ,
            "PORTGATE_GATE_KEY": self.seed.gate_keys[gate],
            "PORTGATE_MQTT_PASSWORD": self.broker.passwords[f"agent-{gate}"],
        }
        return ChildProcess(
            f"agent-{gate}", ["-c", _AGENT_MAIN, str(config_path)], env, folder / "agent.log"
        )

    def wait_api(self, *, timeout_s: float = 90.0) -> None:
        """Wait until the API answers /healthz.

        Raises:
            RuntimeError: it did not come up in time.
        """
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.api_port}/healthz", timeout=1).is_success:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the API did not answer on port {self.api_port}")

    def wait_replicas(self, *, timeout_s: float = 60.0) -> None:
        """Wait until every agent has stored a replica (it can decide offline).

        Raises:
            RuntimeError: one did not in time.
        """
        deadline = time.monotonic() + timeout_s
        for gate in self.agents:
            path = self.workdir / "agents" / gate / "replica.json"
            while not path.exists():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"agent {gate} holds no replica after {timeout_s} s")
                time.sleep(0.2)

    def pids(self) -> dict[str, int]:
        """The running child processes by name (and this process as ``bridges``)."""
        found = {"bridges": os.getpid()}
        if self.broker is not None and self.broker.pid is not None:
            found["mosquitto"] = self.broker.pid
        for child in [self.api, *self.agents.values()]:
            if child is not None and child.pid is not None:
                found[child.name] = child.pid
        return found

    def stop(self) -> None:
        """Stop the crowd, the agents, the bridges, the API and the broker."""
        if self.crowd is not None:
            self.crowd.stop()
        for agent in self.agents.values():
            agent.stop()
        for bridge in self.bridges:
            bridge.bridge.stop()
        if self.api is not None:
            self.api.stop()
        if self.broker is not None:
            self.broker.stop()


FleetT = TypeVar("FleetT", bound=Fleet)


@contextmanager
def running(fleet: FleetT) -> Iterator[FleetT]:
    """`fleet` started with every gate's replica in, stopped afterwards whatever happened."""
    try:
        fleet.start()
        fleet.wait_replicas()
        yield fleet
    finally:
        fleet.stop()
