"""Central decisions and ingest on PostgreSQL: 10,000 people, 100 gates.

usage: .venv/bin/python bench/bench_api_decisions.py [--people 10000] [--gates 100]
       [--requests 3000] [--concurrency 100] [--events 5000] [--no-mqtt]

A throwaway PostgreSQL 15 cluster (tests/integration/postgres_fixture.py) is seeded in
bulk; the API runs under uvicorn in this process; `--concurrency` asyncio clients (in a
child process, so they do not share the server's GIL) post `POST /api/v1/decisions`
(badge + face evidence, random person, the person's gate key) as fast as answers come.
Anchor in the same run: `GET /healthz` (one database round trip) at the same
concurrency; the ratio says what the decision itself costs. Then MQTT ingest: one paho
publisher sends `--events` AccessEvents at QoS 1 to a local mosquitto, timed until every
event is a row; anchor: the same number posted in 500-event HTTP batches. Prints
``FIGURE`` lines for bench/runner.py and a readable summary.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import random
import signal
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import func, insert
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from mosquitto_fixture import free_port, mosquitto_available, start_mosquitto  # noqa: E402
from postgres_fixture import start_postgres, stop_postgres  # noqa: E402

from central_api.app import create_app  # noqa: E402
from central_api.auth import hash_key  # noqa: E402
from central_api.config import Settings  # noqa: E402
from central_api.db import make_engine  # noqa: E402
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


class Server:
    """uvicorn in a thread."""

    def __init__(self, app, port: int) -> None:  # type: ignore[no-untyped-def]
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", timeout_keep_alive=30
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


async def hammer(
    url: str, requests: list[tuple[str, dict[str, str], dict | None]], concurrency: int
) -> tuple[list[float], float, int]:  # type: ignore[type-arg]
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[tuple[str, dict[str, str], dict | None]] = asyncio.Queue()  # type: ignore[type-arg]
    for item in requests:
        queue.put_nowait(item)
    limits = httpx.Limits(
        max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=2
    )
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal errors
            while not queue.empty():
                path, headers, body = queue.get_nowait()
                started = time.perf_counter()
                try:
                    if body is None:
                        answer = await client.get(path, headers=headers)
                    else:
                        answer = await client.post(path, json=body, headers=headers)
                except httpx.TransportError:  # e.g. a keep-alive connection the server closed
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - started)
                if answer.status_code != 200:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return latencies, wall, errors


def _hammer_in_child(args: tuple, results) -> None:  # type: ignore[no-untyped-def,type-arg]
    results.put(asyncio.run(hammer(*args)))


def load(url: str, requests: list, concurrency: int) -> tuple[list[float], float, int]:  # type: ignore[type-arg]
    """Run the load generator in its own process, so it does not share the server's GIL."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=_hammer_in_child, args=((url, requests, concurrency), results))
    child.start()
    outcome = results.get(timeout=1800)
    child.join(30)
    return outcome  # type: ignore[no-any-return]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


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


