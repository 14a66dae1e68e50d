"""Database and API setup of bench_api_decisions: the bulk seed and the API process.

Imported by bench/bench_api_decisions.py.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import insert
from sqlmodel import Session

from central_api.models import (
    AccessGroup,
    AccessGroupZone,
    AgentKey,
    Credential,
    Gate,
    Person,
    PersonAccessGroup,
    Site,
    SiteActivation,
    Zone,
)
from central_api.security.auth import hash_key
from testkit.ports import free_port

__all__ = ["ZONES", "ApiProcess", "seed"]

ZONES = 10


def seed(engine, people: int, gates: int) -> tuple[list[tuple[str, str]], dict[str, str]]:  # type: ignore[no-untyped-def]
    """Bulk rows; returns [(badge, gate)] a person may use and {gate: key}."""
    now = datetime.now(UTC)
    keys = {f"g{n:03d}": f"bench-key-{n:03d}-" + "x" * 32 for n in range(gates)}
    with Session(engine) as session:
        session.add(Site(id="port", name="port"))
        session.flush()
        for z in range(ZONES):
            session.add(Zone(id=f"z{z}", site_id="port", name=f"zone {z}"))
        session.flush()
        for n, gate in enumerate(keys):
            session.add(
                Gate(id=gate, site_id="port", zone_id=f"z{n % ZONES}", lanes=2, face_required=True)
            )
        session.flush()
        for gate, key in keys.items():
            session.add(AgentKey(gate_id=gate, key_hash=hash_key(key)))
        for z in range(ZONES):
            session.add(AccessGroup(id=z + 1, name=f"zone {z}", site_id="port"))
        session.flush()
        for z in range(ZONES):
            session.add(AccessGroupZone(group_id=z + 1, zone_id=f"z{z}"))
        session.commit()
        persons, credentials, memberships, usable, activations = [], [], [], [], []
        for p in range(people):
            pid = f"P{p:07d}"
            badge = f"{p:08X}"
            zone = p % ZONES
            persons.append(
                {
                    "id": pid,
                    "display_name": f"Person {p}",
                    "kind": "staff",
                    "status": "active",
                    "site_id": "port",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            credentials.append({"person_id": pid, "kind": "badge", "ref": badge, "created_at": now})
            memberships.append({"person_id": pid, "group_id": zone + 1})
            activations.append(
                {"person_id": pid, "site_id": "port", "status": "active"}
                | {"activated_at": now, "activated_by": "bench"}
            )
            gate = f"g{(zone + ZONES * random.randrange(gates // ZONES)):03d}"
            usable.append((badge, gate))
        session.exec(insert(Person), params=persons)  # type: ignore[call-overload]
        session.exec(insert(Credential), params=credentials)  # type: ignore[call-overload]
        session.exec(insert(PersonAccessGroup), params=memberships)  # type: ignore[call-overload]
        session.exec(insert(SiteActivation), params=activations)  # type: ignore[call-overload]
        session.commit()
    return usable, keys


class ApiProcess:
    """`portgate api --workers N` on a free port, stopped on exit."""

    def __init__(
        self, *, workers: int, env: dict[str, str], log: Path, info_log: bool = False
    ) -> None:
        """Start it; `info_log`: the workers' INFO lines too (JSON), for `wait_logged`."""
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._log_path = log
        self._log = log.open("wb")
        # uvicorn's text config leaves the workers' own loggers at WARNING; the JSON one
        # sends every logger's INFO lines (portgate/logsetup.py).
        options = ["--log-format", "json"] if info_log else []
        portgate = str(Path(sys.executable).parent / "portgate")
        command = [portgate, *options, "api", "--port", str(self.port)]
        self.process = subprocess.Popen(  # noqa: S603 (our own CLI)
            [*command, "--workers", str(workers)],
            env={**os.environ, **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, *, mqtt: bool, timeout_s: float = 90) -> None:
        """Until /healthz answers (and says the broker is connected, when there is one)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"portgate api exited ({self.process.returncode})")
            try:
                health = httpx.get(f"{self.base}/healthz", timeout=2).json()
                if not mqtt or health.get("mqtt"):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise SystemExit("portgate api did not become ready")

    def wait_logged(self, text: str, count: int, timeout_s: float) -> int:
        """Until `text` is in `count` lines of the API's log (each worker logs its own).

        Returns how many lines held it when the wait ended.
        """
        deadline = time.monotonic() + timeout_s
        seen = 0
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"portgate api exited ({self.process.returncode})")
            self._log.flush()
            lines = self._log_path.read_text(errors="replace").splitlines()
            seen = sum(text in line for line in lines)
            if seen >= count:
                break
            time.sleep(0.5)
        return seen

    def cpu_seconds(self) -> float:
        """CPU seconds (user and system) the supervisor and its workers have used (Linux).

        Read around a request to an otherwise idle API: what it cost the API's processes,
        background work it started included, whatever the machine's load.
        """
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        ticks = 0
        for each in (str(pid), *children):
            try:
                # The fields after the command's closing parenthesis: utime and stime are
                # the 12th and 13th of them (proc(5)).
                fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:  # a worker that has just exited
                continue
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """SIGTERM the supervisor (it stops its workers) and wait."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log.close()
