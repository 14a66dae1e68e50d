"""A gate's full replica at port scale, built in the API's process: the builder against the cache.

usage: .venv/bin/python bench/bench_replica_build.py [--people 100000] [--rounds 3]

bench_port_scale's port (bench/port_scale_seed.py: 10 sites, a gate per 100 people, site
s00's zone z0 keeps every identity, each with a badge and a sealed face template) on a
throwaway PostgreSQL 15 (testkit/postgres.py). The main gate's full replica is made in this
process, without HTTP, so the figure is the API's work alone (bench_port_scale times the
same through `portgate api` with delivery over loopback, but on the loaded shared machine
the API's start alone ran past its 10-minute wait):
- anchor, in the same run: `build_replica(since=None)` serialized, as the route did before
  (ORM rows, every template decrypted, pydantic records, per request);
- the first answer of `SnapshotCache.snapshot_body` (the site's records built and kept):
  what the first full replica after an API start costs without the warm-up;
- the warm-up a server runs at start (`central_api.replica.warmup`) on a fresh cache, and
  then the first full replica from it (anchor: the cold first answer above);
- after each of `--rounds` changes of one person of the main site (audited CRUD path): the
  delta (`build_replica(since=...)`, the route's delta path) and then the full replica
  from the cache (patched by the change feed).
Each figure is wall seconds and the CPU seconds of this thread (what the work costs
whatever the machine's load; PostgreSQL's own CPU is not in it). The bytes are compared:
the cache's answer equals the builder's but for `generated_at`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from bench.port_scale_seed import PortSeed, seed_port
from central_api.crud.people import update_person
from central_api.db import make_engine
from central_api.migrate import upgrade_database
from central_api.models import PersonUpdate, Site
from central_api.replica.builder import build_replica
from central_api.replica.site_delta import SiteDeltaCache
from central_api.replica.snapshot_cache import SnapshotCache
from central_api.replica.warmup import warm_snapshot_cache
from testkit.postgres import start_postgres, stop_postgres

KEY = bytes(range(32))
GOAL_FULL_S, GOAL_DELTA_MS = 2.0, 50.0


def timed(call: Callable[[], bytes]) -> tuple[float, float, bytes]:
    """(wall s, this thread's CPU s, the answer)."""
    wall, cpu = time.perf_counter(), time.thread_time()
    body = call()
    return time.perf_counter() - wall, time.thread_time() - cpu, body


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _same(one: bytes, other: bytes) -> bool:
    a, b = json.loads(one), json.loads(other)
    a.pop("generated_at")
    b.pop("generated_at")
    return bool(a == b)


def _change(engine: object, seed: PortSeed, n: int) -> None:
    """Change one person of the main site (a field of their replica record) as the desk would."""
    with Session(engine) as session:  # type: ignore[arg-type]
        update_person(
            session=session,
            person_id=seed.main_person,
            person_update=PersonUpdate(
                valid_until=datetime(2040, 1, 1, tzinfo=UTC) + timedelta(days=n)
            ),
            actor="bench:replica-build",
        )


def measure(engine: object, seed: PortSeed, rounds: int) -> None:
    gate = seed.main_gate
    snapshots, deltas = SnapshotCache(), SiteDeltaCache()

    def version() -> int:
        with Session(engine) as session:  # type: ignore[arg-type]
            site = session.get(Site, seed.gate_sites[gate])
            assert site is not None  # noqa: S101 (seeded)
            return site.replica_version

    def built(since: int | None = None) -> bytes:
        with Session(engine) as session:  # type: ignore[arg-type]
            answer = build_replica(
                session=session,
                gate_id=gate,
                since=since,
                template_key=KEY,
                pass_keys={},
                cache=deltas,
            )
            session.commit()
            return answer.model_dump_json().encode()

    def cached() -> bytes:
        with Session(engine) as session:  # type: ignore[arg-type]
            body = snapshots.snapshot_body(
                session=session, gate_id=gate, template_key=KEY, pass_keys={}
            )
            session.commit()
            return body

    built(since=version())  # the gate's command key, made once in its life
    # The delta's anchor: one with nothing changed, the fixed cost of a delta request.
    empty = [timed(lambda: built(since=version())) for _ in range(rounds)]
    anchor = timed(built)
    print(f"  builder (anchor): {anchor[0]:.2f} s, CPU {anchor[1]:.2f} s [{_load()}]", flush=True)
    first = timed(cached)
    print(f"  cache, first: {first[0]:.2f} s, CPU {first[1]:.2f} s [{_load()}]", flush=True)
    warm = _warmed(engine, gate)
    fulls, delta_times = [], []
    for n in range(rounds):
        since = version()
        _change(engine, seed, n)
        delta_times.append(timed(lambda since=since: built(since)))  # type: ignore[misc]
        fulls.append(timed(cached))
        print(
            f"  change {n}: delta {delta_times[-1][0] * 1000:.0f} ms (CPU"
            f" {delta_times[-1][1] * 1000:.0f} ms), full from the cache {fulls[-1][0]:.2f} s"
            f" (CPU {fulls[-1][1]:.2f} s) [{_load()}]",
            flush=True,
        )
    same = _same(fulls[-1][2], built())
    report(anchor, first, fulls, (delta_times, empty), same)
    print(
        f"FIGURE replica_build|warm-up at start (the sites' records built)|{warm[0]:.4g}|s"
        f"|first full replica, cold cache|{first[0]:.4g}||"
    )
    print(
        f"FIGURE replica_build|first full replica after the warm-up|{warm[1]:.4g}|s"
        f"|first full replica, cold cache|{first[0]:.4g}|<= {GOAL_FULL_S:g} s"
        f"|{'yes' if warm[1] <= GOAL_FULL_S else 'no'}"
    )


def _warmed(engine: Any, gate: str) -> tuple[float, float]:
    """(warm-up s, the first full replica from the warmed cache s), a fresh cache."""
    cache = SnapshotCache()
    started = time.perf_counter()
    warm_snapshot_cache(cache=cache, engine=engine, key=KEY)
    warm_s = time.perf_counter() - started
    with Session(engine) as session:
        wall = time.perf_counter()
        cache.snapshot_body(session=session, gate_id=gate, template_key=KEY, pass_keys={})
        first_s = time.perf_counter() - wall
        session.commit()
    print(
        f"  warm-up: {warm_s:.2f} s, then the first full replica {first_s:.2f} s"
        f" (builds {cache.builds}) [{_load()}]",
        flush=True,
    )
    return warm_s, first_s


def report(
    anchor: tuple[float, float, bytes],
    first: tuple[float, float, bytes],
    fulls: list[tuple[float, float, bytes]],
    deltas: tuple[list[tuple[float, float, bytes]], list[tuple[float, float, bytes]]],
    same: bool,
) -> None:
    """FIGURE rows: each next to the builder's figure of the same run."""
    snap = json.loads(fulls[-1][2])
    size = f"{len(snap['persons']):,} identities, {len(fulls[-1][2]) / 2**20:.0f} MB"
    full = statistics.median(s for s, _, _ in fulls)
    full_cpu = statistics.median(c for _, c, _ in fulls)
    changed, empty = deltas
    delta = statistics.median(s for s, _, _ in changed) * 1000
    delta_cpu = statistics.median(c for _, c, _ in changed) * 1000
    empty_ms = statistics.median(s for s, _, _ in empty) * 1000
    empty_cpu = statistics.median(c for _, c, _ in empty) * 1000
    print(f"  the cache's answer equals the builder's (but generated_at): {same}")
    rows = (
        (
            f"full replica after a change, from the cache ({size})",
            full,
            "s",
            anchor[0],
            GOAL_FULL_S,
        ),
        ("  the same, CPU of the API thread", full_cpu, "s", anchor[1], GOAL_FULL_S),
        ("first full replica (the site's records built)", first[0], "s", anchor[0], None),
        ("delta after one change", delta, "ms", empty_ms, GOAL_DELTA_MS),
        ("  the same, CPU of the API thread", delta_cpu, "ms", empty_cpu, GOAL_DELTA_MS),
    )
    for name, value, unit, versus, goal in rows:
        base = "" if versus is None else f"{versus:.4g}"
        label = "builder per request" if unit == "s" else "a delta with no change"
        goal_text = "" if goal is None else f"<= {goal:g} {unit}"
        met = "" if goal is None else ("yes" if value <= goal and same else "no")
        print(f"FIGURE replica_build|{name}|{value:.4g}|{unit}|{label}|{base}|{goal_text}|{met}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"before: load {_load()} on {os.cpu_count()} CPUs", flush=True)
    pg = start_postgres()
    try:
        url = pg.create_database("replica_build")
        upgrade_database(url)
        engine = make_engine(url, pool_size=4)
        started = time.perf_counter()
        gates = max(10, args.people // 100)
        seed = seed_port(engine, people=args.people, sites=10, gates=gates, template_key=KEY)
        print(f"{args.people:,} identities seeded in {time.perf_counter() - started:.0f} s")
        measure(engine, seed, args.rounds)
        engine.dispose()
    finally:
        stop_postgres(pg)
    print(f"after: load {_load()}")


if __name__ == "__main__":
    main()
