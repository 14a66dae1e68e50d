"""Port scale on PostgreSQL: 100,000 identities, 10 sites, 1,000 gates (issue 24.4).

usage: .venv/bin/python bench/bench_port_scale.py [--scale 1.0] [--seconds 10] [--events 5000]

`--scale` multiplies the port (identities 100,000, gates 1,000; always 10 sites): 0.01 is
the quick run (1,000 identities, 10 gates). A throwaway PostgreSQL 15 cluster
(testkit/postgres.py) is seeded with COPY (bench/port_scale_seed.py: every identity has a
badge and a sealed face template; site s00's zone z0 lets everyone through, so its gates
keep the replica of every identity) and `portgate api --workers 2` runs on it with a local
mosquitto, as bench_api_decisions does; the steps start once both workers have warmed their
replica caches (a minute or more at 100,000 identities) and the API is then idle (both waits
printed; `--settle-s 0` skips the idle one: `_wait_started`). Figures, each next to the
same figure of an anchor port measured in the same run (1 site, 1,000 identities, 10 gates):
- decisions p99 at about 1,000/s offered: wrk, 100 connections each pausing a random
  0-154 ms between requests (wrk has no fixed-rate mode: each connection's wait for its
  answer lowers the rate, so the achieved rate is printed too), after a warm-up;
- a gate's full replica (every identity, with templates): seconds from the request until
  the last byte is received, built and delivered (median of 2);
- its delta after one person's change (made through the audited CRUD path): the same,
  median of 3;
- broker kill -9 and restart with the port's gates connected (bench_broker_restart's
  swarm: the agent's own MQTT link per gate): seconds until every gate has resynced;
- event ingest (QoS 1 events from every gate, until each is a row) while the swarm's gates
  are connected to the API's broker.
"""

from __future__ import annotations

import argparse
import base64
import logging
import os
import random
import resource
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bench.api_bench_ingest import BROKER_CONF
from bench.api_bench_load import decision_requests, describe, load_average
from bench.api_bench_setup import ApiProcess
from bench.bench_broker_restart import _restart_seconds
from bench.load_generator import LoadResult, run_load
from bench.port_scale_seed import PortSeed, seed_port
from bench.port_scale_steps import ReplicaTimes, ingest_rate, replica_times, settle
from central_api.db import make_engine
from central_api.migrate import upgrade_database
from central_api.models import DeadLetter
from testkit.faults.swarm_processes import SwarmProcesses
from testkit.mosquitto import start_mosquitto
from testkit.polling import wait_until
from testkit.postgres import PostgresServer, start_postgres, stop_postgres

PEOPLE, GATES, SITES = 100_000, 1_000, 10
ANCHOR = {"people": 1_000, "sites": 1, "gates": 10}
GOAL_P99_MS, GOAL_RATE, GOAL_FULL_S, GOAL_DELTA_MS = 50.0, 1000.0, 2.0, 50.0
CONNECTIONS, PACE_MS = 100, 77  # 100 connections, a random 0-154 ms pause: 1,300/s at most
TEMPLATE_KEY = base64.b64encode(bytes(range(32))).decode()
STEPS = ("decisions", "replica", "ingest", "restart")
RESTART_PER_PROCESS = 100  # bench_broker_restart's default: simulated gates per child process


@dataclass(frozen=True)
class PortFigures:
    """Everything measured on one port (the big one or the anchor)."""

    label: str
    seed_s: float
    decisions: LoadResult | None  # None: the step was not run (--steps)
    replica: ReplicaTimes | None
    ingest_rate: float | None
    ingest_stored: int = 0
    ingest_sent: int = 0
    connected_gates: int = 0


def measure_port(
    pg: PostgresServer, logs: Path, *, name: str, size: dict[str, int], args: argparse.Namespace
) -> PortFigures:
    """Seed one database, run the API and a broker on it, measure; stop them."""
    url = pg.create_database(name)
    upgrade_database(url)
    engine = make_engine(url, pool_size=4)
    started = time.perf_counter()
    seed = seed_port(engine, **size, template_key=base64.b64decode(TEMPLATE_KEY))
    seed_s = time.perf_counter() - started
    label = f"{size['people']:,} identities, {size['sites']} sites, {size['gates']:,} gates"
    print(f"{label}: seeded in {seed_s:.1f} s", flush=True)
    broker = start_mosquitto(logs / name, conf_text=BROKER_CONF)
    env = {
        "DATABASE_URL": url,
        "PORTGATE_DEV_MODE": "1",
        "PORTGATE_TEMPLATE_KEY": TEMPLATE_KEY,
        "MQTT_URL": f"mqtt://127.0.0.1:{broker.port}",
    }
    api = ApiProcess(workers=2, env=env, log=logs / f"{name}-api.log", info_log=True)
    # Simulated gates holding their connections to the API's broker during ingest.
    swarm = SwarmProcesses(port=broker.port, site="swarm", gates=size["gates"])
    try:
        # Generous: on the loaded shared machine the workers' imports alone took minutes.
        api.wait_ready(mqtt=True, timeout_s=600)
        _wait_started(api, settle_s=args.settle_s)
        steps = set(args.steps.split(","))
        decided = _decisions(api.base, seed, args.seconds) if "decisions" in steps else None
        replica = (
            replica_times(api.base, engine, seed, rounds=3, cpu=api.cpu_seconds)
            if "replica" in steps
            else None
        )
        print(f"  {replica} [{load_average()}]", flush=True)
        rate, stored, connected = None, 0, 0
        if "ingest" in steps:
            connected = _connect(swarm, engine)
            rate, stored = ingest_rate(engine, broker.port, seed, args.events)
            print(
                f"  ingest with {connected} gates connected: {rate:,.0f} events/s,"
                f" {stored} of {args.events} stored [{load_average()}]",
                flush=True,
            )
        return PortFigures(label, seed_s, decided, replica, rate, stored, args.events, connected)
    finally:
        swarm.stop()
        api.stop()
        broker.stop()
        engine.dispose()


