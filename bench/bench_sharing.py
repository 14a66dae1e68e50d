"""Sharing between installations: a hub ban applied at both terminals; the feed's throughput.

usage: .venv/bin/python bench/bench_sharing.py [--rounds 20] [--incidents 10000]

Three installations bridged as in production (testkit.community_net: each its own
`portgate api`, SQLite database and mosquitto; the terminals' brokers bridged to the hub's
over TLS, QoS 1, persistent sessions). Figures:

* ban at the hub -> applied at both terminals: each round bans one identity at the hub
  (the outgoing log, as `portgate community share ban` writes it) and times until each
  terminal's database holds the local port ban it became (p50/p99 over both terminals and
  every round; goal p99 <= 5 s);
* N incident items through the feed: the hub's log holds N signed TLP:GREEN items (not
  published on the bus) and a member joined for the bench catches up from the hub's feed
  over HTTP, verifying and keeping each and storing it as the issuer's incident report
  (items/s).

Anchor in the same run: a bridged publish round trip, terminal A's broker -> the hub's
-> terminal B's (the bench's anchor messages are refused as malformed by the terminals'
workers; that is expected).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from central_api.community.bans import share_ban
from central_api.community.catch_up import catch_up
from central_api.community.envelope import ItemKind, Tlp
from central_api.community.members import add_member, join_community, join_token
from central_api.community.outgoing import share
from central_api.community.refs import set_identity_ref
from central_api.crud.bans import issue_ban
from central_api.db import make_engine, utc_now
from central_api.incidents.tables import Incident
from central_api.migrate import upgrade_database
from central_api.models import PortBan, PortBanCreate
from central_api.models.community import SharedItemOut
from gate_protocol.topics import community_item_topic
from testkit.api.decisions import enroll
from testkit.community import SEAL_KEY, keys_of
from testkit.community_net import COMMUNITY, CommunityNet, Installation
from testkit.mosquitto import MosquittoProcess, start_mosquitto

GOAL_MS = 5000.0


def _incident_body(n: int) -> dict[str, Any]:
    """A valid shared incident report (the receiver stores each as a report of the issuer)."""
    return {
        "schema": "portgate.incident/1",
        "ref": f"bench-{n}",
        "kind": "tailgating",
        "occurred_at": utc_now().isoformat(),
        "narrative": f"bench incident {n}: two people through on one badge",
        "tlp": "TLP:GREEN",
    }


def p99(values: list[float]) -> float:
    """The 99th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * 99 // 100) - 1)]


def anchor_rtt(a: MosquittoProcess, b: MosquittoProcess, rounds: int) -> list[float]:
    """Publish on A's broker, receive on B's (bridged through the hub), in ms."""
    topic = community_item_topic(COMMUNITY, "term-a", "anchor")
    seen = threading.Event()
    listener = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-anchor-b")
    listener.on_message = lambda *_: seen.set()
    listener.connect("127.0.0.1", b.port)
    listener.subscribe(topic, qos=1)
    listener.loop_start()
    sender = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-anchor-a")
    sender.connect("127.0.0.1", a.port)
    sender.loop_start()
    time.sleep(1.0)  # the subscription reaches the hub through B's bridge
    times: list[float] = []
    for _ in range(rounds):
        seen.clear()
        started = time.perf_counter()
        sender.publish(topic, b"anchor", qos=1)
        if seen.wait(5):
            times.append((time.perf_counter() - started) * 1000)
    for client in (listener, sender):
        client.loop_stop()
        client.disconnect()
    return times or [float("nan")]


def ban_round(net: CommunityNet, n: int) -> list[float]:
    """Ban one identity at the hub; ms until each terminal holds the local ban."""
    number = f"BENCH{n:06d}"
    local = {}
    for site in net.terminals:
        person = enroll(site.engine, site.world, badge=f"AB{n:06d}")
        with Session(site.engine) as session:
            set_identity_ref(
                session,
                keys_of(site.engine),
                person_id=person,
                document_number=number,
                actor="bench",
            )
        local[site.member_id] = person
    hub: Installation = net.hub
    hub_person = enroll(hub.engine, hub.world, badge=f"BA{n:06d}")
    with Session(hub.engine) as session:
        set_identity_ref(
            session,
            keys_of(hub.engine),
            person_id=hub_person,
            document_number=number,
            actor="bench",
        )
    with Session(hub.engine) as session:
        ban = issue_ban(
            session=session,
            username="bench",
            four_eyes=False,
            body=PortBanCreate(person_id=hub_person, reason="bench ban", legal_reference="B-1"),
        )
        started = time.perf_counter()
        share_ban(session, keys_of(hub.engine), ban_id=ban.id, tlp=Tlp.GREEN, actor="bench")
        session.commit()
    times: dict[str, float] = {}
    while len(times) < len(local) and time.perf_counter() - started < 30:
        for site in net.terminals:
            if site.member_id in times:
                continue
            with Session(site.engine) as session:
                held = session.exec(
                    select(func.count())
                    .select_from(PortBan)
                    .where(PortBan.person_id == local[site.member_id])
                ).one()
            if held:
                times[site.member_id] = (time.perf_counter() - started) * 1000
        time.sleep(0.01)
    if len(times) < len(local):
        raise SystemExit(f"round {n}: the ban did not reach every terminal in 30 s: {times}")
    return list(times.values())


