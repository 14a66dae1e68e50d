"""A fleet of gates on a highly available central side (PostgreSQL pair, API replicas).

Like `testkit.faults.fleet.Fleet` (the broker and the agents as child processes, the bridges and
the crowd in this process), but the API is `replica_count` processes of `portgate api`
behind HAProxy (`testkit.faults.haproxy`), on a PostgreSQL primary with a streaming standby
(`testkit.faults.pg_standby`) reached through a libpq multi-host URL with
``target_session_attrs=read-write``. Each replica is its own MQTT worker slot
(``PORTGATE_WORKER_INDEX``: its own broker user; ingest through the shared subscription
``$share/api/...`` so that each event reaches one replica) and writes its own file of
published audit heads. Used by tests/faults/test_db_failover.py and test_api_crashes.py.
"""

from __future__ import annotations

import base64
import os
import secrets
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import text

from central_api.db import make_engine
from central_api.migrate import upgrade_database
from portgate.broker.site_config import BrokerSettings, GateEntry, SiteConfig
from testkit.faults.fleet import _API_MAIN, ChildProcess, Fleet
from testkit.faults.haproxy import HaProxy, start_haproxy
from testkit.faults.pg_standby import PgPair, start_pair, stop_pair
from testkit.faults.seed import seed_fleet
from testkit.ports import free_port
from testkit.secured_broker import start_site_broker

__all__ = ["HaFleet", "first_central_after"]

_CLI_MAIN = "from portgate.cli import main; main()"


