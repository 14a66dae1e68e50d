"""Central decisions and ingest on PostgreSQL: 10,000 people, 100 gates (issue 3 goals).

usage: .venv/bin/python bench/bench_api_decisions.py [--people 10000] [--gates 100]
       [--workers 2] [--concurrency 100] [--seconds 10] [--events 5000] [--no-mqtt]

A throwaway PostgreSQL 15 cluster (tests/integration/postgres_fixture.py) is seeded in
bulk and the API runs as `portgate api --workers N` (a separate process tree, as in
production). The load generator is Debian's `wrk` (bench/load_generator.py; a Python
client when wrk is missing, named in the output): `--concurrency` connections post
`POST /api/v1/decisions` (badge + face evidence, each person at one of their gates, with
that gate's key) for `--seconds`, after a warm-up pass in which the same people present first.
Anchor in the same run: `GET /healthz` (one database round trip) at the same concurrency;
the ratio says what a decision costs beyond the HTTP stack. Then ingest: `--events`
AccessEvents posted in 500-event HTTP batches, and the same number published at QoS 1 to a
local mosquitto configured like the generated site broker (max_queued_messages 50000,
max_inflight_messages 20), timed until every event is a row (each stored once).

Goals (issue 3): decisions >= 1,000/s and p99 <= 50 ms at 100 concurrent; MQTT ingest
>= 2,000 events/s. Prints ``FIGURE`` lines for bench/runner.py with MET/MISSED.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, insert
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from load_generator import LoadResult, Request, run_load  # noqa: E402
from mosquitto_fixture import free_port, mosquitto_available, start_mosquitto  # noqa: E402
from postgres_fixture import start_postgres, stop_postgres  # noqa: E402

from central_api.auth import hash_key  # noqa: E402
from central_api.config import Settings  # noqa: E402
from central_api.db import make_engine  # noqa: E402
from central_api.decision_cache import DecisionCache  # noqa: E402
from central_api.decisions import decide_presentation  # noqa: E402
from central_api.migrate import upgrade_database  # noqa: E402
from central_api.models import (  # noqa: E402
    AccessEventRecord,
    AccessGroup,
    AccessGroupZone,
    AgentKey,
    Credential,
    Gate,
    Person,
    PersonAccessGroup,
    Site,
    Zone,
)
from gate_protocol.api_models import DecisionQuery  # noqa: E402
from gate_protocol.messages import (  # noqa: E402
    AccessEvent,
    CredentialKind,
    DecidedBy,
    Decision,
    Direction,
    encode_message,
)
from gate_protocol.reasons import ReasonCode  # noqa: E402
from gate_protocol.topics import GateChannel, GateTopic, build_topic  # noqa: E402

# Like the generated site broker (configs/mosquitto/mosquitto.conf), without the ACL.
BROKER_CONF = (
    "listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 50000\n"
    "max_inflight_messages 20\nmax_packet_size 32768\nset_tcp_nodelay true\n"
)
GOAL_RATE, GOAL_P99_MS, GOAL_INGEST = 1000.0, 50.0, 2000.0
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
        persons, credentials, memberships, usable = [], [], [], []
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
            gate = f"g{(zone + ZONES * random.randrange(gates // ZONES)):03d}"
            usable.append((badge, gate))
        session.exec(insert(Person), params=persons)  # type: ignore[call-overload]
        session.exec(insert(Credential), params=credentials)  # type: ignore[call-overload]
        session.exec(insert(PersonAccessGroup), params=memberships)  # type: ignore[call-overload]
        session.commit()
    return usable, keys


class ApiProcess:
    """`portgate api --workers N` on a free port, stopped on exit."""

    def __init__(self, *, workers: int, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._log = log.open("wb")
        command = [str(Path(sys.executable).parent / "portgate"), "api", "--port", str(self.port)]
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

    def stop(self) -> None:
        """SIGTERM the supervisor (it stops its workers) and wait."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log.close()


def event(n: int) -> AccessEvent:
    return AccessEvent(
        event_id=f"bench-{n}",
        agent_seq=n,
        occurred_at=datetime.now(UTC) - timedelta(seconds=n % 3600),
        lane=0,
        direction=Direction.ENTRY,
        decision=Decision.GRANTED,
        reason=ReasonCode.GRANTED,
        credential_kind=CredentialKind.BADGE,
        person_id=f"P{n % 10000:07d}",
        decided_by=DecidedBy.CENTRAL,
    )


def count_events(engine) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(AccessEventRecord)).one())


def verdict(met: bool) -> str:
    """MET or MISSED."""
    return "MET" if met else "MISSED"


