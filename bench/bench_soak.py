"""Soak: a site at twice a busy gate's load for N minutes; memory growth and latency drift.

usage: .venv/bin/python bench/bench_soak.py [--minutes 10] [--gates 4] [--period-s 1.5]

A busy gate sees one presentation every 3 s; the soak presents one every 1.5 s at every
gate (twice that), through real processes: mosquitto, the API (`portgate api` on SQLite)
and one gate agent per gate, with in-process simulated turnstiles (testkit/faults/fleet.py).
Reports the RSS of every process after a warm-up and at the end, and the p50/p95 of the
agents' credential -> event latency (as stored by the API) in the first and the last
window (a minute, or a third of the run if shorter). Anchor: the first window.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from testkit.faults.fleet import Fleet

WARMUP_S = 10.0


def rss_kib(pid: int) -> int | None:
    """Resident set size of a process, KiB (None if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def snapshot(fleet: Fleet) -> dict[str, int]:
    """RSS of every process of the fleet now."""
    found = {}
    for name, pid in fleet.pids().items():
        value = rss_kib(pid)
        if value is not None:
            found[name] = value
    return found


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def latencies(db_path: Path) -> list[tuple[datetime, float]]:
    """(occurred_at, latency_ms) of every stored event."""
    with sqlite3.connect(db_path) as db:
        rows = db.execute(
            "SELECT occurred_at, latency_ms FROM access_event WHERE latency_ms IS NOT NULL"
        ).fetchall()
    return sorted((datetime.fromisoformat(str(at).replace(" ", "T")), float(ms)) for at, ms in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--gates", type=int, default=4)
    parser.add_argument("--period-s", type=float, default=1.5, help="per gate (busy gate: 3 s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="portgate-soak-") as tmp:
        fleet = Fleet(workdir=Path(tmp), gates=args.gates, people=50, period_s=args.period_s)
        try:
            fleet.start()
            fleet.wait_replicas()
            assert fleet.crowd is not None  # noqa: S101 (started)
            fleet.crowd.start()
            time.sleep(WARMUP_S)
            first = snapshot(fleet)
            started = time.monotonic()
            time.sleep(max(args.minutes * 60 - WARMUP_S, 1.0))
            last = snapshot(fleet)
            elapsed = time.monotonic() - started + WARMUP_S
            fleet.crowd.stop()
            time.sleep(3)
            presented = sum(fleet.crowd.presented.values())
        finally:
            fleet.stop()
        events = latencies(fleet.database_path)
    print(
        f"soak: {args.gates} gates x 1 presentation / {args.period_s:g} s "
        f"(a busy gate: 1 / 3 s), {elapsed / 60:.1f} min, {presented} badge reads, "
        f"{len(events)} events stored ({len(events) / elapsed:.1f}/s)"
    )
    print(f"{'process':<14} {'RSS after warm-up':>18} {'RSS at end':>12} {'growth':>10}")
    for name, start in sorted(first.items()):
        end = last.get(name)
        growth = f"{(end - start) / 1024:+.1f} MiB" if end is not None else "gone"
        end_text = f"{end / 1024:.1f} MiB" if end is not None else "-"
        print(f"{name:<14} {start / 1024:>14.1f} MiB {end_text:>12} {growth:>10}")
    if not events:
        print("no events stored: latency drift not measured")
        return
    window = timedelta(seconds=min(60.0, elapsed / 3))
    head = [ms for at, ms in events if at <= events[0][0] + window]
    tail = [ms for at, ms in events if at >= events[-1][0] - window]
    for label, values in (("first window", head), ("last window", tail)):
        print(
            f"latency {label:<13} ({window.total_seconds():.0f} s, n={len(values)}): "
            f"p50 {statistics.median(values):7.1f} ms  p95 {percentile(values, 0.95):7.1f} ms"
        )
    drift = statistics.median(tail) / statistics.median(head)
    growth_total = sum(last.get(n, v) - v for n, v in first.items()) / 1024
    print(f"latency drift p50 last/first: {drift:.2f}; total RSS growth {growth_total:+.1f} MiB")
    print(
        f"FIGURE soak|latency p50, last window|{statistics.median(tail):.2f}|ms|first window|"
        f"{statistics.median(head):.2f}|drift <= 1.2x|{'yes' if drift <= 1.2 else 'no'}"
    )


if __name__ == "__main__":
    main()