def feed_throughput(net: CommunityNet, work: Path, count: int) -> float:
    """Items/s a freshly joined member verifies and keeps through the hub's feed."""
    hub = net.hub
    with Session(hub.engine) as session:
        keys = keys_of(hub.engine)
        first = int(session.exec(select(func.max(SharedItemOut.sequence))).one() or 0) + 1
        for n in range(count):
            share(
                session,
                keys,
                kind=ItemKind.INCIDENT,
                tlp=Tlp.GREEN,
                actor="bench",
                body=_incident_body(n),
            )
        # Only the feed carries them: the hub's worker does not publish them on the bus.
        session.exec(
            update(SharedItemOut)
            .where(col(SharedItemOut.sequence) >= first)
            .values(published_at=utc_now())
        )
        session.commit()
        token = join_token(session=session, seal_key=SEAL_KEY)
    url = f"sqlite:///{work / 'feed-member.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    with Session(engine) as session:
        own = join_community(
            session=session,
            token=token,
            member_id="bench-feed",
            name="bench",
            seal_key=SEAL_KEY,
            actor="bench",
        )
        public_key = own.public_key_b64
    with Session(hub.engine) as session:
        add_member(
            session=session,
            member_id="bench-feed",
            name="bench",
            public_key_b64=public_key,
            actor="bench",
        )
    if hub.api is None:
        raise SystemExit("the hub's API is not running")
    with httpx.Client(timeout=60) as http:
        started = time.perf_counter()
        catch_up(lambda: Session(engine), keys_of(engine), feed_url=hub.api.url, http=http)
        seconds = time.perf_counter() - started
    with Session(engine) as session:
        stored = session.exec(select(func.count()).select_from(Incident)).one()
    engine.dispose()
    if stored != count:
        raise SystemExit(f"the member stored {stored} of {count} incident reports")
    return (first - 1 + count) / seconds


def main() -> None:
    """Run the bench and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--incidents", type=int, default=10_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-sharing-"))
    brokers: list[MosquittoProcess] = []

    def factory(**options: Any) -> MosquittoProcess:
        broker = start_mosquitto(work, **options)
        brokers.append(broker)
        return broker

    urls = {m: f"sqlite:///{work / f'{m}.db'}" for m in ("hub", "term-a", "term-b")}
    try:
        with CommunityNet(work, factory, urls) as net:
            a, b = net.installations["term-a"].broker, net.installations["term-b"].broker
            if a is None or b is None:
                raise SystemExit("a terminal's broker is not running")
            anchor = anchor_rtt(a, b, 20)
            ban_ms: list[float] = []
            for n in range(args.rounds):
                ban_ms += ban_round(net, n)
            rate = feed_throughput(net, work, args.incidents)
    finally:
        for broker in brokers:
            broker.stop(timeout_s=5)
        shutil.rmtree(work, ignore_errors=True)
    a50 = statistics.median(anchor)
    print(
        f"{args.rounds} bans x 2 terminals, {args.incidents} feed items; "
        f"load {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    print(f"  anchor: bridged publish A -> hub -> B   p50 {a50:8.2f} ms")
    print(
        f"  ban at hub -> both terminals             p50 {statistics.median(ban_ms):8.1f} ms"
        f"  p99 {p99(ban_ms):8.1f} ms"
    )
    print(f"  feed catch-up                            {rate:8.1f} items/s")
    met = "yes" if p99(ban_ms) <= GOAL_MS else "no"
    print(
        f"FIGURE sharing|ban at hub -> both terminals p50|{statistics.median(ban_ms):.1f}|ms|"
        f"bridged publish RTT|{a50:.2f}||"
    )
    print(
        f"FIGURE sharing|ban at hub -> both terminals p99|{p99(ban_ms):.1f}|ms|"
        f"bridged publish RTT|{a50:.2f}|<= 5 s|{met}"
    )
    print(
        f"FIGURE sharing|{args.incidents} incidents through the feed|{rate:.1f}|items/s|"
        f"bridged publish RTT|{a50:.2f}||"
    )


if __name__ == "__main__":
    main()