@dataclass
class HaFleet(Fleet):
    """Broker, PostgreSQL pair, API replicas behind HAProxy, N agents, bridges, a crowd.

    Args (beyond `Fleet`'s):
        replica_count: How many `portgate api` processes.
        synchronous: Whether the standby is synchronous (see `testkit.faults.pg_standby`).
    """

    replica_count: int = 2
    synchronous: bool = True
    pg: PgPair | None = None
    database_url: str = ""
    replicas: list[ChildProcess] = field(default_factory=list)
    replica_ports: list[int] = field(default_factory=list)
    proxy: HaProxy | None = None

    def heads_file(self, index: int) -> Path:
        """The audit heads replica `index` published (one JSON line each)."""
        return self.workdir / f"heads-{index}.jsonl"

    def start(self) -> None:
        """Seed, then start the database pair, broker, replicas, HAProxy, bridges, agents."""
        gate_ids = [f"g{n:02d}" for n in range(1, self.gates + 1)]
        self.pg = start_pair(synchronous=self.synchronous)
        self.database_url = self.pg.create_database("fleet")
        upgrade_database(self.database_url)
        engine = make_engine(self.database_url)
        template_key = secrets.token_bytes(32)
        self.seed = seed_fleet(
            engine=engine,
            site=self.site,
            gates=self.gates,
            people=self.people,
            seal_key=template_key,
        )
        engine.dispose()
        site = SiteConfig(
            site=self.site,
            gates=[GateEntry(id=gate) for gate in gate_ids],
            broker=BrokerSettings(api_workers=self.replica_count),
        )
        self.broker = start_site_broker(self.workdir / "broker", site)
        self._start_replicas(template_key)
        self.proxy = start_haproxy(self.workdir / "haproxy", self.api_port, self.replica_ports)
        self.proxy.wait_ready()
        self.wait_api()
        self._start_gates(gate_ids)

    def _start_replicas(self, template_key: bytes) -> None:
        assert self.broker is not None  # noqa: S101 (started first)
        common = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "MQTT_URL": self.broker.url("api"),
            "PORTGATE_SITE": self.site,
            "PORTGATE_SECRET_KEY": secrets.token_urlsafe(48),
            "PORTGATE_TEMPLATE_KEY": base64.b64encode(template_key).decode(),
            "PORTGATE_INGEST_SHARE_GROUP": "api",
            "PORTGATE_AUDIT_HEAD_INTERVAL_S": "1",
            "PORTGATE_AUDIT_HEAD_EVERY": "10",
        }
        for index in range(self.replica_count):
            port = free_port()
            env = {
                **common,
                # Its sessions named in pg_stat_activity (to catch it mid-transaction).
                "DATABASE_URL": f"{self.database_url}&application_name=api{index}",
                "PORTGATE_WORKER_INDEX": str(index),
                "PORTGATE_AUDIT_HEAD_FILE": str(self.heads_file(index)),
            }
            child = ChildProcess(
                f"api{index}", ["-c", _API_MAIN, str(port)], env, self.workdir / f"api{index}.log"
            )
            child.start()
            self.replicas.append(child)
            self.replica_ports.append(port)
        self.api = self.replicas[0]

    def stored_events(self) -> list[dict[str, Any]]:
        """Every stored event's checked fields (what `check_history` reads)."""
        engine = make_engine(self.database_url, pool_size=1)
        try:
            with engine.connect() as conn:
                found = conn.execute(
                    text(
                        "SELECT event_id, gate_id, agent_seq, decision, decided_by,"
                        " occurred_at, command_id FROM access_event"
                    )
                ).mappings()
                return [dict(row) for row in found]
        finally:
            engine.dispose()

    def audit_verify(self) -> subprocess.CompletedProcess[str]:
        """`portgate audit verify` with every head the replicas published."""
        heads = [
            arg
            for index in range(self.replica_count)
            if self.heads_file(index).exists()
            for arg in ("--head", str(self.heads_file(index)))
        ]
        return subprocess.run(  # noqa: S603 (our own CLI)
            [sys.executable, "-c", _CLI_MAIN, "audit", "verify", *heads],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "DATABASE_URL": self.database_url},
            timeout=120,
        )

    def wait_replica(self, index: int, *, timeout_s: float = 90.0) -> None:
        """Wait until replica `index` answers /healthz on its own port.

        Raises:
            RuntimeError: it did not in time.
        """
        url = f"http://127.0.0.1:{self.replica_ports[index]}/healthz"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if httpx.get(url, timeout=1).is_success:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"API replica {index} did not answer in {timeout_s} s")

    def open_transactions(self, index: int) -> int:
        """How many transactions replica `index` has open on the primary right now."""
        assert self.pg is not None  # noqa: S101 (started)
        conninfo = f"host=127.0.0.1 port={self.pg.primary.port} user=postgres dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            row = conn.execute(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = %s"
                " AND xact_start IS NOT NULL AND state <> 'idle'",
                (f"api{index}",),
            ).fetchone()
        return int(row[0]) if row else 0

    def drained(self) -> bool:
        """Whether every agent's events are sent and stored (no draft waiting either)."""
        stored = Counter(str(row["gate_id"]) for row in self.stored_events())
        for gate in self.agents:
            path = self.outbox_path(gate)
            if not path.exists():
                return False
            with sqlite3.connect(path) as db:
                (unsent,) = db.execute("SELECT COUNT(*) FROM events WHERE sent = 0").fetchone()
                (top,) = db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
                # An opening still waiting for its turnstile is not an event yet.
                (drafts,) = db.execute("SELECT COUNT(*) FROM drafts").fetchone()
            if unsent or drafts or stored[gate] < top:
                return False
        return True

    def stop(self) -> None:
        """Stop the gates, HAProxy, every replica and the broker (the database stays up)."""
        super().stop()
        if self.proxy is not None:
            self.proxy.stop()
        for replica in self.replicas:
            replica.stop()

    def stop_database(self) -> None:
        """Stop and delete the database pair."""
        if self.pg is not None:
            stop_pair(self.pg)
            self.pg = None


def first_central_after(rows: list[dict[str, Any]], moment: datetime) -> datetime | None:
    """When the first event decided by the central API after `moment` occurred."""
    later = [
        row["occurred_at"]
        for row in rows
        if row["decided_by"] == "central" and row["occurred_at"] > moment
    ]
    return min(later) if later else None