def figure(
    name: str,
    value: float,
    unit: str,
    anchor: str,
    anchor_value: float,
    goal: str = "",
    met: bool | None = None,
) -> None:
    """One FIGURE line for bench/runner.py."""
    flag = "" if met is None else ("yes" if met else "no")
    print(
        f"FIGURE bench_api_decisions|{name}|{value:.4g}|{unit}|{anchor}|{anchor_value:.4g}|"
        f"{goal}|{flag}"
    )


def describe(label: str, result: LoadResult) -> str:
    """One readable line of a load run."""
    return (
        f"{label}: {result.rate:,.0f}/s, p50 {result.p50_ms:.1f} ms, p95 {result.p95_ms:.1f} ms,"
        f" p99 {result.p99_ms:.1f} ms ({result.requests} requests in {result.seconds:.1f} s, "
        f"{result.non_2xx} non-2xx, {result.socket_errors} socket errors)"
    )


def decision_requests(usable: list[tuple[str, str]], keys: dict[str, str]) -> list[Request]:
    """One decision request per person, in random order."""
    face = {"seen": True, "distance": 0.3, "liveness_passed": True}
    requests: list[Request] = []
    for n, (badge, gate) in enumerate(random.sample(usable, len(usable))):
        body = {
            "request_id": f"r{n}",
            "direction": "entry",
            "credential_kind": "badge",
            "badge_number": badge,
            "occurred_at": datetime.now(UTC).isoformat(),
            "face": face,
        }
        requests.append(("/api/v1/decisions", {"X-Gate-Key": keys[gate]}, body))
    return requests


def service_alone(
    engine,
    settings: Settings,
    keys: dict[str, str],
    requests: list[Request],  # type: ignore[no-untyped-def]
) -> tuple[float, float]:
    """Ms per decision without HTTP, one at a time: (all inputs read, inputs cached)."""
    gate_of = {key: gate for gate, key in keys.items()}
    sample = requests[:300]

    def run(cache: DecisionCache | None) -> float:
        started = time.perf_counter()
        for _, headers, body in sample:
            with Session(engine) as session:
                decide_presentation(
                    session=session,
                    settings=settings,
                    gate_id=gate_of[headers["X-Gate-Key"]],
                    request=DecisionQuery.model_validate(body),
                    cache=cache,
                )
        return (time.perf_counter() - started) / len(sample) * 1000

    uncached = run(None)
    cache = DecisionCache()
    run(cache)  # loads the sample's inputs
    return uncached, run(cache)


