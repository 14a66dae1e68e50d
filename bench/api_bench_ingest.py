"""Event ingest of bench_api_decisions: the events, and MQTT publishing until they are rows.

Imported by bench/bench_api_decisions.py.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from bench.mqtt_publisher import publish_all
from central_api.models import AccessEventRecord
from gate_protocol.messages import (
    AccessEvent,
    CredentialKind,
    DecidedBy,
    Decision,
    Direction,
    encode_message,
)
from gate_protocol.reasons import ReasonCode
from gate_protocol.topics import GateChannel, GateTopic, build_topic

__all__ = ["BROKER_CONF", "count_events", "event", "mqtt_ingest"]

# Like the generated site broker (configs/mosquitto/mosquitto.conf), without the ACL.
BROKER_CONF = (
    "listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 50000\n"
    "max_inflight_messages 20\nmax_packet_size 32768\nset_tcp_nodelay true\n"
)


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


def mqtt_ingest(engine, port: int, count: int, gates: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """Publish `count` events from `gates` gates at QoS 1; (events/s until stored, stored).

    The gates publish through `mqtt_publisher.publish_all` (cheap on CPU, unlike paho).
    """
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
    publish_all("127.0.0.1", port, messages)
    # Until every event is a row, or nothing new arrived for 5 s (dropped).
    got, last_change = 0, time.perf_counter()
    while got < count and time.perf_counter() - last_change < 5:
        now_got = count_events(engine) - before
        if now_got != got:
            got, last_change = now_got, time.perf_counter()
        time.sleep(0.02)
    return got / (last_change - started), got