def _decisions(base: str, seed: PortSeed, seconds: float) -> LoadResult:
    """Decisions paced at about 1,000/s, after a warm-up at saturation."""
    requests = decision_requests(seed.usable, seed.gate_keys)
    warm = run_load(base, requests, concurrency=CONNECTIONS, seconds=seconds)
    print(describe("  warm-up at saturation", warm), flush=True)
    decided = run_load(base, requests, concurrency=CONNECTIONS, seconds=seconds, pace_ms=PACE_MS)
    print(describe("  decisions paced", decided), f"[{load_average()}]", flush=True)
    return decided


def _connect(swarm: SwarmProcesses, engine: Engine) -> int:
    """Connect the swarm; wait until its gates' online statuses have reached the API.

    The swarm's gates are not the seeded ones (testkit/faults/gate_swarm.py names its own),
    so the API sets their statuses aside as dead letters: waiting for all of them keeps
    that work out of the ingest measured next.
    """
    swarm.start()  # child processes of 100 gates: one process's thousand links starve
    wait_until(lambda: _connected(swarm) == swarm.gates, 300, interval=0.2)
    wait_until(lambda: _dead_letters(engine) >= swarm.gates, 120, interval=0.2)
    # Each gate's statuses (more than one a gate) must all be set aside before the ingest is
    # timed: events published behind a thousand of them stored nothing within its 5 s wait.
    _settled(lambda: _dead_letters(engine), quiet_s=5.0, limit_s=300.0)
    return _connected(swarm)


def _wait_started(api: ApiProcess, *, settle_s: float, workers: int = 2) -> None:
    """Until the started API's background work is over: each worker's warm-up, then idle.

    After /healthz answers, each worker builds its largest sites' replica records on a
    thread (central_api.replica.warmup; a minute or more at 100,000 people), and a worker
    that has not answered yet may still be loading its decision inputs. A step measured
    meanwhile shares the cores with that work and its garbage collections, which is not
    what a gate meets once the API has started (docs/performance.md, fifth pass on 24.4).

    Two conditions, because neither implies the other. Idle does not prove warm: `settle`
    sees only the API processes' CPU, so a warm-up (or preload) step that waits on
    PostgreSQL can make a 5 s window look idle, and `settle` gives up silently after
    `settle_s`; the workers' log lines are the one exact end of the warm-up. Warm does not
    prove idle: each worker logs the line before its warm-up's `gc.collect()` and
    `gc.freeze()` (a full collection over the records just built), which the idle wait
    lets finish. `settle_s` 0: the warm-up lines only.
    """
    started = time.perf_counter()
    warm = api.wait_logged("replica snapshot cache warm", workers, timeout_s=900)
    print(
        f"  replica caches warm in {warm} of {workers} workers after"
        f" {time.perf_counter() - started:.0f} s more [{load_average()}]",
        flush=True,
    )
    if settle_s > 0:
        waited = settle(api.cpu_seconds, limit_s=settle_s)
        print(f"  API idle {waited:.0f} s after that [{load_average()}]", flush=True)


def _settled(count: Callable[[], int], *, quiet_s: float, limit_s: float) -> None:
    """Wait until `count()` has not changed for `quiet_s` (at most `limit_s`)."""
    last, since, started = count(), time.monotonic(), time.monotonic()
    while time.monotonic() - since < quiet_s and time.monotonic() - started < limit_s:
        time.sleep(0.5)
        now = count()
        if now != last:
            last, since = now, time.monotonic()


def _connected(swarm: SwarmProcesses) -> int:
    return sum(count > 0 for count in swarm.connects())


def _dead_letters(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(DeadLetter)).one())


def _row(
    name: str,
    value: float,
    unit: str,
    anchor: float,
    goal: str = "",
    met: bool | None = None,
    anchor_label: str = f"{ANCHOR['people']:,} identities, 1 site, {ANCHOR['gates']} gates",
) -> None:
    """One FIGURE line (bench/figure_rows.py): the anchor is the small port of the same run."""
    flag = "" if met is None else ("yes" if met else "no")
    print(f"FIGURE port_scale|{name}|{value:.4g}|{unit}|{anchor_label}|{anchor:.4g}|{goal}|{flag}")


