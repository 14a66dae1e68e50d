"""The decision load run of bench_api_decisions: requests, the service alone, report lines.

Imported by bench/bench_api_decisions.py.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, text
from sqlmodel import Session

from bench.load_generator import LoadResult, Request
from central_api.config import Settings
from central_api.decision_data.cache import DecisionCache
from central_api.decisions.in_session import decide_in_session
from gate_protocol.api_models import DecisionQuery

__all__ = [
    "autogroup_off",
    "changing_people",
    "decision_requests",
    "describe",
    "figure",
    "load_average",
    "service_alone",
    "verdict",
]


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
                decide_in_session(
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


AUTOGROUP = Path("/proc/sys/kernel/sched_autogroup_enabled")


@contextmanager
def autogroup_off(*, wanted: bool = True) -> Iterator[str]:
    """While inside: the kernel's autogroup scheduling off, as docs/production.md asks.

    With it on (most distributions' default), processes started in different sessions are
    scheduled as groups, and under this benchmark's saturating load requests stalled for
    0.1-1 s now and then, inside PostgreSQL's answer or the load generator alike; with it
    off, none did. The setting is the host's: it is put back on the way out. Yields the
    line to print. `wanted` False (or a host where it cannot be written) measures the host
    as it is.
    """
    try:
        before = AUTOGROUP.read_text().strip()
    except OSError:
        yield "kernel.sched_autogroup_enabled: not in this kernel"
        return
    if not wanted or before == "0":
        state = "off" if before == "0" else "on (docs/production.md: set it to 0)"
        yield f"kernel.sched_autogroup_enabled = {before}: {state}, as the host has it"
        return
    try:
        AUTOGROUP.write_text("0")
    except OSError as exc:
        yield (
            f"kernel.sched_autogroup_enabled = {before}: on, as the host has it "
            f"(could not turn it off for the run: {exc.strerror}; docs/production.md)"
        )
        return
    try:
        yield (
            "kernel.sched_autogroup_enabled = 0 for this run, as docs/production.md asks "
            f"(the host had {before}; put back afterwards; --host-as-is to keep it)"
        )
    finally:
        AUTOGROUP.write_text(before)


def load_average() -> str:
    """The 1-minute load average and the core count (what else was running)."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


@contextmanager
def changing_people(
    engine: Engine, badges: list[str], *, every_s: float = 1.0
) -> Iterator[list[int]]:
    """While inside: every `every_s` one more person is suspended or reinstated.

    As a security desk suspends, reinstates and re-badges people through the day: each
    change bumps the decision-data version that every decision reads. Yields the list
    the count of changes goes into.
    """
    stop = threading.Event()
    done = [0]
    toggle = (
        "UPDATE person SET status = :status"
        " WHERE id = (SELECT person_id FROM credential WHERE ref = :ref)"
    )

    def run() -> None:
        picked = random.Random(11).sample(badges, min(len(badges), 1000))
        while not stop.wait(every_s):
            badge = picked[done[0] // 2 % len(picked)]
            status = "suspended" if done[0] % 2 == 0 else "active"
            with engine.begin() as conn:
                conn.execute(text(toggle), {"status": status, "ref": badge})
            done[0] += 1

    worker = threading.Thread(target=run, name="bench-changes", daemon=True)
    worker.start()
    try:
        yield done
    finally:
        stop.set()
        worker.join()
