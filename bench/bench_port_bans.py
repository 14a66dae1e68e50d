"""Port ban reach: the authority bans a person -> every gate of every site holds the ban.

usage: .venv/bin/python bench/bench_port_bans.py [--sites 10] [--gates 20] [--rounds 5]

A real mosquitto, the central API in a process of its own (`portgate api`, as in a
port, `--api-workers` worker processes) on SQLite, and sites x gates gate stand-ins
(testkit.ban_reach): each its own broker connection on its site's retained SyncNotice
and the agent's own replica sync (`sync_replica` through the agent's `ApiClient`, with
the gate's key). One person may pass at every site. Each round issues a ban over HTTP
as an authority user and times, per gate, until that gate's replica carries it; then
lifts it and times the same. Anchor in the same run: a retained publish -> subscriber
round trip on the same broker.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlmodel import Session

from central_api.crud.users import create_user
from central_api.db import make_engine
from central_api.migrate import upgrade_database
from central_api.models import Role
from gate_protocol.messages import SyncNotice, encode_message
from gate_protocol.mqtt_connection import MqttConnection
from gate_protocol.replica import ReplicaSnapshot
from gate_protocol.topics import SyncTopic, build_topic
from testkit.ban_reach import PortSeed, StandInFleet, seed_port
from testkit.faults.fleet import ChildProcess
from testkit.mosquitto import start_mosquitto
from testkit.mqtt_probe import MqttProbe
from testkit.ports import free_port

PASSWORD = "bench-authority-" + str(time.time_ns())
GOAL_MS = 2000.0


def anchor_rtt(port: int, rounds: int) -> list[float]:
    """Retained publish -> subscriber round trips on the broker, in ms."""
    probe = MqttProbe(port)
    probe.connect()
    topic = build_topic(SyncTopic("anchor"))  # a site no gate is at
    probe.subscribe(topic)
    times = []
    for n in range(rounds):
        seen = len(probe.on_topic(topic))
        started = time.perf_counter()
        notice = SyncNotice(replica_version=n, at=datetime.now(UTC))
        probe.publish(topic, encode_message(notice), retain=True)
        if probe.wait_for(lambda s=seen: len(probe.on_topic(topic)) > s, 5):
            times.append((time.perf_counter() - started) * 1000)
    probe.close()
    return times


def start_api(work: Path, url: str, broker_port: int, workers: int) -> ChildProcess:
    """`portgate api` on a free port, in a process of its own; waits for /healthz."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MQTT_URL": f"mqtt://127.0.0.1:{broker_port}",
        "PORTGATE_SECRET_KEY": secrets.token_urlsafe(48),
        "PORTGATE_TEMPLATE_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        # The officer logs in with a password only: this measures bans reaching gates.
        "PORTGATE_TOTP_REQUIRED": "0",
    }
    main = (
        "import logging, sys; from portgate.commands.api import api_command; "
        "logging.basicConfig(level=logging.WARNING); "
        "api_command(host='127.0.0.1', port=int(sys.argv[2]), workers=int(sys.argv[1]))"
    )
    api = ChildProcess("api", ["-c", main, str(workers), str(port)], env, work / "api.log")
    api.start()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).is_success:
                return api
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    api.stop()
    raise SystemExit(f"the API did not start: {(work / 'api.log').read_text()[-2000:]}")