def figure(name: str, value: float, unit: str, anchor: str, anchor_value: float) -> None:
    print(f"FIGURE bench_api_decisions|{name}|{value:.4g}|{unit}|{anchor}|{anchor_value:.4g}||")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--gates", type=int, default=100)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--no-mqtt", action="store_true")
    args = parser.parse_args()
    random.seed(7)
    # A killed run still stops its PostgreSQL cluster and broker (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    # The dashboard's live feed taps the same MQTT stream; its shutdown noise is not ours.
    logging.getLogger("central_api.dashboard").setLevel(logging.CRITICAL)
    pg = start_postgres()
    broker = None
    try:
        url = pg.create_database("bench")
        upgrade_database(url)
        engine = make_engine(url, pool_size=40)
        t0 = time.perf_counter()
        usable, keys = seed(engine, args.people, args.gates)
        print(
            f"seeded {args.people} people, {args.gates} gates in {time.perf_counter() - t0:.1f} s"
        )
        mqtt_url = None
        if not args.no_mqtt and mosquitto_available():
            broker = start_mosquitto(Path(pg.base.parent) / f"mq-{pg.port}")
            mqtt_url = f"mqtt://127.0.0.1:{broker.port}"
        settings = Settings(PORTGATE_DEV_MODE=True, DATABASE_URL=url, MQTT_URL=mqtt_url)
        app = create_app(settings, engine=engine)
        port = free_port()
        with Server(app, port):
            base = f"http://127.0.0.1:{port}"
            face = {"seen": True, "distance": 0.3, "liveness_passed": True}
            keys_gate = {key: gate for gate, key in keys.items()}
            decisions = []
            for n in range(args.requests):
                badge, gate = random.choice(usable)
                decisions.append(
                    (
                        "/api/v1/decisions",
                        {"X-Gate-Key": keys[gate]},
                        {
                            "request_id": f"r{n}",
                            "direction": "entry",
                            "credential_kind": "badge",
                            "badge_number": badge,
                            "occurred_at": datetime.now(UTC).isoformat(),
                            "face": face,
                        },
                    )
                )
            load(base, decisions[:200], args.concurrency)  # warm-up
            health = [("/healthz", {}, None)] * args.requests
            h_lat, h_wall, h_err = load(base, health, args.concurrency)
            d_lat, d_wall, d_err = load(base, decisions, args.concurrency)
            d_rate, h_rate = len(d_lat) / d_wall, len(h_lat) / h_wall
            print(
                f"decisions: {d_rate:.0f}/s, p50 {pct(d_lat, 0.5) * 1000:.1f} ms, "
                f"p99 {pct(d_lat, 0.99) * 1000:.1f} ms at {args.concurrency} concurrent "
                f"({d_err} non-200)"
            )
            print(
                f"anchor /healthz: {h_rate:.0f}/s, p50 {pct(h_lat, 0.5) * 1000:.1f} ms, "
                f"p99 {pct(h_lat, 0.99) * 1000:.1f} ms ({h_err} non-200)"
            )
            # The decision service alone, one call at a time: what a request costs without
            # HTTP, the thread pool and queueing.
            sample = decisions[:300]
            started = time.perf_counter()
            for _, headers, body in sample:
                with Session(engine) as session:
                    decide_presentation(
                        session=session,
                        settings=settings,
                        gate_id=keys_gate[headers["X-Gate-Key"]],
                        request=DecisionQuery.model_validate(body),
                    )
            service_ms = (time.perf_counter() - started) / len(sample) * 1000
            print(f"decision service alone (no HTTP, sequential): {service_ms:.1f} ms per call")
            figure("decisions_per_s", d_rate, "1/s", "healthz_per_s", h_rate)
            figure(
                "decision_service_ms", service_ms, "ms", "healthz_p50_ms", pct(h_lat, 0.5) * 1000
            )
            figure(
                "decision_p99_ms",
                pct(d_lat, 0.99) * 1000,
                "ms",
                "healthz_p99_ms",
                pct(h_lat, 0.99) * 1000,
            )
            figure(
                "decision_p50_ms",
                statistics.median(d_lat) * 1000,
                "ms",
                "healthz_p50_ms",
                statistics.median(h_lat) * 1000,
            )
            # HTTP batch ingest: the anchor of MQTT ingest.
            events = [event(n) for n in range(args.events)]
            gate_headers = {"X-Gate-Key": keys["g000"]}
            started = time.perf_counter()
            with httpx.Client(base_url=base, timeout=60) as client:
                for i in range(0, len(events), 500):
                    chunk = [e.model_dump(mode="json") for e in events[i : i + 500]]
                    client.post("/api/v1/events", json={"events": chunk}, headers=gate_headers)
            http_rate = args.events / (time.perf_counter() - started)
            print(f"HTTP batch ingest: {http_rate:.0f} events/s")
            if broker is not None:
                import paho.mqtt.client as mqtt
                from paho.mqtt.enums import CallbackAPIVersion

                if not app.state.bus.wait_connected(10):
                    raise SystemExit("the API did not connect to mosquitto")
                publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-pub")
                publisher.max_inflight_messages_set(1000)
                publisher.connect("127.0.0.1", broker.port)
                publisher.loop_start()
                topic = build_topic(GateTopic(site="port", gate="g001", channel=GateChannel.EVENT))
                before = count_events(engine)
                mqtt_events = [event(n + args.events) for n in range(args.events)]
                started = time.perf_counter()
                infos = [publisher.publish(topic, encode_message(e), qos=1) for e in mqtt_events]
                for info in infos:
                    info.wait_for_publish(30)
                # Until every event is a row, or nothing new arrived for 5 s (dropped).
                got, last_change = 0, time.perf_counter()
                while got < args.events and time.perf_counter() - last_change < 5:
                    now_got = count_events(engine) - before
                    if now_got != got:
                        got, last_change = now_got, time.perf_counter()
                    time.sleep(0.05)
                mqtt_rate = got / (last_change - started)
                publisher.loop_stop()
                print(
                    f"MQTT ingest: {mqtt_rate:.0f} events/s, {got} of {args.events} stored "
                    "(fewer: the broker dropped QoS 1 messages past its max_queued_messages)"
                )
                figure(
                    "mqtt_ingest_events_per_s",
                    mqtt_rate,
                    "1/s",
                    "http_batch_events_per_s",
                    http_rate,
                )
        engine.dispose()
    finally:
        if broker is not None:
            broker.stop()
        stop_postgres(pg)


if __name__ == "__main__":
    main()
