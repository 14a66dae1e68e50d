"""MQTT ingest: many simulated gate connections publish AccessEvents; the API stores them.

usage: .venv/bin/python bench/bench_ingest.py [--connections 1000] [--events 20] [--postgres]

C gate connections (a minimal asyncio MQTT 3.1.1 client each, so that 1,000 sockets do not
need 1,000 paho threads) publish E AccessEvents each at QoS 1 to a local mosquitto as fast
as the broker acknowledges them. Measured: the central API's ingest (central_api MqttBus +
IngestWorker, as create_app wires them) from the first publish until every event is a row
(events/s). Anchor in the same run, same broker, same publishers: a paho subscriber that
only counts the messages (what the broker and one Python subscriber deliver without a
database). SQLite by default; --postgres uses a throwaway PostgreSQL 15 cluster.

Then, on the same database, the cost of the hash chain's Merkle step (every stored batch's
leaves and one audit entry with its root, `central_api.audit.event_chain`): batches of
events stored directly by `store_event_batch` with the step and without it (patched out),
alternating rounds; the row without it is the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine, text
from sqlmodel import Session

from bench.mqtt_publisher import connect_packet, publish_packet
from central_api.bus.mqtt import MqttBus
from central_api.db import make_engine
from central_api.ingest import store as ingest_store
from central_api.ingest.store import store_event_batch
from central_api.ingest.worker import IngestWorker
from central_api.migrate import upgrade_database
from central_api.models import Gate, Site, Zone
from gate_protocol.messages import (
    AccessEvent,
    CredentialKind,
    DecidedBy,
    Decision,
    Direction,
    encode_message,
)
from gate_protocol.mqtt_connection import MqttConnection
from gate_protocol.reasons import ReasonCode
from gate_protocol.topics import GateChannel, GateTopic, build_topic, filter_site_channel
from testkit.mosquitto import start_mosquitto
from testkit.polling import wait_until

SITE = "bench"


# The API's subscription must be able to hold a whole burst (default queue: 1,000).
BROKER_CONF = "max_queued_messages 0\nmax_connections -1\nset_tcp_nodelay true\n"


async def _read_packet(reader: asyncio.StreamReader) -> int:
    header = (await reader.readexactly(1))[0]
    length, shift = 0, 0
    while True:
        byte = (await reader.readexactly(1))[0]
        length += (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    await reader.readexactly(length)
    return header >> 4


async def gate_connection(port: int, gate: str, payloads: list[bytes]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(connect_packet(f"bench-{gate}-{uuid.uuid4().hex[:6]}"))
    if await _read_packet(reader) != 2:
        raise RuntimeError("no CONNACK")
    topic = build_topic(GateTopic(SITE, gate, GateChannel.EVENT)).encode()
    for number, payload in enumerate(payloads, start=1):
        writer.write(publish_packet(topic, payload, number))
    await writer.drain()
    acked = 0
    while acked < len(payloads):
        acked += await _read_packet(reader) == 4
    writer.write(b"\xe0\x00")
    await writer.drain()
    writer.close()


def events_for(gate: str, count: int) -> list[bytes]:
    now = datetime.now(UTC)
    return [
        encode_message(
            AccessEvent(
                event_id=uuid.uuid4().hex,
                agent_seq=n + 1,
                occurred_at=now,
                lane=0,
                direction=Direction.ENTRY,
                decision=Decision.GRANTED if n % 5 else Decision.DENIED,
                reason=ReasonCode.GRANTED if n % 5 else ReasonCode.UNKNOWN_CREDENTIAL,
                credential_kind=CredentialKind.BADGE,
                decided_by=DecidedBy.CENTRAL,
            )
        )
        for n in range(count)
    ]


def publish_all(port: int, gates: list[str], per_gate: int) -> float:
    """Publish from every gate at once; returns the second the first publish went out."""
    batches = {gate: events_for(gate, per_gate) for gate in gates}

    async def everyone() -> None:
        await asyncio.gather(*(gate_connection(port, g, batches[g]) for g in gates))

    started = time.perf_counter()
    asyncio.run(everyone())
    return started


def seed(engine: Engine, gates: list[str]) -> None:
    with Session(engine) as session:
        session.add(Site(id=SITE, name=SITE))
        session.add(Zone(id="bench-zone", site_id=SITE, name="zone"))
        session.commit()
        session.add_all(Gate(id=g, site_id=SITE, zone_id="bench-zone") for g in gates)
        session.commit()


def anchor_rate(port: int, gates: list[str], per_gate: int) -> float:
    total = len(gates) * per_gate
    count = [0]
    ready = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-anchor")
    client.on_connect = lambda c, u, f, rc, p: c.subscribe(
        filter_site_channel(SITE, GateChannel.EVENT), qos=1
    )
    client.on_subscribe = lambda c, u, mid, rc, p: ready.set()

    def on_message(c: object, u: object, m: object) -> None:
        count[0] += 1

    client.on_message = on_message
    client.connect("127.0.0.1", port)
    client.loop_start()
    ready.wait(10)
    started = publish_all(port, gates, per_gate)
    wait_until(lambda: count[0] >= total, 300)
    rate = count[0] / (time.perf_counter() - started)
    client.loop_stop()
    client.disconnect()
    return rate


def _without_merkle_step() -> ExitStack:
    """The ingest as it was before the chain covered events: no leaves, no batch entry."""
    stack = ExitStack()
    stack.enter_context(mock.patch.object(ingest_store, "seal_event_batch", lambda **_: None))
    stack.enter_context(mock.patch.object(ingest_store, "event_leaf", lambda _: None))
    return stack


def merkle_cost(
    engine: Engine, gates: list[str], *, batch: int, rounds: int
) -> tuple[float, float]:
    """Events/s stored by store_event_batch with the Merkle step and without it (same run)."""
    seconds = {True: 0.0, False: 0.0}
    for number in range(rounds * 2):
        merkle = number % 2 == 0
        events = [
            (SITE, gates[n % len(gates)], AccessEvent.model_validate_json(payload))
            for n, payload in enumerate(events_for("chain", batch))
        ]
        with nullcontext() if merkle else _without_merkle_step(), Session(engine) as session:
            started = time.perf_counter()
            store_event_batch(session=session, events=events)
            session.commit()
            seconds[merkle] += time.perf_counter() - started
    return rounds * batch / seconds[True], rounds * batch / seconds[False]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20, help="events per connection")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster")
    parser.add_argument("--chain-rounds", type=int, default=10, help="Merkle-step rounds")
    args = parser.parse_args()
    gates = [f"g{n:04d}" for n in range(args.connections)]
    total = args.connections * args.events
    pg = None
    with tempfile.TemporaryDirectory() as tmp:
        broker = start_mosquitto(Path(tmp), extra_conf=BROKER_CONF)
        port = broker.port
        try:
            url = f"sqlite:///{tmp}/ingest.db"
            if args.postgres:
                from testkit.postgres import start_postgres

                pg = start_postgres()
                url = pg.create_database("bench_ingest")
            upgrade_database(url)
            engine = make_engine(url, pool_size=4)
            seed(engine, gates)
            anchor = anchor_rate(port, gates, args.events)
            worker = IngestWorker(engine=engine)
            bus = MqttBus(
                connection=MqttConnection.from_url(f"mqtt://127.0.0.1:{port}"),
                client_id="bench-api",
                filters=[filter_site_channel(SITE, GateChannel.EVENT)],
                sink=worker.enqueue,
            )
            worker.start()
            bus.start()
            bus.wait_connected(10)
            time.sleep(0.5)

            def stored() -> int:
                if url.startswith("sqlite"):
                    # A plain reader: the engine would take SQLite's write lock (BEGIN IMMEDIATE).
                    with sqlite3.connect(f"{tmp}/ingest.db") as db:
                        return int(db.execute("SELECT COUNT(*) FROM access_event").fetchone()[0])
                with engine.connect() as conn:
                    return int(conn.execute(text("SELECT COUNT(*) FROM access_event")).scalar_one())

            started = publish_all(port, gates, args.events)
            published = time.perf_counter() - started
            wait_until(lambda: stored() >= total, 600)
            elapsed = time.perf_counter() - started
            rows = stored()
            bus.stop()
            worker.stop()
            with_merkle, without = merkle_cost(engine, gates, batch=500, rounds=args.chain_rounds)
            engine.dispose()
        finally:
            broker.stop()
            if pg is not None:
                from testkit.postgres import stop_postgres

                stop_postgres(pg)
    rate = rows / elapsed
    database = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"{args.connections} gate connections x {args.events} events = {total} events ({database})"
    )
    print(f"  published and PUBACKed in {published:.2f} s ({total / published:,.0f} events/s)")
    print(f"  anchor: broker -> counting paho subscriber  {anchor:10,.0f} events/s")
    print(f"  API ingest (MqttBus + IngestWorker), stored {rate:10,.0f} events/s  ({rows}/{total})")
    print(f"  ratio ingest/anchor {rate / anchor:.2f}")
    print(
        f"  store_event_batch, 500 events a batch: with the Merkle step {with_merkle:10,.0f} "
        f"events/s; without (baseline, same run) {without:10,.0f} events/s "
        f"({(1 - with_merkle / without) * 100:.1f} % slower)"
    )
    met = "yes" if rate >= 2000 and rows == total else "no"
    print(
        f"FIGURE ingest|MQTT ingest, {args.connections} connections, {database}|{rate:.1f}|"
        f"events/s|broker + counting subscriber|{anchor:.1f}|>= 2000 events/s, none lost|{met}"
    )

    print(
        f"FIGURE ingest_chain|stored batches with the Merkle step, {database}|{with_merkle:.1f}|"
        f"events/s|the same batches without it|{without:.1f}|costs <= 10 %|"
        f"{'yes' if with_merkle >= 0.9 * without else 'no'}"
    )


if __name__ == "__main__":
    main()
