"""Live dashboard figures: hub fan-out throughput and the live feed's cost per event.

usage: .venv/bin/python bench/bench_dashboard.py [--clients M] [--items N] [--events E]

1. Hub fan-out: M SSE clients on one event loop drain their queues while a producer thread
   publishes N items through LiveHub (serialise once, call_soon_threadsafe per loop, bounded
   queues). Figure: deliveries per second and the producer's cost per publish. Baseline in
   the same run: the same N items put straight into M asyncio queues on the loop thread (no
   thread hop, no JSON). Ratio = hub deliveries/s / baseline deliveries/s.
2. Live feed: LiveFeed.handle on E AccessEvents (decode, person lookup cached after the first,
   board update, tile + event published) against a SQLite database with one gate and one
   person. Baseline in the same run: decode_message alone on the same payloads.
   Ratio = feed µs per event / decode µs per event.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
import time
from pathlib import Path

from sqlmodel import Session

from central_api.crud.people import create_person
from central_api.crud.sites import create_gate, create_site, create_zone
from central_api.dashboard.board import GateBoard
from central_api.dashboard.feed import LiveFeed
from central_api.dashboard.hub import LiveHub, LiveItem
from central_api.db import make_engine, utc_now
from central_api.migrate import upgrade_database
from central_api.models import GateCreate, PersonCreate, SiteCreate, ZoneCreate
from gate_protocol.messages import (
    AccessEvent,
    CredentialKind,
    DecidedBy,
    Decision,
    Direction,
    decode_message,
    encode_message,
    new_id,
)
from gate_protocol.reasons import ReasonCode
from gate_protocol.records import PersonKind
from gate_protocol.topics import GateChannel, GateTopic, build_topic


def bench_hub(clients: int, items: int) -> tuple[float, float, float]:
    async def hub_run() -> tuple[float, float]:
        hub = LiveHub(client_queue_size=items + 1, max_clients=clients)
        subs = [hub.subscribe() for _ in range(clients)]
        payload = {"event_id": "x" * 32, "gate_id": "north-1", "decision": "granted", "n": 0}
        publish_s = [0.0]

        def produce() -> None:
            started = time.perf_counter()
            for n in range(items):
                hub.publish(LiveItem.of("event", payload | {"n": n}))
            publish_s[0] = time.perf_counter() - started

        async def drain(sub: object) -> None:
            for _ in range(items):
                await sub.queue.get()  # type: ignore[attr-defined]

        started = time.perf_counter()
        producer = threading.Thread(target=produce)
        producer.start()
        await asyncio.gather(*(drain(s) for s in subs))
        producer.join()
        return time.perf_counter() - started, publish_s[0]

    async def baseline_run() -> float:
        queues: list[asyncio.Queue[object]] = [asyncio.Queue() for _ in range(clients)]
        started = time.perf_counter()
        for n in range(items):
            for q in queues:
                q.put_nowait(n)
        for q in queues:
            while not q.empty():
                q.get_nowait()
        return time.perf_counter() - started

    hub_s, publish_s = asyncio.run(hub_run())
    base_s = asyncio.run(baseline_run())
    deliveries = clients * items
    return deliveries / hub_s, publish_s / items * 1e6, deliveries / base_s


def bench_feed(events: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade_database(url)
        engine = make_engine(url)
        with Session(engine, expire_on_commit=False) as session:
            create_site(session=session, site_create=SiteCreate(id="rtm", name="R"), actor="b")
            create_zone(
                session=session, zone_create=ZoneCreate(id="q", site_id="rtm", name="Q"), actor="b"
            )
            create_gate(
                session=session,
                gate_create=GateCreate(id="g1", site_id="rtm", zone_id="q"),
                actor="b",
            )
            person = create_person(
                session=session,
                person_create=PersonCreate(
                    display_name="Ana", kind=PersonKind.STAFF, site_id="rtm"
                ),
                actor="b",
            )
        topic = build_topic(GateTopic(site="rtm", gate="g1", channel=GateChannel.EVENT))
        payloads = [
            encode_message(
                AccessEvent(
                    event_id=new_id(),
                    agent_seq=n,
                    occurred_at=utc_now(),
                    lane=0,
                    direction=Direction.ENTRY,
                    decision=Decision.GRANTED,
                    reason=ReasonCode.GRANTED,
                    person_id=person.id,
                    credential_kind=CredentialKind.BADGE,
                    decided_by=DecidedBy.CENTRAL,
                )
            )
            for n in range(events)
        ]
        feed = LiveFeed(engine=engine, hub=LiveHub(), board=GateBoard())
        started = time.perf_counter()
        for payload in payloads:
            feed.handle(topic, payload)
        feed_s = time.perf_counter() - started
        started = time.perf_counter()
        for payload in payloads:
            decode_message(payload)
        decode_s = time.perf_counter() - started
        engine.dispose()
    return feed_s / events * 1e6, decode_s / events * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args()
    hub_rate, publish_us, base_rate = bench_hub(args.clients, args.items)
    print(f"hub fan-out: {args.clients} clients x {args.items} items")
    print(f"  LiveHub           {hub_rate:12,.0f} deliveries/s  ({publish_us:.1f} us per publish)")
    print(f"  baseline queues   {base_rate:12,.0f} deliveries/s  (same loop, no JSON, no hop)")
    print(f"  ratio             {hub_rate / base_rate:12.2f}")
    feed_us, decode_us = bench_feed(args.events)
    print(f"live feed: {args.events} AccessEvents")
    print(f"  LiveFeed.handle   {feed_us:10.1f} us per event")
    print(f"  baseline decode   {decode_us:10.1f} us per event")
    print(f"  ratio             {feed_us / decode_us:10.2f}")


if __name__ == "__main__":
    main()