def report(
    port: PortFigures, anchor: PortFigures, restart: tuple[list[float], list[float]]
) -> None:
    """FIGURE rows, each with its anchor and goal (the steps run: --steps)."""
    p, a = port, anchor
    if p.decisions is not None and a.decisions is not None:
        paced = p.decisions.rate >= 0.9 * GOAL_RATE
        _row(
            f"decision p99 at {p.decisions.rate:,.0f}/s achieved ({p.label})",
            p.decisions.p99_ms,
            "ms",
            a.decisions.p99_ms,
            f"<= {GOAL_P99_MS:.0f} ms at 1,000/s",
            p.decisions.p99_ms <= GOAL_P99_MS and paced,
        )
    if p.replica is not None and a.replica is not None:
        _replica_rows(p.replica, a.replica)
    many, one = restart
    if many and one:
        _row(
            f"broker restart: all gates resynced (max of {len(many)} rounds)",
            max(many),
            "s",
            max(one),
            "as short as the reconnect back-off allows",
            anchor_label="1 gate",
        )
    elif one:  # an empty value: the runner shows the row as not measured
        print("FIGURE port_scale|broker restart: not every simulated gate connected||s|1 gate||")
    if p.ingest_rate is not None and a.ingest_rate is not None:
        _row(
            f"MQTT event ingest with {p.connected_gates:,} gates connected"
            f" ({p.ingest_stored} of {p.ingest_sent} stored)",
            p.ingest_rate,
            "1/s",
            a.ingest_rate,
            "every event stored",
            p.ingest_stored == p.ingest_sent,
        )


def _replica_rows(p: ReplicaTimes, a: ReplicaTimes) -> None:
    _row(
        f"full replica of {p.persons:,} identities, {p.templates:,} templates,"
        f" {p.full_bytes / 2**20:.0f} MB, after a change (max {p.full_max_s:.2f} s;"
        f" API CPU {p.full_cpu_s:.2f} s, anchor {a.full_cpu_s:.2f} s)",
        p.full_s,
        "s",
        a.full_s,
        f"<= {GOAL_FULL_S:.0f} s",
        p.full_max_s <= GOAL_FULL_S,
    )
    _row(
        "first full replica after the API's start and warm-up",
        p.first_s,
        "s",
        a.first_s,
        "(once per site and API process)",
    )
    _row(
        f"delta after one change, {p.delta_persons} person (max {p.delta_max_s * 1000:.0f} ms;"
        f" API CPU {p.delta_cpu_s * 1000:.0f} ms, anchor {a.delta_cpu_s * 1000:.0f} ms)",
        p.delta_s * 1000,
        "ms",
        a.delta_s * 1000,
        f"<= {GOAL_DELTA_MS:.0f} ms",
        p.delta_max_s * 1000 <= GOAL_DELTA_MS,
    )


def _restarts(workdir: Path, gates: int, rounds: int) -> list[float]:
    """bench_broker_restart's rounds; [] when not every simulated gate synced (said why)."""
    try:
        return _restart_seconds(workdir, gates, rounds, RESTART_PER_PROCESS)
    except SystemExit as exc:  # the other rows are still printed
        print(f"broker restart with {gates} gates: {exc}")
        return []


def main() -> None:
    """Measure the anchor port, then the big one, then the broker restart."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="0.01: the quick run")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=2, help="broker restarts")
    parser.add_argument(
        "--settle-s",
        type=float,
        default=600.0,
        help="after both workers' replica warm-up, wait up to this long for the API to be"
        " idle (0: measure right after the warm-up, during its closing collections)",
    )
    parser.add_argument(
        "--steps", default=",".join(STEPS), help=f"which of {','.join(STEPS)} to run"
    )
    args = parser.parse_args()
    if not 0 < args.scale <= 1:
        parser.error("--scale must be in (0, 1]")
    size = {
        "people": max(1000, round(PEOPLE * args.scale)),
        "sites": SITES,
        "gates": max(SITES, round(GATES * args.scale)),
    }
    random.seed(24)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    logging.getLogger("central_api").setLevel(logging.CRITICAL)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(
        resource.RLIMIT_NOFILE, (max(soft, min(hard, 8 * size["gates"] + 1024)), hard)
    )
    print(f"before: {load_average()}; {os.cpu_count()} CPUs", flush=True)
    logs = Path(tempfile.mkdtemp(prefix="bench-port-scale-"))
    print(f"logs: {logs}")
    pg = start_postgres()
    try:
        anchor = measure_port(pg, logs, name="anchor", size=ANCHOR, args=args)
        port = measure_port(pg, logs, name="port", size=size, args=args)
    finally:
        stop_postgres(pg)
    restart = "restart" in args.steps.split(",")
    one = _restarts(logs / "restart-one", 1, args.rounds) if restart else []
    many = _restarts(logs / "restart-many", size["gates"], args.rounds) if one else []
    print(f"broker restart: 1 gate {one} s, {size['gates']} gates {many} s")
    report(port, anchor, (many, one))
    print(f"after: {load_average()}")


if __name__ == "__main__":
    main()
