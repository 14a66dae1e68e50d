"""The measurements of bench_port_scale against one running API: replica, delta, ingest.

Imported by bench/bench_port_scale.py. Each returns plain numbers; the script prints them.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Engine
from sqlmodel import Session

from bench.api_bench_ingest import count_events, event
from bench.mqtt_publisher import publish_all
from bench.port_scale_seed import PortSeed
from central_api.crud.people import update_person
from central_api.models import PersonUpdate, Site
from gate_protocol.messages import encode_message
from gate_protocol.topics import GateChannel, GateTopic, build_topic

__all__ = ["ReplicaTimes", "ingest_rate", "replica_times"]

_UNTIL = datetime(2040, 1, 1, tzinfo=UTC)  # the changed person's new end of validity
Cpu = Callable[[], float]  # the CPU seconds the API's processes have used so far


@dataclass(frozen=True)
class ReplicaTimes:
    """A gate's full replica and its delta after one change (seconds, bytes, counts)."""

    full_s: float
    full_max_s: float
    first_s: float  # the first full replica after the API's start and its warm-up
    full_bytes: int
    persons: int
    templates: int
    delta_s: float
    delta_max_s: float
    delta_persons: int
    # The CPU seconds of the API's processes during each (medians): load-proof figures.
    full_cpu_s: float = 0.0
    delta_cpu_s: float = 0.0


@dataclass(frozen=True)
class _Answer:
    seconds: float  # until the whole answer is received (built by the API and delivered)
    api_cpu_s: float  # what the API's processes used meanwhile
    body: bytes


def _get(client: httpx.Client, gate: str, key: str, cpu: Cpu, since: int | None = None) -> _Answer:
    """The gate's replica (a delta after `since`), timed."""
    params = {} if since is None else {"since": since}
    before = cpu()
    started = time.perf_counter()
    answer = client.get(f"/api/v1/gates/{gate}/replica", params=params, headers={"X-Gate-Key": key})
    body = answer.read()
    seconds = time.perf_counter() - started
    used = cpu() - before
    answer.raise_for_status()
    kind = "full" if since is None else "delta"
    print(f"    {kind}: {seconds * 1000:.0f} ms, API CPU {used * 1000:.0f} ms", flush=True)
    return _Answer(seconds, used, body)


def replica_times(
    base: str, engine: Engine, seed: PortSeed, *, rounds: int, cpu: Cpu
) -> ReplicaTimes:
    """The main gate's full replica and its delta, each after one person's change.

    A delta first makes the gate's command key (once in a gate's life, untimed); the first
    full replica after the API's start and its warm-up is timed apart. Each
    round changes one person of the main site through the audited CRUD path (as the desk
    would), asks for the delta since the version before the change, then for the full
    replica (the kept records patched by the change).
    """
    key = seed.gate_keys[seed.main_gate]
    with httpx.Client(base_url=base, timeout=1800) as client:
        _get(client, seed.main_gate, key, cpu, since=_version(engine, seed))
        first_s = _get(client, seed.main_gate, key, cpu).seconds
        deltas: list[_Answer] = []
        fulls: list[_Answer] = []
        delta_persons = 0
        for n in range(rounds):
            version = _version(engine, seed)
            with Session(engine) as session:
                update_person(
                    session=session,
                    person_id=seed.main_person,
                    # A field of the replica's record: the full replica must show it.
                    person_update=PersonUpdate(valid_until=_UNTIL + timedelta(days=n)),
                    actor="bench:port-scale",
                )
            deltas.append(_get(client, seed.main_gate, key, cpu, since=version))
            delta_persons = len(json.loads(deltas[-1].body)["persons"])
            fulls.append(_get(client, seed.main_gate, key, cpu))
        snapshot = json.loads(fulls[-1].body)
    changed = next(p for p in snapshot["persons"] if p["person_id"] == seed.main_person)
    if not changed["valid_until"].startswith(f"{_UNTIL + timedelta(days=rounds - 1):%Y-%m-%d}"):
        raise SystemExit(f"the full replica missed the last change: {changed['valid_until']}")
    times = [a.seconds for a in fulls]
    return ReplicaTimes(
        full_s=statistics.median(times),
        full_max_s=max(times),
        first_s=first_s,
        full_bytes=len(fulls[-1].body),
        persons=len(snapshot["persons"]),
        templates=len(snapshot["templates"]),
        delta_s=statistics.median(a.seconds for a in deltas),
        delta_max_s=max(a.seconds for a in deltas),
        delta_persons=delta_persons,
        full_cpu_s=statistics.median(a.api_cpu_s for a in fulls),
        delta_cpu_s=statistics.median(a.api_cpu_s for a in deltas),
    )


def _version(engine: Engine, seed: PortSeed) -> int:
    """The replica version of the main gate's site now (what the gate last fetched)."""
    with Session(engine) as session:
        site = session.get(Site, seed.gate_sites[seed.main_gate])
        assert site is not None  # noqa: S101 (seeded)
        return site.replica_version


def ingest_rate(engine: Engine, broker_port: int, seed: PortSeed, count: int) -> tuple[float, int]:
    """`count` events at QoS 1 from every seeded gate in turn; (events/s until rows, stored)."""
    gates = sorted(seed.gate_keys)
    messages = [
        (
            build_topic(
                GateTopic(
                    site=seed.gate_sites[gates[n % len(gates)]],
                    gate=gates[n % len(gates)],
                    channel=GateChannel.EVENT,
                )
            ),
            encode_message(event(n + 20_000_000)),
        )
        for n in range(count)
    ]
    before = count_events(engine)
    started = time.perf_counter()
    publish_all("127.0.0.1", broker_port, messages)
    got, last_change = 0, time.perf_counter()
    # Until every event is a row, or nothing new for 5 s (then some were dropped).
    while got < count and time.perf_counter() - last_change < 5:
        now_got = count_events(engine) - before
        if now_got != got:
            got, last_change = now_got, time.perf_counter()
        time.sleep(0.02)
    return got / (last_change - started), got


def settle(cpu: Cpu, *, limit_s: float, idle_share: float = 0.05, every_s: float = 5.0) -> float:
    """Wait until the API is idle (`cpu`: its processes' CPU seconds); the seconds waited.

    A started API keeps working after /healthz answers: each worker finishes loading the
    decision inputs and warms the replica records of its largest sites (minutes of CPU
    at 100,000 identities). Decisions measured meanwhile measured that work, not
    decisions. Idle: under `idle_share` of one core over `every_s`; at most `limit_s`.
    """
    started = time.monotonic()
    last = cpu()
    while time.monotonic() - started < limit_s:
        time.sleep(every_s)
        now = cpu()
        if now - last < idle_share * every_s:
            break
        last = now
    return time.monotonic() - started