def load_average() -> str:
    """The 1-minute load average and the core count (what else was running)."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def main() -> None:
    """Seed, start the API, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--gates", type=int, default=100)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--no-mqtt", action="store_true")
    args = parser.parse_args()
    random.seed(7)
    # A killed run still stops its API, PostgreSQL cluster and broker (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    logging.getLogger("central_api.dashboard").setLevel(logging.CRITICAL)
    print(f"before: {load_average()}")
    # The API's and the broker's logs stay after the run (they explain a bad figure).
    logs = Path(tempfile.mkdtemp(prefix="bench-api-decisions-"))
    print(f"logs: {logs}")
    pg = start_postgres()
    broker = api = None
    try:
        url = pg.create_database("bench")
        upgrade_database(url)
        engine = make_engine(url, pool_size=4)
        t0 = time.perf_counter()
        usable, keys = seed(engine, args.people, args.gates)
        print(
            f"seeded {args.people} people, {args.gates} gates in {time.perf_counter() - t0:.1f} s"
        )
        mqtt_url = None
        if not args.no_mqtt and mosquitto_available():
            broker = start_mosquitto(logs, conf_text=BROKER_CONF)
            mqtt_url = f"mqtt://127.0.0.1:{broker.port}"
        env = {"DATABASE_URL": url, "PORTGATE_DEV_MODE": "1"}
        if mqtt_url:
            env["MQTT_URL"] = mqtt_url
        api = ApiProcess(workers=args.workers, env=env, log=logs / "api.log")
        api.wait_ready(mqtt=mqtt_url is not None)
        requests = decision_requests(usable, keys)
        # Warm-up: the people of the measured run present once first (as after their first
        # passage of the day: their inputs are cached in whichever worker answered).
        warm = run_load(api.base, requests, concurrency=args.concurrency, seconds=2 * args.seconds)
        print(describe("warm-up (first presentations)", warm))
        health = run_load(
            api.base, [("/healthz", {}, None)], concurrency=args.concurrency, seconds=args.seconds
        )
        during = load_average()
        decided = run_load(api.base, requests, concurrency=args.concurrency, seconds=args.seconds)
        light = run_load(api.base, requests, concurrency=4, seconds=max(3.0, args.seconds / 2))
        print(f"load generator: {decided.generator}; API: portgate api --workers {args.workers}")
        print(describe(f"decisions at {args.concurrency} concurrent", decided))
        print(describe("anchor GET /healthz", health))
        print(describe("decisions at 4 concurrent (latency when not saturated)", light))
        ratio = decided.rate / health.rate if health.rate else 0.0
        print(f"ratio decisions/healthz throughput: {ratio:.2f}")
        print(
            f"goal >= {GOAL_RATE:.0f}/s: {verdict(decided.rate >= GOAL_RATE)}; "
            f"goal p99 <= {GOAL_P99_MS:.0f} ms: {verdict(decided.p99_ms <= GOAL_P99_MS)} "
            f"(Little's law: {args.concurrency} in flight at {decided.rate:,.0f}/s means "
            f"{args.concurrency / max(decided.rate, 1) * 1000:.0f} ms average latency; p99 "
            f"<= {GOAL_P99_MS:.0f} ms at {args.concurrency} in flight needs about "
            f"{args.concurrency / GOAL_P99_MS * 1000:,.0f}/s)"
        )
        settings = Settings(PORTGATE_DEV_MODE=True, DATABASE_URL=url)
        cold_ms, warm_ms = service_alone(engine, settings, keys, requests)
        print(
            f"decision service alone (no HTTP, sequential): {cold_ms:.2f} ms per call reading "
            f"every input, {warm_ms:.2f} ms with the inputs cached"
        )
        figure(
            "decisions_per_s",
            decided.rate,
            "1/s",
            "healthz_per_s",
            health.rate,
            f">= {GOAL_RATE:.0f}/s",
            decided.rate >= GOAL_RATE,
        )
        figure(
            "decision_p99_ms",
            decided.p99_ms,
            "ms",
            "healthz_p99_ms",
            health.p99_ms,
            f"<= {GOAL_P99_MS:.0f} ms",
            decided.p99_ms <= GOAL_P99_MS,
        )
        figure("decision_p95_ms", decided.p95_ms, "ms", "healthz_p95_ms", health.p95_ms)
        figure("decision_p50_ms", decided.p50_ms, "ms", "healthz_p50_ms", health.p50_ms)
        figure(
            "decision_p99_ms_at_4_concurrent",
            light.p99_ms,
            "ms",
            "decisions_per_s_at_4",
            light.rate,
        )
        figure("decision_service_ms", warm_ms, "ms", "uncached_service_ms", cold_ms)
        # HTTP batch ingest: the anchor of MQTT ingest.
        events = [event(n) for n in range(args.events)]
        gate_headers = {"X-Gate-Key": keys["g000"]}
        started = time.perf_counter()
        with httpx.Client(base_url=api.base, timeout=60) as client:
            for i in range(0, len(events), 500):
                chunk = [e.model_dump(mode="json") for e in events[i : i + 500]]
                client.post("/api/v1/events", json={"events": chunk}, headers=gate_headers)
        http_rate = args.events / (time.perf_counter() - started)
        print(f"HTTP batch ingest (500-event batches): {http_rate:,.0f} events/s")
        if broker is not None:
            mqtt_rate, got = mqtt_ingest(engine, broker.port, args.events, args.gates)
            met = mqtt_rate >= GOAL_INGEST and got == args.events
            print(
                f"MQTT ingest: {mqtt_rate:,.0f} events/s, {got} of {args.events} stored once "
                f"each; goal >= {GOAL_INGEST:.0f} events/s, none lost: {verdict(met)}"
            )
            figure(
                "mqtt_ingest_events_per_s",
                mqtt_rate,
                "1/s",
                "http_batch_events_per_s",
                http_rate,
                f">= {GOAL_INGEST:.0f} events/s, none lost",
                met,
            )
        print(f"during the decision run: {during}")
        engine.dispose()
    finally:
        if api is not None:
            api.stop()
        if broker is not None:
            broker.stop()
        stop_postgres(pg)


def mqtt_ingest(engine, port: int, count: int, gates: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """Publish `count` events from `gates` gates at QoS 1; (events/s until stored, stored)."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-pub")
    publisher.max_inflight_messages_set(1000)
    publisher.max_queued_messages_set(0)
    publisher.connect("127.0.0.1", port)
    publisher.loop_start()
    before = count_events(engine)
    messages = [
        (
            build_topic(
                GateTopic(site="port", gate=f"g{n % gates:03d}", channel=GateChannel.EVENT)
            ),
            encode_message(event(n + 10_000_000)),
        )
        for n in range(count)
    ]
    started = time.perf_counter()
    infos = [publisher.publish(topic, payload, qos=1) for topic, payload in messages]
    for info in infos:
        info.wait_for_publish(60)
    # Until every event is a row, or nothing new arrived for 5 s (dropped).
    got, last_change = 0, time.perf_counter()
    while got < count and time.perf_counter() - last_change < 5:
        now_got = count_events(engine) - before
        if now_got != got:
            got, last_change = now_got, time.perf_counter()
        time.sleep(0.02)
    publisher.loop_stop()
    publisher.disconnect()
    return got / (last_change - started), got


if __name__ == "__main__":
    main()