def p99(values: list[float]) -> float:
    """The 99th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * 99 // 100) - 1)]


def one_reach(
    fleet: StandInFleet, change: object, banned: bool, person: str
) -> tuple[list[float], str]:
    """Run `change()` (returns the ban id) and time each gate until its replica agrees."""

    def agrees(snapshot: ReplicaSnapshot) -> bool:
        held = any(p.port_bans for p in snapshot.persons if p.person_id == person)
        return held is banned

    fleet.watch(agrees)
    started = time.perf_counter()
    ban_id = change()  # type: ignore[operator]
    if not fleet.wait_reached(30):
        missing = sorted(set(fleet.gates) - set(fleet.reached))
        print(f"not reached: {len(missing)} gates; errors {fleet.errors[-3:]}", flush=True)
        raise SystemExit(f"not reached in 30 s: {missing[:5]}...; errors {fleet.errors[-3:]}")
    return [(t - started) * 1000 for t in fleet.reached.values()], str(ban_id)


def seed_database(work: Path, args: argparse.Namespace) -> tuple[str, PortSeed]:
    """A migrated SQLite database with the port and one authority user."""
    url = f"sqlite:///{work / 'api.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    seed = seed_port(engine=engine, sites=args.sites, gates_per_site=args.gates, people_per_site=5)
    with Session(engine) as session:
        create_user(
            session=session, username="officer", password=PASSWORD, role=Role.AUTHORITY, actor="b"
        )
    engine.dispose()
    return url, seed


def measure(
    fleet: StandInFleet, http: httpx.Client, person: str, rounds: int
) -> tuple[list[float], list[float]]:
    """Ban and lift `rounds` times; each gate's time until its replica agrees, in ms."""
    token = http.post(
        "/api/v1/auth/token", data={"username": "officer", "password": PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    ban_ms: list[float] = []
    lift_ms: list[float] = []
    for n in range(rounds):

        def issue(n: int = n) -> str:
            body = {"person_id": person, "reason": "bench ban", "legal_reference": f"BENCH-{n}"}
            answer = http.post("/api/v1/bans", json=body, headers=headers)
            answer.raise_for_status()
            return str(answer.json()["id"])

        times, ban_id = one_reach(fleet, issue, True, person)
        ban_ms += times

        def lift(ban_id: str = ban_id) -> str:
            answer = http.post(
                f"/api/v1/bans/{ban_id}/lift", json={"reason": "bench"}, headers=headers
            )
            answer.raise_for_status()
            return ban_id

        lift_ms += one_reach(fleet, lift, False, person)[0]
        print(f"round {n + 1}: ban p99 so far {p99(ban_ms):.0f} ms", flush=True)
        time.sleep(0.2)
    return ban_ms, lift_ms


def report(
    args: argparse.Namespace,
    gates: int,
    anchor: list[float],
    ban_ms: list[float],
    lift_ms: list[float],
) -> None:
    """The figures, next to the same run's anchor."""
    a50 = statistics.median(anchor)
    load = os.getloadavg()[0]
    print(
        f"{args.rounds} bans and lifts x {gates} gates, "
        f"{args.api_workers} API worker(s); load {load:.2f} on {os.cpu_count()} CPUs"
    )
    print(f"  anchor: retained publish -> subscriber   p50 {a50:8.2f} ms  max {max(anchor):.2f}")
    for name, values in (("ban", ban_ms), ("lift", lift_ms)):
        print(
            f"  {name:4} -> every gate's replica          p50 {statistics.median(values):8.1f} ms"
            f"  p99 {p99(values):8.1f} ms  max {max(values):.1f}"
        )
    size = f"{args.sites}x{args.gates}"
    met = "yes" if p99(ban_ms) <= GOAL_MS else "no"
    print(
        f"FIGURE port_bans|ban -> every gate ({size}) p99|{p99(ban_ms):.1f}|ms|"
        f"retained publish RTT|{a50:.2f}|<= 2 s|{met}"
    )
    print(
        f"FIGURE port_bans|lift -> every gate ({size}) p99|{p99(lift_ms):.1f}|ms|"
        f"retained publish RTT|{a50:.2f}||"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--gates", type=int, default=20, help="gates per site")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=16, help="concurrent syncs")
    parser.add_argument(
        "--api-workers", type=int, default=2, help="API worker processes (one per core)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        broker = start_mosquitto(work)
        url, seed = seed_database(work, args)
        api = start_api(work, url, broker.port, args.api_workers)
        connection = MqttConnection(host="127.0.0.1", port=broker.port)
        api_url = f"http://127.0.0.1:{api.args[-1]}"
        fleet = StandInFleet(seed=seed, api_url=api_url, broker=connection, workers=args.workers)
        http = httpx.Client(base_url=api_url, timeout=30)
        try:
            started = time.perf_counter()
            fleet.start(timeout_s=300)
            print(
                f"{len(fleet.gates)} gates ({args.sites} sites x {args.gates}) synced in "
                f"{time.perf_counter() - started:.1f} s; {threading.active_count()} threads",
                flush=True,
            )
            anchor = anchor_rtt(broker.port, 20)
            ban_ms, lift_ms = measure(fleet, http, seed.port_person, args.rounds)
        finally:
            http.close()
            fleet.stop()
            api.stop()
            broker.stop(timeout_s=5)
    report(args, len(seed.gate_sites), anchor, ban_ms, lift_ms)


if __name__ == "__main__":
    main()
